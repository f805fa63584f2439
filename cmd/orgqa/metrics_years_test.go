package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// TestMetricsOfEveryYearAcrossRebuilds: mart_metrics is the view of the last
// built year's rows (int_metrics and mart_metrics_m18) and of every other
// year built (mart_metrics_other_years). Building 2024 and 2025 in turn, then
// each again, keeps each year's rows exactly as a warehouse that built only
// that year has them; and a warehouse from before the view (mart_metrics a
// table of every year) is split into the parts by its next transform, its
// rows unchanged.
func TestMetricsOfEveryYearAcrossRebuilds(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeReports(t, filepath.Join(in, "2024"), "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2024, Seed: 5})
	// 2025's unit 0100 sends the report LibreOffice saved
	in2025 := filepath.Join(in, "2025")
	writeReports(t, in2025, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 6})
	sendLibreOfficeReport(t, in2025)
	rows := func(wh, where string) []string {
		t.Helper()
		db, done := openBriefly(t, wh)
		defer done()
		return queryRows(t, db, `SELECT * FROM mart_metrics `+where+` ORDER BY ALL`)
	}
	same := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("%s: %d rows differ from the %d expected: %s", what, len(got), len(want), firstDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
	}

	// each year built alone, in its own warehouse: what mart_metrics must hold of it
	alone := map[string][]string{}
	for _, y := range []string{"2024", "2025"} {
		wh := filepath.Join(dir, "alone-"+y+".duckdb")
		cliOK(t, "ingest", "--input", in, "--warehouse", wh)
		cliOK(t, "transform", "--year", y, "--warehouse", wh)
		alone[y] = rows(wh, "")
		if len(alone[y]) < 1000 || !strings.HasPrefix(alone[y][0], y+"\t") {
			t.Fatalf("%s alone: %d rows, first %q", y, len(alone[y]), alone[y][:min(1, len(alone[y]))])
		}
	}
	both := append(append([]string(nil), alone["2024"]...), alone["2025"]...)
	checkLibreOfficeRead(t, filepath.Join(dir, "alone-2025.duckdb"))

	wh := filepath.Join(dir, "w.duckdb")
	cliOK(t, "ingest", "--input", in, "--warehouse", wh)
	for i, y := range []string{"2024", "2025", "2024", "2025", "2025"} {
		cliOK(t, "transform", "--year", y, "--warehouse", wh)
		if i == 0 {
			same("after 2024", rows(wh, ""), alone["2024"])
			continue
		}
		same("after building "+y+" (build "+string(rune('1'+i))+")", rows(wh, ""), both)
	}
	// each part of mart_metrics: its kind and the years it holds
	layout := func() []string {
		t.Helper()
		db, done := openBriefly(t, wh)
		defer done()
		var out []string
		for _, tbl := range queryRows(t, db, `SELECT table_name || ' ' || table_type FROM information_schema.tables
				WHERE table_name IN ('mart_metrics', 'int_metrics', 'mart_metrics_m18', 'mart_metrics_other_years') ORDER BY 1`) {
			years := queryRows(t, db, `SELECT coalesce(string_agg(DISTINCT year::VARCHAR, ',' ORDER BY year::VARCHAR), '-') FROM `+strings.Fields(tbl)[0])
			out = append(out, tbl+" "+years[0])
		}
		return out
	}
	want := "int_metrics BASE TABLE 2025|mart_metrics VIEW 2024,2025|mart_metrics_m18 BASE TABLE 2025|mart_metrics_other_years BASE TABLE 2024"
	if got := strings.Join(layout(), "|"); got != want {
		t.Fatalf("layout after 2025:\n got %s\nwant %s", got, want)
	}

	// the warehouse as orgqa left it before the view: mart_metrics a table of
	// every year, int_metrics the last year's rows but M18
	w, err := warehouse.Open(context.Background(), wh, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		// as the mart_metrics model created it before the view
		`CREATE TABLE mart_metrics_table (year INTEGER NOT NULL, level VARCHAR NOT NULL, unit_code VARCHAR NOT NULL,
			unit_name VARCHAR, parent_code VARCHAR, metric VARCHAR NOT NULL, numerator DOUBLE, denominator DOUBLE, value DOUBLE)`,
		`INSERT INTO mart_metrics_table FROM mart_metrics`,
		`DROP VIEW mart_metrics`,
		`DROP TABLE mart_metrics_other_years`,
		`DROP TABLE mart_metrics_m18`,
		`ALTER TABLE mart_metrics_table RENAME TO mart_metrics`,
	} {
		if _, err := w.DB.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := w.Close(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(layout(), "|"); got != "int_metrics BASE TABLE 2025|mart_metrics BASE TABLE 2024,2025" {
		t.Fatalf("the old layout: %s", got)
	}
	// its next transform builds the year before the one int_metrics holds
	cliOK(t, "transform", "--year", "2024", "--warehouse", wh)
	same("the old layout after building 2024", rows(wh, ""), both)
	want = "int_metrics BASE TABLE 2024|mart_metrics VIEW 2024,2025|mart_metrics_m18 BASE TABLE 2024|mart_metrics_other_years BASE TABLE 2025"
	if got := strings.Join(layout(), "|"); got != want {
		t.Fatalf("layout after the old one's transform:\n got %s\nwant %s", got, want)
	}
	cliOK(t, "transform", "--year", "2025", "--warehouse", wh)
	same("the old layout after building 2025", rows(wh, ""), both)
	// the split table's columns as a new warehouse's: types and NOT NULLs
	columns := func(wh string) string {
		t.Helper()
		db, done := openBriefly(t, wh)
		defer done()
		return strings.Join(queryRows(t, db, `SELECT column_name || ' ' || data_type || ' ' || is_nullable FROM information_schema.columns
			WHERE table_name = 'mart_metrics_other_years' ORDER BY ordinal_position`), ", ")
	}
	if got, want := columns(wh), columns(filepath.Join(dir, "alone-2025.duckdb")); got != want || !strings.Contains(got, "unit_code VARCHAR NO") {
		t.Errorf("mart_metrics_other_years split from the old table:\n got %s\nwant %s", got, want)
	}

	// every 2025 report withdrawn: the night rebuilds 2024 without the
	// 2024 events the 2025 reports listed, as a warehouse that never loaded
	// them, and 2025's rows leave int_metrics with the rest
	only2024 := filepath.Join(dir, "only-2024.duckdb")
	cliOK(t, "ingest", "--input", filepath.Join(in, "2024"), "--warehouse", only2024)
	cliOK(t, "transform", "--year", "2024", "--warehouse", only2024)
	db, done := openBriefly(t, wh)
	loads := queryRows(t, db, `SELECT load_id FROM load_manifest WHERE report_year = 2025 AND outcome = 'loaded' ORDER BY 1`)
	done()
	if len(loads) == 0 {
		t.Fatal("no 2025 loads")
	}
	for _, id := range loads {
		cliOK(t, "files", "withdraw", "--load", id, "--reason", "Thử rút toàn bộ báo cáo năm 2025", "--warehouse", wh)
	}
	cliOK(t, "run", "--input", in, "--output", filepath.Join(dir, "out"), "--warehouse", wh)
	same("after 2025 was withdrawn", rows(wh, ""), rows(only2024, ""))
	want = "int_metrics BASE TABLE 2024|mart_metrics VIEW 2024|mart_metrics_m18 BASE TABLE 2024|mart_metrics_other_years BASE TABLE -"
	if got := strings.Join(layout(), "|"); got != want {
		t.Fatalf("layout after 2025 was withdrawn:\n got %s\nwant %s", got, want)
	}
}
