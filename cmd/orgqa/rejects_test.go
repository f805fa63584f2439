package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
)

func TestRejectsGoBackToTheirUnit(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	cfg := gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 9}
	var bad *gen.Report
	for i := 0; i < cfg.Scale.Units; i++ {
		rep := gen.Generate(cfg, i)
		if i == 1 {
			bad = rep
			rep.Members[3].CellCode = "9999"                      // a cell that is not in DonVi
			rep.Meetings[2].Present = rep.Meetings[2].Members + 5 // more present than members
			rep.Letters[0].MemberCode = "=1+1"                    // a formula-looking unknown member
		}
		if _, err := rep.WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected {
		t.Fatalf("run: exit %d, want %d (rows rejected)\n%s", code, exitRejected, stderr)
	}
	books, _ := filepath.Glob(filepath.Join(out, "excel", "latest", "tra-lai", "2025", "loi-du-lieu-*.xlsx"))
	want := filepath.Join(out, "excel", "latest", "tra-lai", "2025", "loi-du-lieu-"+bad.UnitCode+"-2025.xlsx")
	if len(books) != 1 || books[0] != want || !strings.Contains(stdout, want) {
		t.Fatalf("rejects workbooks %v, want only %s\nstdout:\n%s", books, want, stdout)
	}
	f, err := excelize.OpenFile(want)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Lỗi dữ liệu")
	f.Close()
	if !strings.Contains(rows[1][0], bad.UnitName) || rows[3][7] != "Lý do" {
		t.Errorf("heading rows %q", rows[:4])
	}
	var got []string
	for _, r := range rows[4:] {
		got = append(got, r[2]+"!"+r[4]+r[3]+": "+r[7])
	}
	// sorted by sheet in contract order, then row; the rejected member's letter,
	// comment and rating say that their member's row was rejected
	m := bad.Members[3].Code
	echo := func(sheet, col string, i int, what string) string { // the sheets have their header in row 1
		return fmt.Sprintf(`%s!%s%d: %s "%s" thuộc dòng 5 của sheet DangVien, dòng đó đã bị từ chối`, sheet, col, i+2, what, m)
	}
	wantLines := []string{
		`DangVien!F5: Mã chi bộ "9999" không có trong sheet DonVi`,
		`GioiThieu!B2: Mã đảng viên "=1+1" không có trong sheet DangVien`,
	}
	for i, l := range bad.Letters {
		if l.MemberCode == m {
			wantLines = append(wantLines, echo("GioiThieu", "B", i, "Mã đảng viên"))
		}
	}
	for i, c := range bad.Comments {
		if c.MemberCode == m {
			wantLines = append(wantLines, echo("NhanXet", "B", i, "Mã đảng viên"))
		}
	}
	wantLines = append(wantLines, `SinhHoat!H4: Số có mặt`)
	for i, r := range bad.Ratings {
		if r.Code == m {
			wantLines = append(wantLines, echo("XepLoai", "C", i, "Mã"))
		}
	}
	if len(wantLines) < 5 {
		t.Fatalf("the member of row 5 has too few letters, comments and ratings for the test: %v", wantLines)
	}
	if len(got) != len(wantLines) {
		t.Fatalf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantLines, "\n"))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], wantLines[i]) {
			t.Errorf("problem %d = %q, want %q", i, got[i], wantLines[i])
		}
	}
	// the formula-looking value from the unit's file is a text cell, not a formula
	f, _ = excelize.OpenFile(want)
	for i, r := range rows {
		if len(r) > 6 && r[6] == "=1+1" {
			cell, _ := excelize.CoordinatesToCellName(7, i+1)
			if formula, _ := f.GetCellFormula("Lỗi dữ liệu", cell); formula != "" {
				t.Errorf("%s holds a formula %q", cell, formula)
			}
		}
	}
	f.Close()

	// the unit sends a corrected report: its rejects workbook goes away
	bad.Members[3].CellCode = bad.Members[2].CellCode
	bad.Meetings[2].Present = bad.Meetings[2].Members - bad.Meetings[2].Exempt
	bad.Letters[0].MemberCode = bad.Members[0].Code
	time.Sleep(20 * time.Millisecond)
	os.Remove(filepath.Join(in, bad.FileName()))
	if _, err := bad.WriteXLSX(in); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run after the correction: exit %d\n%s", code, stderr)
	}
	if books, _ := filepath.Glob(filepath.Join(out, "excel", "latest", "tra-lai", "2025", "*.xlsx")); len(books) != 0 {
		t.Errorf("stale rejects workbooks left: %v", books)
	}
}

// dumpRows is every loaded row of the units other than skip, provenance
// included, as sorted text.
func dumpRows(t *testing.T, wh, skip string) string {
	t.Helper()
	db := openWarehouse(t, wh)
	var out []string
	for _, table := range []string{"file_info", "units", "members", "letters", "comments", "meetings", "inspections", "disciplines", "ratings", "rejects"} {
		out = append(out, rowsText(t, db, table, `SELECT CAST(COLUMNS(*) AS VARCHAR) FROM `+table+` WHERE reporting_unit <> ? ORDER BY ALL`, skip)...)
	}
	db.Close()
	return strings.Join(out, "\n")
}

// rowsText runs q and gives each row as text, prefixed.
func rowsText(t *testing.T, db *sql.DB, prefix, q string, args ...any) []string {
	t.Helper()
	rows, err := db.Query(q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, prefix+fmt.Sprint(vals...))
	}
	return out
}

func TestReplacingOneUnitTouchesOnlyItsRows(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	reps := writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 13})
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	target := reps[1]
	before := dumpRows(t, wh, target.UnitCode)

	target.Members[0].Name = "Nguyễn Thị Sửa Lại"
	time.Sleep(20 * time.Millisecond)
	os.Remove(filepath.Join(in, target.FileName()))
	if _, err := target.WriteXLSX(in); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh)
	if code != exitOK || !strings.Contains(stderr, "loaded=1 skipped=2") {
		t.Fatalf("re-ingest: exit %d\n%s", code, stderr)
	}
	if after := dumpRows(t, wh, target.UnitCode); after != before {
		t.Error("rows of the other units changed when one unit's report was replaced")
	}
	db := openWarehouse(t, wh)
	var name string
	var loads, replaced int
	db.QueryRow(`SELECT full_name FROM members WHERE member_code = ?`, target.Members[0].Code).Scan(&name)
	db.QueryRow(`SELECT count(*) FILTER (WHERE outcome = 'loaded'), count(*) FILTER (WHERE outcome = 'replaced') FROM load_manifest`).Scan(&loads, &replaced)
	if name != "Nguyễn Thị Sửa Lại" || loads != 3 || replaced != 1 {
		t.Errorf("after the replacement: name %q, %d loaded, %d replaced; want the new name, 3 and 1", name, loads, replaced)
	}
	var members int
	db.QueryRow(`SELECT count(*) FROM members WHERE reporting_unit = ?`, target.UnitCode).Scan(&members)
	if members != len(target.Members) {
		t.Errorf("unit %s has %d members, want %d: the old load was not removed", target.UnitCode, members, len(target.Members))
	}
}

// A file that cannot be read at all, beside good ones: everything else is done
// and cron learns from the exit code that something was not loaded.
func TestBrokenFileExitCode(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 2})
	os.WriteFile(filepath.Join(in, "0199-2025.xlsx"), []byte("not a workbook"), 0o644)
	code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected || !strings.Contains(stderr, "0199-2025.xlsx") || !strings.Contains(stderr, "1 files not loaded") {
		t.Fatalf("exit %d, want %d naming the file\n%s", code, exitRejected, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx")); err != nil {
		t.Errorf("the workbook was not written for the good reports: %v", err)
	}
}
