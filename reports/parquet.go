// Package reports writes what orgqa hands out (output contract v1, domain.md §6):
// Parquet files for analysts and the Excel workbook for leadership, from the
// warehouse marts. It reads the warehouse and writes files; it never changes the
// warehouse, and a reader never sees half a file (temp file, then rename).
package reports

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"orgqa/internal/warehouse"
)

// ParquetFile is one Parquet file written, with the rows it holds.
type ParquetFile struct {
	Path string
	Rows int64
}

// parquetMart is one mart exported to Parquet: a query, and where its file goes
// under <output>/parquet.
type parquetMart struct {
	dir   string // folder under parquet/, Hive-partitioned by year where it has one
	query string // must select exactly the rows of the year (?) in a stable order
	// prepare, when set, builds the temporary table that query reads (the
	// wide file's organizations, in their order: query scans it as it is);
	// drop drops it after the file, and is called even when prepare fails
	prepare func(ctx context.Context, db *sql.DB, year int) (drop func(), err error)
	// rowGroup, when set, is the rows DuckDB gathers into a row group of the
	// file before it writes it (ROW_GROUP_SIZE; DuckDB's default: 122.880).
	// The organizations' file: 8.192. DuckDB's
	// Parquet writer holds a row group's every column until it is written,
	// and the wide file has about 70: the nation's 67.031 organizations in
	// one group peaked the report (its end, alone: 301-308 MiB, glibc 30-56
	// MiB in use) where groups of 8.192 did not (275-286 MiB, glibc 12-17),
	// for a file 10% larger (3,3 MB against 3,0). A province's fit in one
	// group either way. In a national night the report's highest sample fell
	// to 326 MiB (glibc 15 in use) from 328-338 (glibc up to 52); the night's
	// peak, 347 MiB, is within the nights' spread (334-362).
	rowGroup int
}

// The columns are output contract v1's; change them only with a new contract version.
var parquetMarts = []parquetMart{
	// sorted by level, unit_code and metric, through their ranks: DuckDB
	// 1.1's sort, when it spills to disk, puts a string of exactly 12 bytes
	// after longer ones that begin with it ("M13_kiem_tra" after
	// "M13_kiem_tra_thuong_xuyen_dang_vien": 118.000 rows out of order in
	// the nation's file). The ranks are numbers, and the units and metrics
	// they rank are few; also 4 s faster at national scale (13,1 s, not 17,4).
	{dir: "metrics", query: `WITH m AS (SELECT * FROM mart_metrics WHERE year = $year),
		u AS (SELECT level, unit_code, row_number() OVER (ORDER BY level, unit_code) AS unit_rank
		      FROM (SELECT DISTINCT level, unit_code FROM m)),
		k AS (SELECT metric, row_number() OVER (ORDER BY metric) AS metric_rank FROM (SELECT DISTINCT metric FROM m))
		SELECT m.year::INTEGER AS year, m.level, m.unit_code, m.unit_name, m.parent_code, m.metric,
		m.numerator::DOUBLE AS numerator, m.denominator::DOUBLE AS denominator, m.value::DOUBLE AS value
		FROM m JOIN u ON u.level = m.level AND u.unit_code = m.unit_code JOIN k ON k.metric = m.metric
		ORDER BY u.unit_rank, k.metric_rank`},
	// one wide row per grassroots organization: every metric's value as a column
	// named for the metric, in the metrics' order, then the assessment. Filtered
	// aggregates in parts (pivotTable) rather than PIVOT: the national PIVOT
	// (67.031 organizations) asked DuckDB for one 19 MiB block and ran out of
	// memory at 384 and 256 MB. The rows are put in order by orgsFile, a few
	// reporting units at a time, and the file copies them as they are.
	{dir: "orgs", prepare: orgsFile, rowGroup: 8192, query: `FROM orgs_file`},
	{dir: "org_assessment", query: `SELECT year::INTEGER AS year, reporting_unit, org_code, org_name, rule_set, red_metrics,
		amber_metrics, disciplined, quota_breach, max_rating, reasons, red_names, caps, flags, severity
		FROM mart_org_assessment WHERE year = $year ORDER BY reporting_unit, org_code`},
	{dir: "trend", query: `SELECT year::INTEGER AS year, level, unit_code, unit_name, current_units, metric,
		previous_value, current_value, change
		FROM mart_trend WHERE year = $year ORDER BY level, unit_code, metric`},
	{dir: "comment_rating_conflicts", query: `SELECT year::INTEGER AS year, reporting_unit, org_code, org_name, cell_code,
		member_code, full_name, rating, comment
		FROM mart_comment_rating_conflicts WHERE year = $year ORDER BY reporting_unit, org_code, member_code`},
	{dir: "rejects", query: `SELECT report_year::INTEGER AS year, reporting_unit, source_file, source_sha256, sheet, source_sheet,
		source_row::INTEGER AS source_row, column_letter, column_header,
		value, reason, load_id
		FROM rejects WHERE report_year = $year ORDER BY reporting_unit, sheet, source_row, column_letter, reason, load_id`},
	{dir: "manifest", query: `SELECT report_year::INTEGER AS year, load_id, source_path, source_kind, sha256, files, reporting_unit,
		rows_read, rows_accepted, rows_rejected, started_at, finished_at, outcome, message, replaced_by, last_seen_at
		FROM load_manifest WHERE report_year = $year ORDER BY load_id`},
}

// WriteParquet writes the year's marts under outDir/parquet/<mart>/year=<Y>/.
func WriteParquet(ctx context.Context, db *sql.DB, year int, outDir string) ([]ParquetFile, error) {
	return WriteParquetOf(ctx, db, year, outDir, nil)
}

// LongestParquet is the mart whose file takes longest: the metrics, sorted
// (province: 0,76-0,94 s of the files' 0,9-1,1 s, the organizations' 0,1 s
// next). A report writing its files beside its workbooks writes it on a
// connection of its own while the workbooks are made, and the others after
// them; one writing them after its workbooks writes it last, under a cap of
// its own (night.metricsMemoryLimit).
const LongestParquet = "metrics"

// WriteParquetOf writes the marts whose folder only accepts (nil: every
// one), in the contract's order.
func WriteParquetOf(ctx context.Context, db *sql.DB, year int, outDir string, only func(dir string) bool) ([]ParquetFile, error) {
	var out []ParquetFile
	for _, m := range parquetMarts {
		if only != nil && !only(m.dir) {
			continue
		}
		f, err := writeMart(ctx, db, m, year, outDir)
		if err != nil {
			return out, err
		}
		out = append(out, f)
	}
	return out, nil
}

// writeMart writes one mart's file for the year, first under a temporary name,
// and checks that the file, read back, holds every row its query gave.
func writeMart(ctx context.Context, db *sql.DB, m parquetMart, year int, outDir string) (ParquetFile, error) {
	dir := filepath.Join(outDir, "parquet", m.dir, fmt.Sprintf("year=%d", year))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return ParquetFile{}, err
	}
	path := filepath.Join(dir, m.dir+".parquet")
	tmp := filepath.Join(dir, "."+m.dir+".parquet.tmp")
	q := strings.ReplaceAll(m.query, "$year", fmt.Sprint(year))
	if m.prepare != nil {
		// dropped even when it fails halfway (a table built, a setting changed)
		drop, err := m.prepare(ctx, db, year)
		defer drop()
		if err != nil {
			return ParquetFile{}, fmt.Errorf("parquet %s: %w", m.dir, err)
		}
	}
	// the rows the query gave, as COPY counts them (counting the query
	// apart ran it twice: the national organizations' grouping and the
	// metrics' sort each cost seconds)
	opts := ""
	if m.rowGroup > 0 {
		opts = fmt.Sprintf(", ROW_GROUP_SIZE %d", m.rowGroup)
	}
	copySQL := fmt.Sprintf("COPY (%s) TO %s (FORMAT parquet, COMPRESSION zstd%s)", q, warehouse.Literal(tmp), opts)
	res, err := db.ExecContext(ctx, copySQL)
	var want int64
	if err == nil {
		want, err = res.RowsAffected()
	}
	if err != nil {
		os.Remove(tmp)
		return ParquetFile{}, fmt.Errorf("parquet %s: %w", m.dir, err)
	}
	var got int64
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM read_parquet("+warehouse.Literal(tmp)+")").Scan(&got); err != nil {
		os.Remove(tmp)
		return ParquetFile{}, fmt.Errorf("parquet %s: read back: %w", m.dir, err)
	}
	if got != want {
		os.Remove(tmp)
		return ParquetFile{}, fmt.Errorf("parquet %s: wrote %d rows, the warehouse has %d", m.dir, got, want)
	}
	if err := os.Rename(tmp, path); err != nil {
		return ParquetFile{}, err
	}
	return ParquetFile{Path: path, Rows: got}, nil
}

// orgsRows are the organizations' file's rows ($1: the year), in no order:
// output contract v1's columns.
const orgsRows = `SELECT $1::INTEGER AS year, o.parent_code AS reporting_unit, o.unit_code AS org_code, o.unit_name AS org_name,
	o.* EXCLUDE (unit_code, unit_name, parent_code), a.red_metrics, a.amber_metrics, a.disciplined, a.quota_breach, a.max_rating, a.reasons
	FROM orgs_wide o
	LEFT JOIN mart_org_assessment a ON a.year = $1 AND a.org_code = o.unit_code`

// orgsSortBatch is the most organizations orgsFile sorts at once (more only
// when one reporting unit has more).
//
// One sort of every organization's wide row (about 70 columns) was the
// nation's report's memory peak: DuckDB's sort keeps its rows and their
// sorted copy, and its allocator the pages they freed. The organizations'
// file alone on the nation's warehouse, at 128 MB on one thread (a test
// binary, 2 runs each): 271 MiB in 3,4-3,6 s sorted whole; 203-207 MiB in
// 3,6 s in 9 batches. The national bench's night: 313 MiB against 334-362
// (docs/benchmarks.md, twenty-second session).
const orgsSortBatch = 8192

// orgsFile builds the temporary table orgs_file: the organizations' file's
// rows (orgsRows) in the file's order, reporting unit then organization. They
// are sorted a few reporting units at a time (orgsSortBatch), each batch
// inserted after the one before, and DuckDB's preserve_insertion_order is on
// from the first batch until drop, so that a scan of the table gives them in
// that order (orgqa turns it off for everything else, the pivot included:
// warehouse.Open). The reporting units' codes bound the batches as
// parameters, never as SQL text.
func orgsFile(ctx context.Context, db *sql.DB, year int) (drop func(), err error) {
	after := context.WithoutCancel(ctx)
	var preserved bool
	if err := db.QueryRowContext(ctx, "SELECT current_setting('preserve_insertion_order')").Scan(&preserved); err != nil {
		return func() {}, err
	}
	drop = func() {
		db.ExecContext(after, "DROP TABLE IF EXISTS orgs_file")
		db.ExecContext(after, fmt.Sprintf("SET preserve_insertion_order = %t", preserved))
	}
	dropWide, err := orgsWide(ctx, db, year)
	defer dropWide()
	if err != nil {
		return drop, err
	}
	if _, err := db.ExecContext(ctx, "SET preserve_insertion_order = true"); err != nil {
		return drop, err
	}
	if _, err := db.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE orgs_file AS "+orgsRows+" LIMIT 0", year); err != nil {
		return drop, err
	}
	batches, err := orgsBatches(ctx, db)
	if err != nil {
		return drop, err
	}
	for _, b := range batches {
		where, args := "o.parent_code IS NULL", []any{year}
		if b.lo.Valid {
			where, args = "o.parent_code BETWEEN $2 AND $3", []any{year, b.lo.String, b.hi.String}
		}
		if _, err := db.ExecContext(ctx, "INSERT INTO orgs_file "+orgsRows+" WHERE "+where+
			" ORDER BY reporting_unit, org_code", args...); err != nil {
			return drop, err
		}
	}
	var wide, sorted int64
	if err := db.QueryRowContext(ctx, "SELECT (SELECT count(*) FROM orgs_wide), (SELECT count(*) FROM orgs_file)").Scan(&wide, &sorted); err != nil {
		return drop, err
	}
	if wide != sorted {
		return drop, fmt.Errorf("%d organizations put in order, of %d", sorted, wide)
	}
	return drop, nil
}

// orgsBatch is a range of reporting units' codes (lo to hi, both in), or
// the organizations without one (lo not valid).
type orgsBatch struct{ lo, hi sql.NullString }

// orgsBatches cuts orgs_wide's reporting units, in their order, into ranges
// of at most orgsSortBatch organizations (or one unit), then the
// organizations without a reporting unit, which sort last.
func orgsBatches(ctx context.Context, db *sql.DB) ([]orgsBatch, error) {
	rows, err := db.QueryContext(ctx, "SELECT parent_code, count(*) FROM orgs_wide GROUP BY parent_code ORDER BY parent_code NULLS LAST")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgsBatch
	var n int64
	for rows.Next() {
		var code sql.NullString
		var c int64
		if err := rows.Scan(&code, &c); err != nil {
			return nil, err
		}
		last := len(out) - 1
		if last < 0 || !code.Valid || !out[last].lo.Valid || n+c > orgsSortBatch {
			out = append(out, orgsBatch{lo: code, hi: code})
			n = c
			continue
		}
		out[last].hi = code
		n += c
	}
	return out, rows.Err()
}

// orgsWide builds the temporary table orgs_wide, the wide file's
// organizations: unit_code, unit_name and parent_code, then for each metric
// the year's organizations have, in the order of its name (PIVOT's order, so
// the file's columns stay those of output contract v1), its value as a column
// named for it. Metric names come from the transform's SQL, never from input
// cells, and are quoted all the same.
func orgsWide(ctx context.Context, db *sql.DB, year int) (drop func(), err error) {
	metrics, err := warehouse.Column[string](ctx, db, `SELECT DISTINCT metric FROM mart_metrics
		WHERE year = ? AND level = 'org' ORDER BY metric`, year)
	if err != nil {
		return func() {}, err
	}
	cols := make([]pivotCol, len(metrics))
	for i, m := range metrics {
		cols[i] = pivotCol{agg: "first(value)", metric: m, as: m}
	}
	return pivotTable(ctx, db, "orgs_wide", "SELECT * FROM mart_metrics WHERE year = ? AND level = 'org'",
		[]string{"min(unit_name) AS unit_name", "min(parent_code) AS parent_code"}, cols, year)
}

// sqlIdent quotes a column name for DuckDB.
func sqlIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
