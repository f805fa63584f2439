package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
)

// splitWorkbook writes the sheets of path named in second to a new workbook
// at to, and removes them from path unless keep.
func splitWorkbook(t *testing.T, path, to string, second []string, keep bool) {
	t.Helper()
	tmp := filepath.Join(t.TempDir(), "b.xlsx")
	copyFile(t, path, tmp)
	dropAllBut(t, tmp, second, to)
	if !keep {
		dropAllBut(t, path, otherSheets(t, path, second), path)
	}
}

func otherSheets(t *testing.T, path string, not []string) []string {
	var out []string
	for _, s := range sheetList(t, path) {
		skip := false
		for _, n := range not {
			skip = skip || s == n
		}
		if !skip {
			out = append(out, s)
		}
	}
	return out
}

// TestSplitReport: a unit's report split over two workbooks (members in one,
// meetings, inspections and ratings in the other, named with the unit's code)
// gives exactly the metrics of the report in one file; parts that share a
// sheet are refused with a reason and the unit's report alone stays.
func TestSplitReport(t *testing.T) {
	dir := t.TempDir()
	cfg := gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 5}
	whole, split := filepath.Join(dir, "whole"), filepath.Join(dir, "split")
	reps := writeReports(t, whole, "xlsx", cfg)
	writeReports(t, split, "xlsx", cfg)
	unit := reps[0].UnitCode
	main := filepath.Join(split, reps[0].FileName())
	second := []string{"SinhHoat", "KiemTra", "KyLuat", "XepLoai"}
	splitWorkbook(t, main, filepath.Join(split, "phan 2 - "+unit+" - 2025.xlsx"), second, false)
	night := func(in string) string {
		t.Helper()
		wh := filepath.Join(in+"-w", "w.duckdb")
		if code, _, stderr := runCLI(t, "run", "--input", in, "--output", in+"-out", "--warehouse", wh); code != exitOK && code != exitRejected {
			t.Fatalf("%s: exit %d\n%s", in, code, stderr)
		}
		return wh
	}
	metrics := func(wh string) string {
		return strings.Join(queryRows(t, openWarehouse(t, wh), `SELECT * FROM mart_metrics ORDER BY ALL`), "\n")
	}
	want := metrics(night(whole))
	wh := night(split)
	if got := metrics(wh); got != want {
		t.Errorf("split report: metrics differ from the whole report: %s", firstDiff(want, got))
	}
	db := openWarehouse(t, wh)
	if got := rowsText(t, db, "", `SELECT outcome || ' ' || len(files) FROM load_manifest WHERE reporting_unit = ? ORDER BY load_id`, unit); strings.Join(got, "; ") != "replaced 1; loaded 2" {
		t.Errorf("unit %s's manifest: %v", unit, got)
	}
	// the next night: nothing new
	if code, stdout, _ := runCLI(t, "run", "--input", split, "--output", split+"-out", "--warehouse", wh); code != exitOK || !strings.Contains(stdout, "Nothing changed") {
		t.Errorf("the night after: exit %d\n%s", code, stdout)
	}

	// parts that share a sheet
	bad := filepath.Join(dir, "bad")
	reps = writeReports(t, bad, "xlsx", cfg)
	main = filepath.Join(bad, reps[0].FileName())
	splitWorkbook(t, main, filepath.Join(bad, unit+"-bo-sung.xlsx"), []string{"DangVien", "SinhHoat"}, true)
	wh = night(bad)
	db = openWarehouse(t, wh)
	got := rowsText(t, db, "", `SELECT outcome || ' ' || message FROM load_manifest WHERE outcome = 'failed'`)
	if len(got) != 1 || !strings.Contains(got[0], "sheet DangVien, SinhHoat có trong cả tệp "+filepath.Base(main)) {
		t.Errorf("overlapping parts: %v", got)
	}
	if n := rowsText(t, db, "", `SELECT count(*) FROM load_manifest WHERE reporting_unit = ? AND outcome = 'loaded'`, unit); n[0] != "1" {
		t.Errorf("unit %s's report alone should stay loaded: %v", unit, n)
	}
}

func sheetList(t *testing.T, path string) []string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.GetSheetList()
}

// dropAllBut writes path with only the sheets keep to to.
func dropAllBut(t *testing.T, path string, keep []string, to string) {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, s := range f.GetSheetList() {
		found := false
		for _, k := range keep {
			found = found || s == k
		}
		if !found {
			if err := f.DeleteSheet(s); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := f.SaveAs(to); err != nil {
		t.Fatal(err)
	}
}
