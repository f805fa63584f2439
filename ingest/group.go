package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Reports are committed in groups. Each report was its own transaction, and
// DuckDB's COMMIT of a report's few thousand rows costs about as much as
// loading them: at province scale 120 commits were a quarter of the ingest
// (5,1-5,4 s with them, 3,8-4,0 s in one transaction). So a transaction now
// holds consecutive reports until groupRows rows are in it, and what each
// report means to the night does not change:
//
//   - a report that fails on what the loader decides (a missing column, a
//     bad ThongTin, several units, a rival prepared later: undoable) has its
//     rows deleted by its load id inside the transaction, exactly what a
//     rollback of its own transaction did, and is recorded as before;
//   - a report the warehouse refuses (an error from DuckDB) rolls back the
//     whole group, and the group is loaded again a report at a time, from
//     the state before it, as if never grouped (LoadDir; errRegroup);
//   - a several-unit workbook and the parts of split reports, which have
//     transactions of their own, begin after the group is committed;
//   - a process killed meanwhile leaves the live warehouse as it was, as it
//     always did: the run writes a working copy (internal/warehouse).

// groupRows is how many rows a group may hold before it is committed: a
// province's reports are one group (648.830 rows), a national night's about 20.
// DuckDB writes a group's rows to the file as its row groups fill, so the
// memory does not grow with it (province ingest: 187-193 MiB in one group,
// 199-205 MiB in groups of 150.000 rows, 193-200 MiB a report at a time).
const groupRows = 1_000_000

// txGroup is the open transaction's reports.
type txGroup struct {
	open     bool // a transaction is open
	reports  int  // reports whose work is in it
	rows     int
	oneByOne bool // a transaction per report: a group loaded again, several units, parts (and the tests' reference)
}

// groupMark is what LoadDir had when the open group began.
type groupMark struct{ files, parts, finished int }

// warehouseFault, set by a test, makes DuckDB fail on the reports it names,
// after their rows and records are written: the warehouse refusing a report.
var warehouseFault func(path string) bool

// errRegroup: the warehouse refused a report of a group; the group is rolled back.
var errRegroup = errors.New("a report failed inside a group of reports: the group was rolled back")

// settle commits the open group.
func (l *Loader) settle(ctx context.Context, conn *sql.Conn) error {
	if !l.group.open {
		return nil
	}
	l.group = txGroup{oneByOne: l.group.oneByOne}
	_, err := conn.ExecContext(ctx, "COMMIT")
	return err
}

// rollback rolls the open transaction back after cause: cause when the
// transaction held this report alone, errRegroup when it held others.
func (l *Loader) rollback(ctx context.Context, conn *sql.Conn, grouped bool, cause error) error {
	l.group = txGroup{oneByOne: l.group.oneByOne}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return fmt.Errorf("rollback after %v: %w", cause, err)
	}
	if grouped {
		return errRegroup
	}
	return cause
}

// undoable says whether a report's failure is the loader's own decision, made
// before the report wrote anything but its rows (so DuckDB's transaction is
// as good as before it).
func undoable(err error) bool {
	var fe *FileError
	var su *severalUnits
	var se *supersedeError
	return errors.As(err, &fe) || errors.As(err, &su) || errors.As(err, &se)
}

// undo deletes the rows a report appended, in the open transaction; the
// report now counts as part of the group (its failure is recorded in it).
func (l *Loader) undo(ctx context.Context, conn *sql.Conn, loadID int64) error {
	for _, t := range withdrawnTables() { // the tables holding a load's rows
		if _, err := conn.ExecContext(ctx, `DELETE FROM `+t+` WHERE load_id = ?`, loadID); err != nil {
			return err
		}
	}
	l.group.reports++
	l.Log.Debug("a failed report's rows deleted inside its group", "load_id", loadID)
	return nil
}

// reload reads again, after a group was rolled back, what the loader keeps
// of the warehouse: the claims and units committed, and the units accepted
// this night before the group (the units of its reports loaded before).
func (l *Loader) reload(ctx context.Context, conn *sql.Conn, before []FileResult) error {
	claims, err := loadClaims(ctx, conn)
	if err != nil {
		return err
	}
	units, err := loadUnits(ctx, conn, l.Units)
	if err != nil {
		return err
	}
	for _, r := range before {
		if r.Outcome == Loaded {
			units.accepted(r.Unit)
		}
	}
	l.claims, l.units = claims, units
	return nil
}

// querier is a *sql.DB or a *sql.Conn.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
