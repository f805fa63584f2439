package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"orgqa/internal/warehouse"
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
//     always did: the run writes a working copy (internal/warehouse);
//   - every report's rows are counted in the warehouse before they are
//     committed, as they were when each report was its own transaction, but
//     once for the group (checkGroup): a count per report scanned the
//     transaction's rows of every report before it, 0,3-0,4 s of a province
//     ingest. A count that differs from what the loader handed over rolls
//     the group back and loads it again a report at a time, where the report
//     fails on its own count.

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
	oneByOne bool        // a transaction per report: a group loaded again, several units, parts (and the tests' reference)
	first    int64       // the load id its first report took (not one by one: each counts itself)
	loaded   []loadCount // the reports loaded in it, to count before the commit
}

// loadCount is what the loader handed over for a report loaded in a group.
type loadCount struct {
	loadID             int64
	path               string
	accepted, rejected int
}

// groupMark is what LoadDir had when the open group began.
type groupMark struct{ files, parts, finished int }

// warehouseFault, set by a test, makes DuckDB fail on the reports it names,
// after their rows and records are written: the warehouse refusing a report.
var warehouseFault func(path string) bool

// errRegroup: the warehouse refused a report of a group; the group is rolled back.
var errRegroup = errors.New("a report failed inside a group of reports: the group was rolled back")

// lostRowFault, set by a test, deletes the first member row of the reports it
// names once they are loaded: a row lost on its way to the warehouse.
var lostRowFault func(path string) bool

// settle commits the open group, once the warehouse holds what the loader
// handed over for each of its reports; if it does not, the group is rolled
// back (errRegroup). The last group of the night (last) goes into the file at
// once, where the others go to DuckDB's log (warehouse.CommitToFile).
func (l *Loader) settle(ctx context.Context, conn *sql.Conn, last bool) error {
	if !l.group.open {
		return nil
	}
	t0 := time.Now()
	if err := l.checkGroup(ctx, conn); err != nil {
		if errors.Is(err, errMiscounted) {
			l.Log.Warn("a group's rows are not what its reports handed over", "error", err)
			return l.rollback(ctx, conn, true, err)
		}
		return err
	}
	reports := l.group.reports
	l.group = txGroup{oneByOne: l.group.oneByOne}
	t1 := time.Now()
	var err error
	if last {
		err = warehouse.CommitToFile(ctx, conn)
	} else {
		_, err = conn.ExecContext(ctx, "COMMIT")
	}
	t2 := time.Now()
	var trimmed int64
	if !last {
		// what DuckDB's C++ objects freed for the group goes back to the
		// system, or glibc's arenas grow through the night (national
		// ingest: to 116 MiB, 8-28 in use)
		trimmed = warehouse.TrimCHeap()
	}
	l.Log.Debug("group committed", "reports", reports, "into_file", last,
		"count_seconds", t1.Sub(t0).Seconds(), "commit_seconds", t2.Sub(t1).Seconds(),
		"trim_seconds", time.Since(t2).Seconds(), "trimmed_mib", trimmed>>20)
	return err
}

// errMiscounted: the warehouse does not hold a report's rows as handed over.
var errMiscounted = errors.New("row accounting")

// checkGroup counts, in one statement, the rows of the group's reports in the
// warehouse: for each, what the loader handed over, and no rows of a load id
// the group gave a report that failed (undo deleted them).
func (l *Loader) checkGroup(ctx context.Context, conn *sql.Conn) error {
	if l.group.first == 0 {
		return nil
	}
	got, err := countRows(ctx, conn, "load_id >= $1", l.group.first)
	if err != nil {
		return err
	}
	for _, c := range l.group.loaded {
		n := got[c.loadID]
		if n != [2]int{c.accepted, c.rejected} {
			return fmt.Errorf("%w: %s (load %d): %d accepted + %d rejected handed over, %d + %d in the warehouse",
				errMiscounted, c.path, c.loadID, c.accepted, c.rejected, n[0], n[1])
		}
		delete(got, c.loadID)
	}
	for id, n := range got {
		return fmt.Errorf("%w: load %d, which was not loaded, has %d rows and %d rejected in the warehouse", errMiscounted, id, n[0], n[1])
	}
	return nil
}

// countRows is, by load id, the rows loaded (accepted) and the source rows
// rejected of the loads that match where (on load_id, with $1).
func countRows(ctx context.Context, conn *sql.Conn, where string, arg any) (map[int64][2]int, error) {
	// one count per table in a UNION ALL, not one row of scalar subqueries:
	// DuckDB runs that one 25 times slower (measured at province scale: 73 ms
	// against 3 ms a report, a third of a CSV ingest)
	var parts []string
	for _, s := range Contract {
		parts = append(parts, "SELECT load_id, false, count(*) FROM "+s.Table+" WHERE "+where+" GROUP BY load_id")
	}
	parts = append(parts, "SELECT load_id, true, count(*) FROM (SELECT DISTINCT load_id, sheet, source_row FROM rejects WHERE "+where+") GROUP BY load_id")
	rows, err := conn.QueryContext(ctx, strings.Join(parts, " UNION ALL "), arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][2]int{}
	for rows.Next() {
		var id int64
		var isReject bool
		var n int
		if err := rows.Scan(&id, &isReject, &n); err != nil {
			return nil, err
		}
		c := out[id]
		if isReject {
			c[1] += n
		} else {
			c[0] += n
		}
		out[id] = c
	}
	return out, rows.Err()
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
