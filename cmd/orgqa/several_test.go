package main

import (
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
)

// appendReport writes rep's rows under the rows of the workbook at path, sheet
// by sheet, each value in the column whose header names it (an STT column
// numbered on): a district office pasting a second commune's report into the
// first one's workbook. It returns the data rows the workbook then holds.
func appendReport(t *testing.T, path string, rep *gen.Report) int {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data := 0
	for _, s := range rep.Sheets() {
		rows, err := f.GetRows(s.Name)
		if err != nil {
			t.Fatal(err)
		}
		head, col, stt := -1, map[string]int{}, -1
		for i, r := range rows {
			for j, c := range r {
				if c == s.Headers[0] {
					head = i
				}
				if head == i {
					col[c] = j
					if c == "STT" {
						stt = j
					}
				}
			}
			if head >= 0 {
				break
			}
		}
		if head < 0 || len(col) < len(s.Headers) {
			t.Fatalf("%s: no header row naming %v in %v", s.Name, s.Headers, rows)
		}
		last, n := len(rows), 0
		for _, r := range rows[head+1:] {
			if strings.Join(r, "") != "" {
				n++
			}
		}
		for i, vals := range s.Rows {
			line := make([]any, len(rows[head]))
			if stt >= 0 {
				line[stt] = n + i + 1
			}
			for k, h := range s.Headers {
				line[col[h]] = vals[k]
			}
			cell, _ := excelize.CoordinatesToCellName(1, last+i+1)
			if err := f.SetSheetRow(s.Name, cell, &line); err != nil {
				t.Fatal(err)
			}
		}
		data += n + len(s.Rows)
	}
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	return data
}

// TestSeveralUnitsInOneWorkbook: a workbook holding two communes' reports
// (ThongTin with a row for each) is loaded as one report per unit, giving
// exactly the warehouse rows and metrics of the two reports sent apart, every
// row of the file counted once; unchanged, it is skipped the next night. A
// version in which one member's cell is in neither unit's DonVi is refused
// whole, with a reason naming both units and the row; both units are told,
// and their reports loaded before stay. LibreOffice's .ods of the workbook
// splits the same.
func TestSeveralUnitsInOneWorkbook(t *testing.T) {
	t.Setenv("ORGQA_NOW", "2026-02-20T08:00:00+07:00")
	dir := t.TempDir()
	cfg := gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 3}
	apart := filepath.Join(dir, "apart")
	reps := writeReports(t, apart, "xlsx", cfg)
	if len(reps) < 3 {
		t.Fatalf("%d reports", len(reps))
	}
	a, b := reps[1], reps[2]
	together := filepath.Join(dir, "together")
	os.MkdirAll(together, 0o755)
	copyFile(t, filepath.Join(apart, reps[0].FileName()), filepath.Join(together, reps[0].FileName()))
	both := filepath.Join(together, "bao-cao-hai-xa.xlsx")
	copyFile(t, filepath.Join(apart, a.FileName()), both)
	fileRows := appendReport(t, both, b)

	night := func(in, wh string) (int, string) {
		t.Helper()
		code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", wh+"-out", "--warehouse", wh)
		if code != exitOK && code != exitRejected {
			t.Fatalf("%s: exit %d\n%s", in, code, stderr)
		}
		return code, stdout
	}
	// what the analysts see: every contract table but its provenance, every
	// mart (mart_metrics is a view)
	contents := func(db *sql.DB) string {
		var parts []string
		tables := queryRows(t, db, `SELECT table_name FROM information_schema.tables WHERE table_name LIKE 'mart_%' OR table_name IN
			('file_info', 'units', 'members', 'letters', 'comments', 'meetings', 'inspections', 'disciplines', 'ratings') ORDER BY 1`)
		if len(tables) < 12 {
			t.Fatalf("tables: %v", tables)
		}
		for _, tbl := range tables {
			q := fmt.Sprintf(`SELECT * FROM %q ORDER BY ALL`, tbl)
			if !strings.HasPrefix(tbl, "mart_") {
				q = fmt.Sprintf(`SELECT * EXCLUDE (load_id, source_row) FROM %q ORDER BY ALL`, tbl)
			}
			parts = append(parts, "== "+tbl+"\n"+strings.Join(queryRows(t, db, q), "\n"))
		}
		return strings.Join(parts, "\n")
	}
	whApart := filepath.Join(dir, "apart.duckdb")
	if code, _ := night(apart, whApart); code != exitOK {
		t.Fatalf("the reports apart: exit %d", code)
	}
	dbApart := openWarehouse(t, whApart)
	want := contents(dbApart)
	read := func(db *sql.DB, unit string) string {
		return rowsText(t, db, "", `SELECT rows_read FROM load_manifest WHERE outcome = 'loaded' AND reporting_unit = ?`, unit)[0]
	}

	wh := filepath.Join(dir, "together.duckdb")
	if code, _ := night(together, wh); code != exitOK {
		t.Fatalf("the two-unit workbook: exit %d", code)
	}
	db := openWarehouse(t, wh)
	if got := contents(db); got != want {
		t.Errorf("split workbook: the warehouse differs from the reports sent apart: %s", firstDiff(want, got))
	}
	got := rowsText(t, db, "", `SELECT reporting_unit || ' ' || outcome || ' ' || rows_read || '=' || rows_accepted || '+' || rows_rejected
		FROM load_manifest WHERE source_path = ? ORDER BY reporting_unit`, both)
	wantManifest := []string{
		a.UnitCode + " loaded " + read(dbApart, a.UnitCode) + "=" + read(dbApart, a.UnitCode) + "+0",
		b.UnitCode + " loaded " + read(dbApart, b.UnitCode) + "=" + read(dbApart, b.UnitCode) + "+0",
	}
	if strings.Join(got, "; ") != strings.Join(wantManifest, "; ") {
		t.Errorf("the workbook's loads: %v, want %v", got, wantManifest)
	}
	if n := rowsText(t, db, "", `SELECT sum(rows_read) FROM load_manifest WHERE source_path = ?`, both); n[0] != fmt.Sprint(fileRows) {
		t.Errorf("rows read from the workbook: %s, it holds %d", n[0], fileRows)
	}
	if shared := rowsText(t, db, "", `SELECT unit_code FROM units GROUP BY unit_code, report_year HAVING count(DISTINCT reporting_unit) > 1`); len(shared) > 0 {
		t.Errorf("codes loaded under two units: %v", shared)
	}
	if code, stdout := night(together, wh); code != exitOK || !strings.Contains(stdout, "Nothing changed") {
		t.Errorf("the night after: exit %d\n%s", code, stdout)
	}

	// one member's cell in neither unit: refused whole, the loads before stay
	f, err := excelize.OpenFile(both)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("DangVien")
	badRow := len(rows) // the last member, of the second unit
	cellCol := -1
	for _, r := range rows {
		for j, c := range r {
			if c == "Mã chi bộ" {
				cellCol = j
			}
		}
		if cellCol >= 0 {
			break
		}
	}
	ref, _ := excelize.CoordinatesToCellName(cellCol+1, badRow)
	f.SetCellStr("DangVien", ref, "0999001")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	t.Setenv("ORGQA_NOW", "2026-02-21T08:00:00+07:00")
	if code, _ := night(together, wh); code != exitRejected {
		t.Fatalf("the workbook with a member in no unit: exit %d", code)
	}
	db = openWarehouse(t, wh) // the run replaced the file
	msg := rowsText(t, db, "", `SELECT message FROM load_manifest WHERE outcome = 'failed' AND source_path = ?`, both)
	wantMsg := fmt.Sprintf("Sheet ThongTin có hai đơn vị báo cáo (%s và %s) nhưng không tách được", a.UnitCode, b.UnitCode)
	wantRow := fmt.Sprintf("sheet DangVien dòng %d: mã chi bộ 0999001 không thuộc đơn vị nào trong sheet DonVi", badRow)
	if len(msg) != 1 || !strings.Contains(msg[0], wantMsg) || !strings.Contains(msg[0], wantRow) {
		t.Errorf("the refusal: %v\nwant %q and %q", msg, wantMsg, wantRow)
	}
	if got := rowsText(t, db, "", `SELECT count(*) FROM load_manifest WHERE outcome = 'loaded' AND source_path = ?`, both); got[0] != "2" {
		t.Errorf("the units' loads of the earlier version should stay: %v", got)
	}
	for _, u := range []string{a.UnitCode, b.UnitCode} {
		books, _ := filepath.Glob(filepath.Join(wh+"-out", "excel", "latest", "tra-lai", "2025", "*"+u+"*.xlsx"))
		if len(books) != 1 || !strings.Contains(dumpWorkbook(t, books[0]), wantRow) {
			t.Errorf("unit %s is not told why the workbook was refused: %v", u, books)
		}
	}

	// the workbook as LibreOffice saves it (.ods), in a fresh warehouse
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Log("no soffice: the LibreOffice copy is not tried")
		return
	}
	ods := filepath.Join(dir, "ods")
	os.MkdirAll(ods, 0o755)
	copyFile(t, filepath.Join(apart, reps[0].FileName()), filepath.Join(ods, reps[0].FileName()))
	good := filepath.Join(dir, "good.xlsx")
	copyFile(t, filepath.Join(apart, a.FileName()), good)
	appendReport(t, good, b)
	cmd := exec.Command(soffice, "-env:UserInstallation=file://"+filepath.Join(dir, "lo"), "--headless", "--convert-to", "ods", "--outdir", ods, good)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, out)
	}
	whODS := filepath.Join(dir, "ods.duckdb")
	if code, _ := night(ods, whODS); code != exitOK {
		t.Fatalf("the .ods workbook: exit %d", code)
	}
	if got := contents(openWarehouse(t, whODS)); got != want {
		t.Errorf("LibreOffice's .ods: the warehouse differs from the reports sent apart: %s", firstDiff(want, got))
	}
}
