package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestDate1904LoadsTheSameRows: the messy report saved in Excel's 1900 date
// system and in the 1904 system (old Mac templates) loads to the same rows —
// date cells and a serial typed into a General cell alike.
func TestDate1904LoadsTheSameRows(t *testing.T) {
	dir := t.TempDir()
	p1900, p1904 := filepath.Join(dir, "1900", "r.xlsx"), filepath.Join(dir, "1904", "r.xlsx")
	os.MkdirAll(filepath.Dir(p1900), 0o755)
	os.MkdirAll(filepath.Dir(p1904), 0o755)
	messyBook().write(t, p1900)
	b := messyBook()
	b.date1904 = true
	// the birth date typed as a serial (29253 = 02/02/1980 in 1900) is, in a
	// 1904 workbook, 1462 less
	b.sheets["DangVien"][2][5] = 29253.0 - 1462
	b.write(t, p1904)

	// the two files really differ: the letter's date cell holds another serial
	raw := func(p string) string {
		f, err := excelize.OpenFile(p, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		v, _ := f.GetCellValue("GioiThieu", "C2")
		return v
	}
	if a, b := raw(p1900), raw(p1904); a != "45721" || b != "44259" {
		t.Fatalf("raw serials %s and %s; want 45721 (1900) and 44259 (1904)", a, b)
	}

	dump := func(p string) (string, string) {
		w := openTestWarehouse(t)
		l := quietLoader(w)
		if _, err := l.LoadDir(context.Background(), filepath.Dir(p)); err != nil {
			t.Fatal(err)
		}
		var tables []string
		for _, s := range Contract {
			tables = append(tables, s.Table)
		}
		out := dumpTables(t, w.DB, []string{"rejects"}, "source_file, source_sha256") + dumpTables(t, w.DB, tables, "")
		var msg string
		w.DB.QueryRow(`SELECT coalesce(message, '') FROM load_manifest`).Scan(&msg)
		return out, msg
	}
	a, noteA := dump(p1900)
	b1904, noteB := dump(p1904)
	if a != b1904 {
		t.Fatalf("the 1904 workbook loads differently:\n1900:\n%s\n1904:\n%s", a, b1904)
	}
	if !strings.Contains(a, "2025-03-05") || !strings.Contains(a, "1980-02-02") {
		t.Fatalf("the dates are not the ones written:\n%s", a)
	}
	if strings.Contains(noteA, "1904") || !strings.Contains(noteB, "hệ ngày 1904") {
		t.Errorf("manifest notes %q / %q: want the 1904 system said for the second only", noteA, noteB)
	}
}

// TestExcelDateSystems reads two workbooks saved by Microsoft Excel itself
// (testdata/excel, from XlsxWriter's test files), one in each date system,
// through orgqa's reader: every serial means the day Excel shows.
func TestExcelDateSystems(t *testing.T) {
	for file, want := range map[string][]string{
		"date_1904_01.xlsx": {"1900-01-01", "1902-09-26", "1913-09-08", "1927-05-18", "2173-10-14", "4637-11-26"},
		"date_1904_02.xlsx": {"1904-01-01", "1906-09-27", "1917-09-09", "1931-05-19", "2177-10-15", "4641-11-27"},
	} {
		path := filepath.Join("..", "testdata", "excel", file)
		f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		wb := &workbookFast{path: path, f: f}
		props, _ := f.GetWorkbookProps()
		is1904 := props.Date1904 != nil && *props.Date1904
		ex, _ := f.Rows("Sheet1")
		it := newFastRows(wb, "Sheet1", ex)
		var got []string
		for it.Next() {
			cells, err := it.Columns()
			if err != nil || len(cells) == 0 {
				t.Fatalf("%s: %q, %v", file, cells, err)
			}
			d, err := serialDate(cells[0])
			if is1904 {
				d, err = serialDate1904(cells[0])
			}
			if err != nil {
				t.Fatalf("%s: %q: %v", file, cells[0], err)
			}
			got = append(got, d.Format("2006-01-02"))
		}
		it.Close()
		wb.close()
		f.Close()
		if strings.Join(got, " ") != strings.Join(want, " ") || is1904 != (file == "date_1904_02.xlsx") {
			t.Errorf("%s (1904: %v): %q, want %q", file, is1904, got, want)
		}
	}
	// within orgqa's window, through parseDate: the 1904 workbook's 10000
	if d, err := parseDate("10000", true); err != nil || d.Format("02/01/2006") != "19/05/1931" {
		t.Errorf("parseDate(10000, 1904) = %v, %v", d, err)
	}
}
