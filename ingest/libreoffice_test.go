package ingest

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestLibreOfficeWorkbooks loads reports saved by LibreOffice and the same
// reports as excelize wrote them: every table must hold the same rows.
func TestLibreOfficeWorkbooks(t *testing.T) {
	for _, unit := range []string{"0100", "0101"} {
		t.Run(unit, func(t *testing.T) {
			dump := map[string]string{}
			for _, author := range []string{"excelize", "libreoffice"} {
				dir := t.TempDir()
				src := filepath.Join("..", "testdata", "libreoffice", author+"-"+unit+"-2025.xlsx")
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "report.xlsx"), b, 0o644)
				w := openTestWarehouse(t)
				sum, err := quietLoader(w).LoadDir(context.Background(), dir)
				if err != nil {
					t.Fatal(err)
				}
				if f := sum.Files[0]; f.Outcome != Loaded || f.Rejected != 0 || f.Read < 100 {
					t.Fatalf("%s: outcome %s, read %d, rejected %d, %v", author, f.Outcome, f.Read, f.Rejected, f.Err)
				}
				all := contractRows(t, w.DB, "source_sheet", "source_row")
				dump[author] = strings.Join(all, "\n")
			}
			sameDump(t, "excelize / libreoffice", dump["excelize"], dump["libreoffice"])
		})
	}
}

// TestLibreOfficeSheetsOverSeveralChunks: a report LibreOffice saved whose
// DangVien and XepLoai hold more rows than one of DuckDB's data chunks, so
// the sink adds a full chunk to the table while the sheet goes on (chunks.go).
// Each table holds every data row its sheet holds, counted with excelize's
// GetRows, and rows read = accepted + rejected = what the file holds.
func TestLibreOfficeSheetsOverSeveralChunks(t *testing.T) {
	dir := t.TempDir()
	path := copyLibreOffice(t, "libreoffice-chunks-0100-2025.xlsx", dir)
	held := heldRowsBySheet(t, path)
	if held["DangVien"] <= chunkRows || held["XepLoai"] <= chunkRows {
		t.Fatalf("the file's sheets hold %v rows: DangVien and XepLoai must hold more than a chunk (%d)", held, chunkRows)
	}
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Files[0]
	total := 0
	for _, n := range held {
		total += n
	}
	if f.Outcome != Loaded || f.Read != total || f.Accepted+f.Rejected != f.Read || f.Rejected != 0 {
		t.Fatalf("outcome %s, read %d (the file holds %d), accepted %d, rejected %d, %v", f.Outcome, f.Read, total, f.Accepted, f.Rejected, f.Err)
	}
	for sheet, n := range held {
		spec, err := SheetFor(sheet)
		if err != nil || spec == nil {
			t.Fatalf("sheet %s: %v", sheet, err)
		}
		var got int
		if err := w.DB.QueryRow(`SELECT count(*) FROM ` + spec.Table).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != n {
			t.Errorf("%s: %d rows in %s, the sheet holds %d", sheet, got, spec.Table, n)
		}
	}
}

// castAll renders columns as text, NULL as ∅, so rows compare as strings.
func castAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "coalesce(CAST(" + c + " AS VARCHAR), '∅') AS " + c
	}
	return out
}

// TestLibreOfficeWorkbookWithABadCharacter: the report LibreOffice saved (its
// strings in a shared string table, as LibreOffice and Excel write them) with
// a vertical tab pasted into one member's name. Rows read are what the file
// holds — its members are the generator's, seed 21, unit 0100 — and each is
// accepted or rejected: that member's row alone is rejected (with the rows
// that hang on it, as echoes), the others load.
func TestLibreOfficeWorkbookWithABadCharacter(t *testing.T) {
	// the members the file holds, as its excelize-written twin lists them
	// (both were saved from the generator's seed 21 when they were made; the
	// generator has changed since, the files have not)
	twin, err := excelize.OpenFile(filepath.Join("..", "testdata", "libreoffice", "excelize-0100-2025.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := twin.GetRows("DangVien")
	twin.Close()
	if err != nil {
		t.Fatal(err)
	}
	type member struct{ Code, Name string }
	var members []member
	codeCol, nameCol := -1, -1
	for _, r := range rows {
		if codeCol < 0 {
			for j, c := range r {
				switch c {
				case "Mã đảng viên":
					codeCol = j
				case "Họ và tên":
					nameCol = j
				}
			}
			continue
		}
		if len(r) > nameCol && r[codeCol] != "" && r[nameCol] != "" {
			members = append(members, member{r[codeCol], r[nameCol]})
		}
	}
	if len(members) < 20 {
		t.Fatalf("the twin lists %d members", len(members))
	}
	rep := struct{ Members []member }{members}
	count := map[string]int{}
	for _, m := range rep.Members {
		count[m.Name]++
	}
	victim := -1
	for i, m := range rep.Members {
		if count[m.Name] == 1 && i > 10 {
			victim = i
			break
		}
	}
	dir, path := libreOfficeReport(t)
	name := rep.Members[victim].Name
	patchZip(t, path, "xl/sharedStrings.xml", func(b []byte) []byte {
		if bytes.Count(b, []byte(">"+name+"<")) != 1 {
			t.Fatalf("%q is not once in LibreOffice's shared strings", name)
		}
		return bytes.Replace(b, []byte(">"+name+"<"), []byte(">"+strings.Replace(name, " ", "\x0b", 1)+"<"), 1)
	})
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Files[0]
	if f.Outcome != Loaded || f.Accepted+f.Rejected != f.Read {
		t.Fatalf("%s: read %d, accepted %d, rejected %d (%v)", f.Outcome, f.Read, f.Accepted, f.Rejected, f.Err)
	}
	var accepted, rejected int
	w.DB.QueryRow(`SELECT count(*) FROM members`).Scan(&accepted)
	w.DB.QueryRow(`SELECT count(DISTINCT source_row) FROM rejects WHERE sheet = 'DangVien'`).Scan(&rejected)
	if accepted+rejected != len(rep.Members) || rejected != 1 {
		t.Fatalf("DangVien: %d accepted + %d rejected; the file holds %d members, one of them bad", accepted, rejected, len(rep.Members))
	}
	var reason, value, code string
	w.DB.QueryRow(`SELECT reason, value, row_key FROM rejects WHERE sheet = 'DangVien'`).Scan(&reason, &value, &code)
	if !strings.Contains(reason, "ký tự điều khiển U+000B") || !strings.Contains(value, "[U+000B]") || code != rep.Members[victim].Code {
		t.Errorf("the reject: %q, value %q, key %q; want the vertical tab named, on member %s", reason, value, code, rep.Members[victim].Code)
	}
	var echoes int
	w.DB.QueryRow(`SELECT count(*) FROM rejects WHERE sheet <> 'DangVien' AND reason NOT LIKE '%đã bị từ chối%'`).Scan(&echoes)
	if echoes != 0 {
		t.Errorf("%d other rejects that are not echoes of the bad row", echoes)
	}
}

// TestLibreOfficeWorkbookWithANegativeRowNumber: LibreOffice's workbook with one
// DangVien row renumbered below zero. excelize would merge that row into the one
// before it and load the report a member short; the report is refused instead,
// with a reason naming the row, and none of its rows reach the warehouse.
func TestLibreOfficeWorkbookWithANegativeRowNumber(t *testing.T) {
	dir, path := libreOfficeReport(t)
	patchZip(t, path, "xl/worksheets/sheet3.xml", func(b []byte) []byte { // DangVien (rId4)
		if bytes.Count(b, []byte(`<row r="12" `)) != 1 {
			t.Fatal(`LibreOffice's DangVien has no <row r="12" …> once`)
		}
		return bytes.Replace(b, []byte(`<row r="12" `), []byte(`<row r="-12" `), 1)
	})
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Files[0]
	if f.Outcome != Failed {
		t.Fatalf("%s: read %d, accepted %d, rejected %d; want the report refused", f.Outcome, f.Read, f.Accepted, f.Rejected)
	}
	var fe *FileError
	if !errors.As(f.Err, &fe) || !strings.Contains(fe.Reason, "Sheet bị lỗi sau dòng 11: có dòng mang số thứ tự âm (-12)") {
		t.Errorf("reason %v: want it to name the row after row 11 numbered -12", f.Err)
	}
	var members int
	w.DB.QueryRow(`SELECT count(*) FROM members`).Scan(&members)
	if members != 0 {
		t.Errorf("%d members of the refused report in the warehouse", members)
	}
}

// libreOfficeReport copies LibreOffice's workbook of unit 0100 into a new
// folder, to be patched there: the folder and the copy.
func libreOfficeReport(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "report.xlsx")
	copyTestdataTo(t, "libreoffice-0100-2025.xlsx", path)
	return dir, path
}

// copyLibreOffice copies the workbook testdata/libreoffice/name into dir,
// under its name, and returns the copy.
func copyLibreOffice(t *testing.T, name, dir string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	copyTestdataTo(t, name, path)
	return path
}

func copyTestdataTo(t *testing.T, name, path string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "libreoffice", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
