package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestYearRules: --year for a year without an accepted report is refused
// (exit 2) and publishes nothing; a late report of an earlier year is built
// and published by the next night without --year, beside the newest year.
func TestYearRules(t *testing.T) {
	in, out, wh := twoUnitInbox(t)
	code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh, "--year", "2024")
	if code != exitUsage || !strings.Contains(stderr, "no accepted report of 2024") || !strings.Contains(stderr, "years with reports: 2025") {
		t.Fatalf("run --year 2024 on 2025 reports: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "excel")); !os.IsNotExist(err) {
		t.Fatalf("a refused year published something: %v", err)
	}
	// the refused run loaded the reports (exit 0 now: nothing new is rejected)
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	for _, args := range [][]string{{"transform", "--year", "2031"}, {"report", "--year", "2031", "--output", out}} {
		code, _, stderr := runCLI(t, append(args, "--warehouse", wh)...)
		if code != exitUsage || !strings.Contains(stderr, "no accepted report of 2031") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	if _, err := os.Stat(workbookPath(out, 2031)); !os.IsNotExist(err) {
		t.Errorf("a workbook for 2031: %v", err)
	}

	// a late report for 2024 arrives after 2025 was built
	late := tinyReport("0100", "A")
	late.Year = 2024
	if _, err := late.WriteXLSX(in); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected {
		t.Fatalf("night with a late 2024 report: exit %d\n%s", code, stderr)
	}
	for _, y := range []int{2024, 2025} {
		if _, err := os.Stat(workbookPath(out, y)); err != nil {
			t.Errorf("latest/ lacks %d's workbook: %v", y, err)
		}
		if _, err := os.Stat(filepath.Join(out, "parquet", "metrics", "year="+strconv.Itoa(y), "metrics.parquet")); err != nil {
			t.Errorf("no Parquet for %d: %v", y, err)
		}
		if !strings.Contains(stdout, workbookName(y)) {
			t.Errorf("stdout does not name %d's workbook:\n%s", y, stdout)
		}
	}
	db := openWarehouse(t, wh)
	if got := rowsText(t, db, "", `SELECT year || ' ' || count(DISTINCT unit_code) FROM mart_metrics WHERE level = 'reporting_unit' GROUP BY year ORDER BY year`); strings.Join(got, "; ") != "2024 1; 2025 2" {
		t.Errorf("reporting units per year in mart_metrics: %v", got)
	}
	if code, stdout, _ := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK || !strings.Contains(stdout, "Nothing changed") {
		t.Errorf("the night after: exit %d\n%s", code, stdout)
	}
}

// twoUnitInbox is an inbox with the tiny reports of units 0100 and 0200 (each
// with one rejected row), and where the output and warehouse go.
func twoUnitInbox(t *testing.T) (in, out, wh string) {
	t.Helper()
	dir := t.TempDir()
	in, out, wh = filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	for code, prefix := range map[string]string{"0100": "A", "0200": "B"} {
		if _, err := tinyReport(code, prefix).WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	return in, out, wh
}

// TestReadOnlyCommandsOnAMissingWarehouse: a mistyped --warehouse is an
// error, not an empty history.
func TestReadOnlyCommandsOnAMissingWarehouse(t *testing.T) {
	wh := filepath.Join(t.TempDir(), "typo.duckdb")
	for _, args := range [][]string{{"history"}, {"status", "--output", t.TempDir()}, {"files"}, {"query", "SELECT 1"}} {
		code, _, stderr := runCLI(t, append(args, "--warehouse", wh)...)
		if code != exitFailed || !strings.Contains(stderr, "does not exist") {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	if _, err := os.Stat(wh); !os.IsNotExist(err) {
		t.Errorf("a read-only command created the warehouse: %v", err)
	}
}
