package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"
)

// provenance columns lead every loaded table: which load, report and cell a row came from.
const provenanceDDL = `load_id BIGINT NOT NULL,
	reporting_unit VARCHAR NOT NULL,
	report_year INTEGER NOT NULL,
	source_file VARCHAR NOT NULL,
	source_sha256 VARCHAR NOT NULL,
	source_sheet VARCHAR NOT NULL,
	source_row INTEGER NOT NULL`

const provenanceColumns = 7

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

// capRejects cuts the rejected values stored before ingest capped them (a
// 200 MB cell kept whole made every later export of rejects run out of
// memory) as capValue would have. A value capValue cut is at most the limit
// plus its mark, so it is never cut again. Rows are replaced rather than
// updated: an UPDATE keeps the old 200 MB value for its undo, beyond the
// memory limit.
var capRejects = func() []string {
	long := fmt.Sprintf("length(value) > %d", maxRejectValue+utf8.RuneCountInString(capMark(1_000_000_000)))
	return []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE capped_rejects AS
			SELECT * REPLACE (left(value, %d) || '%s' || replace(format('{:,}', length(value)), ',', '.') || '%s' AS value)
			FROM rejects WHERE %s`, maxRejectValue, capMarkHead, capMarkTail, long),
		`DELETE FROM rejects WHERE ` + long,
		`INSERT INTO rejects SELECT * FROM capped_rejects`,
		`DROP TABLE capped_rejects`,
	}
}()

// EnsureSchema creates the loaded tables, rejects and the load manifest if absent.
func EnsureSchema(ctx context.Context, db *sql.DB) error {
	stmts := []string{rejectsDDL, manifestDDL, conversionsDDL, notesDDL, fileStatsDDL}
	for _, s := range Contract {
		stmts = append(stmts, tableDDL(s))
	}
	// columns added since the first warehouses were made
	stmts = append(stmts, `ALTER TABLE load_manifest ADD COLUMN IF NOT EXISTS last_seen_at TIMESTAMP`,
		`ALTER TABLE load_manifest ADD COLUMN IF NOT EXISTS outcome_before VARCHAR`,
		`ALTER TABLE load_manifest ADD COLUMN IF NOT EXISTS withdrawn_reason VARCHAR`,
		`ALTER TABLE load_manifest ADD COLUMN IF NOT EXISTS withdrawn_at TIMESTAMP`,
		`ALTER TABLE load_manifest ADD COLUMN IF NOT EXISTS declared_unit VARCHAR`,
		`ALTER TABLE load_manifest ADD COLUMN IF NOT EXISTS unit_status VARCHAR`,
		`ALTER TABLE rejects ADD COLUMN IF NOT EXISTS row_key VARCHAR`)
	stmts = append(stmts, capRejects...)
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
	}
	return nil
}
