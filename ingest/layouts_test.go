package ingest

import (
	"context"
	"database/sql"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// loadOne loads one file (copied into an inbox of its own) into a new
// warehouse and returns its result and every contract table's rows as text:
// the contract columns only, without where in the file each row stood, in a
// fixed order. Two files of the same report dump the same.
func loadOne(t *testing.T, src string) (FileResult, string) {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report"+filepath.Ext(src)), b, 0o644); err != nil {
		t.Fatal(err)
	}
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Files) != 1 {
		t.Fatalf("%s: %d reports, problems %v", src, len(sum.Files), sum.Problems)
	}
	all := contractRows(t, w.DB)
	rows, err := w.DB.Query(`SELECT sheet || '|' || coalesce(column_header, '') || '|' || coalesce(value, '') || '|' || reason AS line FROM rejects ORDER BY line`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		rows.Scan(&line)
		all = append(all, "reject: "+line)
	}
	rows.Close()
	return sum.Files[0], strings.Join(all, "\n")
}

// contractRows is every row of the contract tables as text, lead columns
// (provenance, when asked: source_sheet from load_sources) then the
// contract's, in order.
func contractRows(t *testing.T, db *sql.DB, lead ...string) []string {
	t.Helper()
	var all []string
	for _, s := range Contract {
		cols := append([]string(nil), lead...)
		for _, c := range s.Columns {
			cols = append(cols, c.Name)
		}
		rows, err := db.Query("SELECT " + strings.Join(cols, " || '|' || ") + " AS line FROM (SELECT " +
			strings.Join(castAll(cols), ", ") + " FROM " + s.Table + " JOIN load_sources USING (load_id) WHERE table_name = '" + s.Table + "') ORDER BY " + strings.Join(append(lead, "line"), ", "))
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var line string
			rows.Scan(&line)
			all = append(all, s.Table+": "+line)
		}
		rows.Close()
	}
	return all
}

// sameDump fails with the first line where two dumps differ.
func sameDump(t *testing.T, name, want, got string) {
	t.Helper()
	if want == got {
		return
	}
	a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			t.Fatalf("%s: first difference at line %d:\nwant: %s\ngot:  %s", name, i, a[i], b[i])
		}
	}
	t.Fatalf("%s: want %d lines, got %d (last: %q / %q)", name, len(a), len(b), a[len(a)-1], b[len(b)-1])
}

// TestOfficeLayouts loads the same report laid out as offices lay it out
// (testdata/layouts/make.py wrote each with openpyxl; LibreOffice saved the
// .xls and .ods) and requires exactly the plain report's rows and rejects,
// and a note where a layout was read past.
func TestOfficeLayouts(t *testing.T) {
	plainRes, plain := loadOne(t, filepath.Join("..", "testdata", "libreoffice", "excelize-0100-2025.xlsx"))
	if plainRes.Outcome != Loaded || plainRes.Rejected != 0 {
		t.Fatalf("plain report: %s, %d rejected, %v", plainRes.Outcome, plainRes.Rejected, plainRes.Err)
	}
	notes := map[string][]string{ // what the manifest must say about each
		"column-numbers": {"Sheet DangVien, dòng 4: dòng đánh số cột"},
		"signature":      {"Sheet DangVien, dòng 80–91: phần chữ ký", "Sheet SinhHoat, dòng 112–123: phần chữ ký"},
		"codes":          {"Sheet GioiThieu: 18 dòng có mã đảng viên bị mất số 0 ở đầu (gõ thành số) — \"14\" được đọc là \"000000014\""},
		"formulas":       {"Sheet SinhHoat: 107 ô công thức chưa có giá trị lưu sẵn, đã được tính khi đọc"},
		"page-headers":   {"Sheet DangVien, dòng 24: dòng tiêu đề lặp lại, đã bỏ qua"},
		"all":            {"dòng đánh số cột", "phần chữ ký", "được đọc là", "dòng tiêu đề lặp lại"},
	}
	for _, name := range []string{"header-block", "column-numbers", "merged-codes", "formulas", "signature", "dates", "codes", "page-headers", "bracket-notes", "all"} {
		t.Run(name, func(t *testing.T) {
			res, got := loadOne(t, filepath.Join("..", "testdata", "layouts", name+".xlsx"))
			if res.Outcome != Loaded {
				t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
			}
			sameDump(t, name, plain, got)
			if res.Read != plainRes.Read {
				t.Errorf("rows read %d, plain %d", res.Read, plainRes.Read)
			}
			all := strings.Join(res.Notes, "\n")
			for _, n := range notes[name] {
				if !strings.Contains(all, n) {
					t.Errorf("no note %q in:\n%s", n, all)
				}
			}
		})
	}
}

// TestLibreOfficeFormats loads the plain report and the all-layouts one as
// LibreOffice saved them in .xls (BIFF8) and .ods: exactly the .xlsx
// original's rows and rejects.
func TestLibreOfficeFormats(t *testing.T) {
	plainRes, plain := loadOne(t, filepath.Join("..", "testdata", "libreoffice", "excelize-0100-2025.xlsx"))
	for _, name := range []string{"libreoffice-plain.xls", "libreoffice-plain.ods", "libreoffice-all.xls", "libreoffice-all.ods"} {
		t.Run(name, func(t *testing.T) {
			res, got := loadOne(t, filepath.Join("..", "testdata", "layouts", name))
			if res.Outcome != Loaded {
				t.Fatalf("outcome %s: %v", res.Outcome, res.Err)
			}
			sameDump(t, name, plain, got)
			if res.Read != plainRes.Read {
				t.Errorf("rows read %d, plain %d", res.Read, plainRes.Read)
			}
		})
	}
}

// TestLibreOfficeConvertsLive converts, at test time, a report with one bad
// row of each kind (messyBook) and a generated report with text dates to .xls
// and .ods with the LibreOffice installed here, and requires the rows and the
// rejects of the .xlsx original. .ci/run installs LibreOffice.
func TestLibreOfficeConvertsLive(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("SKIPPED: LibreOffice (soffice) is not installed; .ci/run installs it. The committed conversions in testdata/layouts are still tested.")
	}
	dir := t.TempDir()
	messy := filepath.Join(dir, "messy.xlsx")
	messyBook().write(t, messy)
	texts := filepath.Join(dir, "texts.xlsx")
	b, err := os.ReadFile(filepath.Join("..", "testdata", "libreoffice", "excelize-0101-2025.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(texts, b, 0o644)
	for _, src := range []string{messy, texts} {
		wantRes, want := loadOne(t, src)
		if src == messy && wantRes.Rejected < 5 {
			t.Fatalf("the messy report has %d rejects; the test needs its bad rows", wantRes.Rejected)
		}
		for _, format := range []string{"xls:MS Excel 97", "ods"} {
			ext := strings.Split(format, ":")[0]
			out := filepath.Join(dir, ext)
			cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
				"--convert-to", format, "--outdir", out, src)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("soffice: %v\n%s", err, b)
			}
			conv := filepath.Join(out, strings.TrimSuffix(filepath.Base(src), ".xlsx")+"."+ext)
			res, got := loadOne(t, conv)
			if res.Outcome != wantRes.Outcome || res.Read != wantRes.Read || res.Rejected != wantRes.Rejected {
				t.Errorf("%s: %s read %d rejected %d; the .xlsx: %s read %d rejected %d", filepath.Base(conv),
					res.Outcome, res.Read, res.Rejected, wantRes.Outcome, wantRes.Read, wantRes.Rejected)
			}
			sameDump(t, filepath.Base(conv), want, got)
		}
	}
}
