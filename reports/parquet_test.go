package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
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

// martFor is the Parquet mart written under parquet/<dir>.
func martFor(t *testing.T, dir string) parquetMart {
	t.Helper()
	for _, m := range parquetMarts {
		if m.dir == dir {
			return m
		}
	}
	t.Fatalf("no Parquet mart %q", dir)
	return parquetMart{}
}

// martMetrics creates an empty mart_metrics with the transform's columns.
const martMetrics = `CREATE TABLE mart_metrics (year INTEGER, level VARCHAR, unit_code VARCHAR, unit_name VARCHAR,
	parent_code VARCHAR, metric VARCHAR, numerator DOUBLE, denominator DOUBLE, value DOUBLE)`

// execAll runs each statement, and fails the test at the first error.
func execAll(t *testing.T, db *sql.DB, statements ...string) {
	t.Helper()
	for _, q := range statements {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
}

// TestWideOrgsFile writes the organizations' wide file from a hand-made mart:
// one row per organization in (reporting unit, organization) order, one
// column per metric in the order of the metrics' names, a metric an
// organization lacks left empty, a name that needs quoting kept as it is.
func TestWideOrgsFile(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	execAll(t, w.DB, martMetrics,
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
		`INSERT INTO mart_org_assessment VALUES (2025, 'A1', 1, 0, false, false, 'HTT', 'lý do')`)
	f, err := writeMart(ctx, w.DB, martFor(t, "orgs"), 2025, t.TempDir())
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

// TestWideOrgsFileInRowGroups: the organizations' file is written in row
// groups of 8.192 rows, in order across them; the same mart without the
// option writes one group. (DuckDB cuts groups at its chunks' ends, 2.048
// rows, and may fold a short rest into the group before: 10.000 rows were
// one group of 10.000.)
func TestWideOrgsFileInRowGroups(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	execAll(t, w.DB, martMetrics,
		`INSERT INTO mart_metrics SELECT 2025, 'org', printf('O%05d', i), 'Chi bộ ' || i, 'RU' || (i % 7), 'M' || (i % 3), 1, 2, 0.5
			FROM range(20000) r(i)`,
		`CREATE TABLE mart_org_assessment (year INTEGER, org_code VARCHAR, red_metrics INTEGER, amber_metrics INTEGER,
			disciplined BOOLEAN, quota_breach BOOLEAN, max_rating VARCHAR, reasons VARCHAR)`)
	orgs := martFor(t, "orgs")
	whole := orgs
	whole.rowGroup = 0
	for _, c := range []struct {
		name         string
		m            parquetMart
		groups, most int
	}{{"as shipped", orgs, 3, 8192}, {"DuckDB's default", whole, 1, 20000}} {
		f, err := writeMart(ctx, w.DB, c.m, 2025, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var groups, most, outOfOrder int
		if err := w.DB.QueryRow(`SELECT count(DISTINCT row_group_id), max(row_group_num_rows) FROM parquet_metadata(?)`, f.Path).Scan(&groups, &most); err != nil {
			t.Fatal(err)
		}
		if err := w.DB.QueryRow(`SELECT count(*) FILTER (WHERE reporting_unit || '|' || org_code < previous) FROM (
			SELECT reporting_unit, org_code, lag(reporting_unit || '|' || org_code) OVER (ORDER BY file_row_number) AS previous
			FROM read_parquet(?, file_row_number = true))`, f.Path).Scan(&outOfOrder); err != nil {
			t.Fatal(err)
		}
		if f.Rows != 20000 || groups != c.groups || most != c.most || outOfOrder != 0 {
			t.Errorf("%s: %d rows in %d groups, the largest %d, %d rows out of order; want 20000 in %d, the largest %d, in order",
				c.name, f.Rows, groups, most, outOfOrder, c.groups, c.most)
		}
	}
}

// spillMetrics are the metrics of a year's organizations, whose names include
// some of exactly 12 bytes that begin longer ones.
const spillMetrics = `M1 M10 M11_kem M11_kha M11_tot M11_trung_binh M12 M13_giam_sat M13_giam_sat_chuyen_de_dang_vien
M13_giam_sat_chuyen_de_to_chuc M13_giam_sat_dau_hieu_vi_pham_dang_vien M13_giam_sat_dau_hieu_vi_pham_to_chuc
M13_giam_sat_thuong_xuyen_dang_vien M13_giam_sat_thuong_xuyen_to_chuc M13_kiem_tra
M13_kiem_tra_chuyen_de_dang_vien M13_kiem_tra_chuyen_de_to_chuc M13_kiem_tra_dau_hieu_vi_pham_dang_vien
M13_kiem_tra_dau_hieu_vi_pham_to_chuc M13_kiem_tra_thuong_xuyen_dang_vien M13_kiem_tra_thuong_xuyen_to_chuc
M13_vi_pham M14_dang_vien_cach_chuc M14_dang_vien_canh_cao M14_dang_vien_khai_tru M14_dang_vien_khien_trach
M14_per1000 M14_to_chuc_canh_cao M14_to_chuc_giai_tan M14_to_chuc_khien_trach M15_dang_vien_ht
M15_dang_vien_htt M15_dang_vien_htxs M15_dang_vien_kht M15_to_chuc_ht M15_to_chuc_htt M15_to_chuc_htxs
M15_to_chuc_kht M16 M16_breach M17 M18_M1 M18_M10 M18_M12 M18_M3 M18_M5 M18_M7 M18_M8 M18_M9 M18_capped
M18_max_rating M18_red M2 M3 M4 M4_on_time M5 M6 M7 M8 M9 M9_above85`

// TestMetricsFileInOrderWhenTheSortSpills writes the metrics file of 1.000
// cells and 1.000 organizations with every metric, with DuckDB's sorts forced
// to disk at the default limit. DuckDB 1.1's spilled sort put a name of
// exactly 12 bytes after longer ones that begin with it ("M13_kiem_tra" after
// "M13_kiem_tra_thuong_xuyen_dang_vien"): with ORDER BY level, unit_code,
// metric, 1.184 rows of these 124.000 came before the row above them. Every
// row must follow the one before it in (level, unit_code, metric), as DuckDB
// compares them row by row.
func TestMetricsFileInOrderWhenTheSortSpills(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	metrics := strings.Fields(spillMetrics)
	values := make([]string, len(metrics))
	for i, m := range metrics {
		values[i] = "('" + m + "')"
	}
	// the rows arrive in no order of their names (in their order, DuckDB's
	// sort kept them right)
	rand.New(rand.NewSource(1)).Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
	execAll(t, w.DB,
		// a view, so that the rows stream from the cross join: read from a
		// table this small, they were sorted right
		`CREATE VIEW mart_metrics AS
		 SELECT 2025 AS year, l.level, lpad(u.i::VARCHAR, 7, '0') AS unit_code, 'Chi bộ ' || u.i AS unit_name, 'RU' AS parent_code,
		        m.metric, 1.0 AS numerator, 2.0 AS denominator, u.i * 0.5 AS value
		 FROM (VALUES ('cell'), ('org')) l(level), range(1000) u(i), (VALUES `+strings.Join(values, ", ")+`) m(metric)`,
		`SET memory_limit = '192MB'`,
		`SET debug_force_external = true`)
	f, err := writeMart(ctx, w.DB, martFor(t, "metrics"), 2025, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var rows, behind int
	if err := w.DB.QueryRow(`SELECT count(*), count(*) FILTER (WHERE r > 0 AND (level, unit_code, metric) < (pl, pu, pm))
		FROM (SELECT file_row_number AS r, level, unit_code, metric,
		             lag(level) OVER w AS pl, lag(unit_code) OVER w AS pu, lag(metric) OVER w AS pm
		      FROM read_parquet(?, file_row_number = true) WINDOW w AS (ORDER BY file_row_number))`, f.Path).Scan(&rows, &behind); err != nil {
		t.Fatal(err)
	}
	if want := 2 * 1000 * len(metrics); rows != want || behind != 0 {
		t.Fatalf("%s: %d rows (want %d), %d of them before the row above", f.Path, rows, want, behind)
	}
}

// TestOrgsFileInOrderOnManyThreads: the organizations are put in order a few
// reporting units at a time, and the file copies their table as it is, with
// DuckDB's insertion order kept for it (orgqa turns it off elsewhere), on
// four threads, across the table's row groups (122.880 rows each). After the
// file, the setting is off again.
func TestOrgsFileInOrderOnManyThreads(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	execAll(t, w.DB, martMetrics, "SET threads = 4",
		`INSERT INTO mart_metrics SELECT 2025, 'org', printf('O%06d', i), 'Chi bộ ' || i, printf('RU%02d', (i * 7919) % 41), 'M' || m, i, 2, 0.5
			FROM range(300000) r(i), range(3) s(m)`,
		`CREATE TABLE mart_org_assessment (year INTEGER, org_code VARCHAR, red_metrics INTEGER, amber_metrics INTEGER,
			disciplined BOOLEAN, quota_breach BOOLEAN, max_rating VARCHAR, reasons VARCHAR)`,
		`INSERT INTO mart_org_assessment SELECT 2025, printf('O%06d', i), i % 5, 0, false, false, 'htt', 'lý do ' || i FROM range(0, 300000, 3) r(i)`)
	f, err := writeMart(ctx, w.DB, martFor(t, "orgs"), 2025, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var outOfOrder, assessed int
	var units string
	if err := w.DB.QueryRow(`SELECT count(*) FILTER (WHERE reporting_unit || '|' || org_code < previous),
			count(red_metrics), string_agg(DISTINCT reporting_unit, ',' ORDER BY reporting_unit) FROM (
		SELECT reporting_unit, org_code, red_metrics, lag(reporting_unit || '|' || org_code) OVER (ORDER BY file_row_number) AS previous
		FROM read_parquet(?, file_row_number = true))`, f.Path).Scan(&outOfOrder, &assessed, &units); err != nil {
		t.Fatal(err)
	}
	if f.Rows != 300000 || outOfOrder != 0 || assessed != 100000 || !strings.HasPrefix(units, "RU00,RU01,") || !strings.HasSuffix(units, ",RU40") {
		t.Errorf("%d rows, %d out of order, %d assessed, units %.40s…; want 300000 in order, 100000 assessed, RU00-RU40", f.Rows, outOfOrder, assessed, units)
	}
	var preserved bool
	if err := w.DB.QueryRow("SELECT current_setting('preserve_insertion_order')").Scan(&preserved); err != nil || preserved {
		t.Errorf("preserve_insertion_order after the file: %t (%v); want false, as warehouse.Open sets it", preserved, err)
	}
}

// TestOrgsFileUnitlessLast: organizations without a reporting unit come last,
// as DuckDB's own ORDER BY puts them (nulls last), and a year without
// organizations gives an empty file.
func TestOrgsFileUnitlessLast(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	execAll(t, w.DB, martMetrics,
		`CREATE TABLE mart_org_assessment (year INTEGER, org_code VARCHAR, red_metrics INTEGER, amber_metrics INTEGER,
			disciplined BOOLEAN, quota_breach BOOLEAN, max_rating VARCHAR, reasons VARCHAR)`,
		`INSERT INTO mart_metrics SELECT 2025, 'org', 'O' || i, 'Chi bộ ' || i, CASE WHEN i % 3 = 0 THEN NULL ELSE 'RU' || (i % 2) END,
			'M1', 1, 2, 0.5 FROM range(10) r(i)`)
	f, err := writeMart(ctx, w.DB, martFor(t, "orgs"), 2025, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if err := w.DB.QueryRow(`SELECT string_agg(coalesce(reporting_unit, '-') || '/' || org_code, ' ' ORDER BY file_row_number)
		FROM read_parquet(?, file_row_number = true)`, f.Path).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if want := "RU0/O2 RU0/O4 RU0/O8 RU1/O1 RU1/O5 RU1/O7 -/O0 -/O3 -/O6 -/O9"; got != want {
		t.Errorf("organizations in the file: %s; want %s", got, want)
	}
	if f, err := writeMart(ctx, w.DB, martFor(t, "orgs"), 2024, t.TempDir()); err != nil || f.Rows != 0 {
		t.Errorf("a year without organizations: %d rows, %v; want an empty file", f.Rows, err)
	}
}
