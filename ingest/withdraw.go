package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"orgqa/internal/warehouse"
)

// The operator's controls. A report that should never have counted (a unit's
// file sent under another unit's code, a test file dropped in the inbox) is
// withdrawn: its rows leave the loaded tables in one transaction, kept aside
// in withdrawn_<table> so that restore can put them back exactly, and the
// manifest says who withdrew what, when and why. An unchanged withdrawn file
// is not loaded again; a changed one (a new sha256) is a new report.

// Withdrawn is the manifest outcome of a report the operator took out.
const Withdrawn Outcome = "withdrawn"

// withdrawnTables are the tables whose rows of a load are kept aside.
func withdrawnTables() []string {
	out := []string{"rejects", "load_notes", "legacy_conversions"}
	for _, s := range Contract {
		out = append(out, s.Table)
	}
	return out
}

// ManifestEntry is one row of the load manifest, as the operator sees it.
type ManifestEntry struct {
	LoadID   int64
	Path     string
	Unit     string
	Year     int
	Outcome  Outcome
	Accepted int64
	Rejected int64
	// Before is the outcome a withdrawn entry had; Reason why it was withdrawn
	Before, Reason string
}

func (m ManifestEntry) String() string {
	who := "unit unknown"
	if m.Unit != "" {
		who = "unit " + m.Unit
	}
	if m.Year != 0 {
		who += fmt.Sprintf(", %d", m.Year)
	}
	return fmt.Sprintf("load %d (%s, %s, %s)", m.LoadID, m.Outcome, who, m.Path)
}

// SelectError is a load or file that names nothing, or more than one thing,
// the operator could mean.
type SelectError struct{ Msg string }

func (e *SelectError) Error() string { return e.Msg }

// FindLoad finds the manifest entry the operator names: a load number, or a
// file (its content, when it is still there, else its path) whose entry has
// one of the outcomes given.
func FindLoad(ctx context.Context, db *sql.DB, loadID int64, file string, outcomes ...Outcome) (*ManifestEntry, error) {
	if err := EnsureSchema(ctx, db); err != nil {
		return nil, err
	}
	in := make([]string, len(outcomes))
	for i, o := range outcomes {
		in[i] = "'" + string(o) + "'"
	}
	q := `SELECT load_id, source_path, coalesce(reporting_unit, ''), coalesce(report_year, 0), outcome, rows_accepted, rows_rejected,
			coalesce(outcome_before, ''), coalesce(withdrawn_reason, '')
		FROM load_manifest WHERE outcome IN (` + strings.Join(in, ", ") + `) AND `
	var args []any
	switch {
	case loadID > 0:
		q += `load_id = ?`
		args = append(args, loadID)
	case file != "":
		sha, _ := fileSHA256(file)
		abs, _ := filepath.Abs(file)
		q += `(sha256 = ? OR source_path = ? OR source_path = ?)`
		args = append(args, sha, file, abs)
	default:
		return nil, &SelectError{"name a load (--load N, as orgqa files lists it) or a file (--file PATH)"}
	}
	rows, err := db.QueryContext(ctx, q+` ORDER BY load_id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var found []ManifestEntry
	for rows.Next() {
		var m ManifestEntry
		if err := rows.Scan(&m.LoadID, &m.Path, &m.Unit, &m.Year, &m.Outcome, &m.Accepted, &m.Rejected, &m.Before, &m.Reason); err != nil {
			return nil, err
		}
		found = append(found, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	what := file
	if loadID > 0 {
		what = fmt.Sprintf("load %d", loadID)
	}
	switch len(found) {
	case 0:
		return nil, &SelectError{fmt.Sprintf("%s: no entry of the manifest with outcome %s (see orgqa files --all)", what, strings.Join(in, " or "))}
	case 1:
		return &found[0], nil
	}
	var names []string
	for _, m := range found {
		names = append(names, m.String())
	}
	return nil, &SelectError{fmt.Sprintf("%s names %d entries: %s; name one with --load", what, len(found), strings.Join(names, "; "))}
}

// Withdraw takes a loaded report out of the warehouse, or marks a file that
// failed as withdrawn (so it is listed as the operator's decision, not as a
// failure), in one transaction. The loads it had replaced come back into
// play: their files, if still in the inbox, load again on the next run, as on
// a night without the withdrawn one.
func Withdraw(ctx context.Context, db *sql.DB, m *ManifestEntry, reason string, now time.Time) error {
	if strings.TrimSpace(reason) == "" {
		return &SelectError{"a withdrawal needs a reason (--reason)"}
	}
	if m.Outcome != Loaded && m.Outcome != Failed {
		return &SelectError{fmt.Sprintf("%s: only a loaded or failed report can be withdrawn", m)}
	}
	return inTx(ctx, db, func(conn *sql.Conn) error {
		if m.Outcome == Loaded {
			for _, t := range withdrawnTables() {
				if _, err := conn.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS withdrawn_%s AS SELECT * FROM %s LIMIT 0`, t, t)); err != nil {
					return err
				}
				if _, err := conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO withdrawn_%s BY NAME SELECT * FROM %s WHERE load_id = ?`, t, t), m.LoadID); err != nil {
					return fmt.Errorf("withdraw %s: %w", t, err)
				}
				if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE load_id = ?`, t), m.LoadID); err != nil {
					return fmt.Errorf("withdraw %s: %w", t, err)
				}
			}
		}
		_, err := conn.ExecContext(ctx, `UPDATE load_manifest SET outcome = 'withdrawn', outcome_before = outcome,
			withdrawn_reason = ?, withdrawn_at = ? WHERE load_id = ?`, reason, now.UTC(), m.LoadID)
		return err
	})
}

// Restore undoes a withdrawal. A report that was loaded is loaded again as it
// was, and replaces whatever load of its unit and year came in meanwhile; a
// failed file is failed again (the next run tries it again).
func Restore(ctx context.Context, db *sql.DB, m *ManifestEntry) (replaced []int64, err error) {
	if m.Outcome != Withdrawn {
		return nil, &SelectError{fmt.Sprintf("%s is not withdrawn", m)}
	}
	err = inTx(ctx, db, func(conn *sql.Conn) error {
		if m.Before == string(Loaded) {
			var err error
			if replaced, err = loadedOf(ctx, conn, m.Unit, m.Year); err != nil {
				return err
			}
			if err := replaceLoads(ctx, conn, replaced, m.LoadID); err != nil {
				return err
			}
			for _, t := range withdrawnTables() {
				var exists bool
				if err := conn.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = ?`, "withdrawn_"+t).Scan(&exists); err != nil {
					return err
				}
				if !exists {
					continue
				}
				if _, err := conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s BY NAME SELECT * FROM withdrawn_%s WHERE load_id = ?`, t, t), m.LoadID); err != nil {
					return fmt.Errorf("restore %s: %w", t, err)
				}
				if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM withdrawn_%s WHERE load_id = ?`, t), m.LoadID); err != nil {
					return err
				}
			}
		}
		_, err := conn.ExecContext(ctx, `UPDATE load_manifest SET outcome = coalesce(outcome_before, 'failed'), outcome_before = NULL,
			withdrawn_reason = NULL, withdrawn_at = NULL WHERE load_id = ?`, m.LoadID)
		return err
	})
	return replaced, err
}

// loadedOf are the loads of unit and year loaded now.
func loadedOf(ctx context.Context, conn *sql.Conn, unit string, year int) ([]int64, error) {
	return warehouse.Column[int64](ctx, conn, `SELECT load_id FROM load_manifest WHERE reporting_unit = ? AND report_year = ? AND outcome = 'loaded'`, unit, year)
}

// replaceLoads takes the rows of the loads old out of the warehouse: by wins.
func replaceLoads(ctx context.Context, conn *sql.Conn, old []int64, by int64) error {
	for _, id := range old {
		for _, s := range Contract {
			if _, err := conn.ExecContext(ctx, "DELETE FROM "+s.Table+" WHERE load_id = ?", id); err != nil {
				return err
			}
		}
		for _, t := range []string{"rejects", "legacy_conversions", "load_notes"} {
			if _, err := conn.ExecContext(ctx, "DELETE FROM "+t+" WHERE load_id = ?", id); err != nil {
				return err
			}
		}
		if _, err := conn.ExecContext(ctx, "UPDATE load_manifest SET outcome = 'replaced', replaced_by = ? WHERE load_id = ?", by, id); err != nil {
			return err
		}
	}
	return nil
}

// inTx runs fn in one transaction on one connection.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return inTxConn(ctx, conn, func() error { return fn(conn) })
}
