package reports

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/internal/warehouse"
)

// tempWarehouse opens a warehouse in the test's temporary folder, closed when
// the test ends.
func tempWarehouse(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	ctx := context.Background()
	w, err := warehouse.Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(ctx, false) })
	return w
}

// TestWideOrgsFile writes the organizations' wide file from a hand-made mart:
// one row per organization in (reporting unit, organization) order, one
// column per metric in the order of the metrics' names, a metric an
// organization lacks left empty, a name that needs quoting kept as it is.
func TestWideOrgsFile(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	for _, q := range []string{
		`CREATE TABLE mart_metrics (year INTEGER, level VARCHAR, unit_code VARCHAR, unit_name VARCHAR, parent_code VARCHAR,
			metric VARCHAR, numerator DOUBLE, denominator DOUBLE, value DOUBLE)`,
		`INSERT INTO mart_metrics VALUES
			(2025, 'org', 'B2', 'Chi bộ B2', 'RU2', 'M2', 1, 4, 0.25),
			(2025, 'org', 'B2', 'Chi bộ B2', 'RU2', 'M10', 3, 4, 0.75),
			(2025, 'org', 'A1', 'Đảng bộ A1', 'RU1', 'M1', 1, 2, 0.5),
			(2025, 'org', 'A1', 'Đảng bộ A1', 'RU1', 'M2', 2, 2, 1),
			(2025, 'org', 'A1', 'Đảng bộ A1', 'RU1', 'M9''s "x"', 0, 0, 7),
			(2025, 'org', 'A0', 'Chi bộ A0', 'RU2', 'M1', 0, 1, 0),
			(2025, 'reporting_unit', 'RU1', 'Đơn vị 1', 'TINH', 'M99', 1, 1, 1),
			(2024, 'org', 'A1', 'Đảng bộ A1', 'RU1', 'M3', 1, 1, 1)`,
		`CREATE TABLE mart_org_assessment (year INTEGER, org_code VARCHAR, red_metrics INTEGER, amber_metrics INTEGER,
			disciplined BOOLEAN, quota_breach BOOLEAN, max_rating VARCHAR, reasons VARCHAR)`,
		`INSERT INTO mart_org_assessment VALUES (2025, 'A1', 1, 0, false, false, 'HTT', 'lý do')`,
	} {
		if _, err := w.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	var orgs parquetMart
	for _, m := range parquetMarts {
		if m.dir == "orgs" {
			orgs = m
		}
	}
	f, err := writeMart(ctx, w.DB, orgs, 2025, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if f.Rows != 3 {
		t.Errorf("%d rows, want 3", f.Rows)
	}
	var names []string
	rows, err := w.DB.Query(`SELECT name FROM parquet_schema(?) WHERE name <> 'duckdb_schema'`, f.Path)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	wantCols := `year reporting_unit org_code org_name M1 M10 M2 M9's "x" red_metrics amber_metrics disciplined quota_breach max_rating reasons`
	if got := strings.Join(names, " "); got != wantCols {
		t.Errorf("columns\n got %s\nwant %s", got, wantCols)
	}
	rows, err = w.DB.Query(`SELECT concat_ws('|', year, reporting_unit, org_code, org_name,
		coalesce("M1"::VARCHAR, '-'), coalesce("M10"::VARCHAR, '-'), coalesce("M2"::VARCHAR, '-'),
		coalesce("M9's ""x"""::VARCHAR, '-'), coalesce(red_metrics::VARCHAR, '-'), coalesce(max_rating, '-'))
		FROM read_parquet(?)`, f.Path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var r string
		rows.Scan(&r)
		got = append(got, r)
	}
	rows.Close()
	want := []string{
		"2025|RU1|A1|Đảng bộ A1|0.5|-|1.0|7.0|1|HTT",
		"2025|RU2|A0|Chi bộ A0|0.0|-|-|-|-|-",
		"2025|RU2|B2|Chi bộ B2|-|0.75|0.25|-|-|-",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows\n got %q\nwant %q", got, want)
	}
}
