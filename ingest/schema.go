package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"orgqa/internal/warehouse"
)

// provenance columns lead every loaded table: which load, report and row a
// row came from. The file, its hash and the sheet's name are the same for
// every row of a load's sheet: they are kept once, in load_sources, not on
// each row (on every row they were a quarter of the Appender's work and a
// third of each commit's, and 80 MB of a province ingest's peak).
const provenanceDDL = `load_id BIGINT NOT NULL,
	reporting_unit VARCHAR NOT NULL,
	report_year INTEGER NOT NULL,
	source_row INTEGER NOT NULL`

const provenanceColumns = 4

// sourcesDDL: where each loaded table's rows of a load were read, one row per
// sheet a loaded report had (join on load_id and table_name).
const sourcesDDL = `CREATE TABLE IF NOT EXISTS load_sources (
	load_id BIGINT NOT NULL,
	table_name VARCHAR NOT NULL,
	sheet VARCHAR NOT NULL,
	source_sheet VARCHAR NOT NULL,
	source_file VARCHAR NOT NULL,
	source_sha256 VARCHAR NOT NULL
)`

// rowSourceColumns were on every loaded row before 2026-12-05; movedSources
// takes them off a table (a loaded one or its withdrawn_ copy), keeping each
// load's values once in load_sources.
var rowSourceColumns = []string{"source_file", "source_sha256", "source_sheet"}

// rowSourceTables are the loaded and withdrawn_ tables whose rows still carry
// rowSourceColumns (a warehouse an older orgqa wrote).
func rowSourceTables(ctx context.Context, db *sql.DB) ([]string, error) {
	var loaded []string
	for _, s := range Contract {
		loaded = append(loaded, s.Table, "withdrawn_"+s.Table)
	}
	return warehouse.Column[string](ctx, db, `SELECT table_name FROM duckdb_columns()
		WHERE schema_name = 'main' AND list_contains(`+listParam+`, table_name) AND column_name = 'source_file' ORDER BY 1`, duckdbList(loaded))
}

func movedSources(table string) []string {
	s := tableSheet(strings.TrimPrefix(table, "withdrawn_"))
	stmts := []string{fmt.Sprintf(`INSERT INTO load_sources
		SELECT DISTINCT load_id, '%s', '%s', source_sheet, source_file, source_sha256 FROM %s t
		WHERE NOT EXISTS (SELECT 1 FROM load_sources x WHERE x.load_id = t.load_id AND x.table_name = '%s')`,
		s.Table, s.Name, table, s.Table)}
	for _, c := range rowSourceColumns {
		stmts = append(stmts, fmt.Sprintf(`ALTER TABLE %s DROP COLUMN %s`, table, c))
	}
	return stmts
}

func sqlType(k Kind) string {
	switch k {
	case KindDate:
		return "DATE"
	case KindInt:
		return "INTEGER"
	case KindBool:
		return "BOOLEAN"
	}
	return "VARCHAR"
}

// tableDDL is the warehouse table of one contract sheet.
func tableDDL(s *SheetSpec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE IF NOT EXISTS %s (\n\t%s", s.Table, provenanceDDL)
	for _, c := range s.Columns {
		fmt.Fprintf(&b, ",\n\t%s %s", c.Name, sqlType(c.Kind))
		if c.Required {
			b.WriteString(" NOT NULL")
		}
	}
	b.WriteString("\n)")
	return b.String()
}

const rejectsDDL = `CREATE TABLE IF NOT EXISTS rejects (
	load_id BIGINT NOT NULL,
	reporting_unit VARCHAR,
	report_year INTEGER,
	source_file VARCHAR NOT NULL,
	source_sha256 VARCHAR NOT NULL,
	sheet VARCHAR NOT NULL,
	source_sheet VARCHAR NOT NULL,
	source_row INTEGER NOT NULL,
	column_letter VARCHAR,
	column_header VARCHAR,
	value VARCHAR,
	reason VARCHAR NOT NULL,
	row_key VARCHAR
)`

const manifestDDL = `CREATE TABLE IF NOT EXISTS load_manifest (
	load_id BIGINT NOT NULL,
	source_path VARCHAR NOT NULL,
	source_kind VARCHAR NOT NULL,
	sha256 VARCHAR NOT NULL,
	files VARCHAR[] NOT NULL,
	reporting_unit VARCHAR,
	report_year INTEGER,
	rows_read BIGINT NOT NULL,
	rows_accepted BIGINT NOT NULL,
	rows_rejected BIGINT NOT NULL,
	started_at TIMESTAMP NOT NULL,
	finished_at TIMESTAMP NOT NULL,
	outcome VARCHAR NOT NULL,
	message VARCHAR,
	replaced_by BIGINT,
	last_seen_at TIMESTAMP,
	outcome_before VARCHAR,
	withdrawn_reason VARCHAR,
	withdrawn_at TIMESTAMP,
	declared_unit VARCHAR,
	unit_status VARCHAR
)`

const conversionsDDL = `CREATE TABLE IF NOT EXISTS legacy_conversions (
	load_id BIGINT NOT NULL,
	sheet VARCHAR NOT NULL,
	column_header VARCHAR NOT NULL,
	encoding VARCHAR NOT NULL,
	cells BIGINT NOT NULL,
	example_before VARCHAR,
	example_after VARCHAR
)`

// load_notes are what a loaded report lacks that a unit must act on, in
// Vietnamese; they go back with the unit's rejects. for_unit is the unit told
// when it is not the report's own (the unit whose organization the report
// also claimed); a note lives and dies with its load.
const notesDDL = `CREATE TABLE IF NOT EXISTS load_notes (
	load_id BIGINT NOT NULL,
	for_unit VARCHAR,
	note VARCHAR NOT NULL
)`

// fileStatsDDL: each inbox file's size, modification time and hash when it
// was last hashed (see fileStat).
const fileStatsDDL = `CREATE TABLE IF NOT EXISTS file_stats (
	path VARCHAR PRIMARY KEY,
	size BIGINT NOT NULL,
	mod_ns BIGINT NOT NULL,
	sha256 VARCHAR NOT NULL
)`

// longReject is the condition of a rejected value stored before ingest capped them.
var longReject = fmt.Sprintf("length(value) > %d", maxRejectValue+utf8.RuneCountInString(capMark(1_000_000_000)))

// capRejects cuts the rejected values stored before ingest capped them (a
// 200 MB cell kept whole made every later export of rejects run out of
// memory) as capValue would have. A value capValue cut is at most the limit
// plus its mark, so it is never cut again. Rows are replaced rather than
// updated: an UPDATE keeps the old 200 MB value for its undo, beyond the
// memory limit.
var capRejects = func() []string {
	long := longReject
	return []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE capped_rejects AS
			SELECT * REPLACE (left(value, %d) || '%s' || replace(format('{:,}', length(value)), ',', '.') || '%s' AS value)
			FROM rejects WHERE %s`, maxRejectValue, capMarkHead, capMarkTail, long),
		`DELETE FROM rejects WHERE ` + long,
		`INSERT INTO rejects SELECT * FROM capped_rejects`,
		`DROP TABLE capped_rejects`,
	}
}()

// addedColumns are the columns added since the first warehouses were made.
var addedColumns = []struct{ table, column, typ string }{
	{"load_manifest", "last_seen_at", "TIMESTAMP"},
	{"load_manifest", "outcome_before", "VARCHAR"},
	{"load_manifest", "withdrawn_reason", "VARCHAR"},
	{"load_manifest", "withdrawn_at", "TIMESTAMP"},
	{"load_manifest", "declared_unit", "VARCHAR"},
	{"load_manifest", "unit_status", "VARCHAR"},
	{"rejects", "row_key", "VARCHAR"},
}

// quotedFiles are the manifest rows an orgqa before 2026-12-05 wrote: every
// file name kept with the quotes of the list literal it was passed as (see
// duckdbList). A name that itself began and ended with a quote would be taken
// for one; a report's name ends in its extension.
const quotedFiles = `len(files) > 0 AND list_bool_and(list_transform(files, x -> length(x) >= 2 AND x[1] = '''' AND x[-1] = ''''))`

// SchemaCurrent says, reading only, whether EnsureSchema would leave db as it
// is: every table and added column there, no file name quoted, no reject
// longer than the cap.
// (An error reading is a no.)
func SchemaCurrent(ctx context.Context, db *sql.DB) bool {
	tables := []string{"rejects", "load_manifest", "legacy_conversions", "load_notes", "file_stats", "load_sources"}
	for _, s := range Contract {
		tables = append(tables, s.Table)
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(DISTINCT table_name) FROM duckdb_tables()
		WHERE schema_name = 'main' AND list_contains(`+listParam+`, table_name)`, duckdbList(tables)).Scan(&n); err != nil || n != len(tables) {
		return false
	}
	if old, err := rowSourceTables(ctx, db); err != nil || len(old) > 0 {
		return false
	}
	for _, c := range addedColumns {
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns()
			WHERE schema_name = 'main' AND table_name = ? AND column_name = ?`, c.table, c.column).Scan(&n); err != nil || n != 1 {
			return false
		}
	}
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM load_manifest WHERE `+quotedFiles).Scan(&n); err != nil || n > 0 {
		return false
	}
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM rejects WHERE `+longReject).Scan(&n)
	return err == nil && n == 0
}

// EnsureSchema creates the loaded tables, rejects and the load manifest if
// absent, and brings a warehouse an older orgqa made to today's columns.
func EnsureSchema(ctx context.Context, db *sql.DB) error {
	stmts := []string{rejectsDDL, manifestDDL, conversionsDDL, notesDDL, fileStatsDDL, sourcesDDL}
	for _, s := range Contract {
		stmts = append(stmts, tableDDL(s))
	}
	old, err := rowSourceTables(ctx, db)
	if err != nil {
		return fmt.Errorf("create schema: %w", err)
	}
	for _, t := range old {
		stmts = append(stmts, movedSources(t)...)
	}
	for _, c := range addedColumns {
		stmts = append(stmts, fmt.Sprintf(`ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s`, c.table, c.column, c.typ))
	}
	stmts = append(stmts, `UPDATE load_manifest SET files = list_transform(files, x -> replace(x[2:-2], '''''', '''')) WHERE `+quotedFiles)
	stmts = append(stmts, capRejects...)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	return nil
}
