package night

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"orgqa/ingest"
	"orgqa/internal/delivery"
	"orgqa/internal/history"
	"orgqa/internal/warehouse"
)

// RunOptions are the nightly run's.
type RunOptions struct {
	Input, Output string
	Year          int  // 0: every year whose inputs changed
	PerUnit       bool // also one workbook per reporting unit
	Force         bool // reload every report, transform and publish even if nothing changed
}

// RunResult is what a night did, for the caller to show.
type RunResult struct {
	NoChange    bool  // nothing new: the outputs published by run SinceRun are current
	SinceRun    int64 // when NoChange
	Publication *Publication
}

// Run is the nightly job: ingest, then transform, report and publish every
// year whose inputs changed since its outputs were published, oldest first
// (a year's trend reads the year before's marts). The error is ErrRejected
// (wrapped) when some input was rejected, a *YearError for a --year no
// accepted report backs, a LockedError when another run holds the lock.
func (e *Env) Run(ctx context.Context, o RunOptions) (*RunResult, error) {
	res := &RunResult{}
	var probe func(s *Session) (bool, error)
	if !o.Force {
		// most nights: decided from the live warehouse, read-only, not copied
		probe = func(s *Session) (bool, error) {
			sum, unchanged, err := s.unchanged(o.Input)
			if err != nil || !unchanged {
				return false, err
			}
			p, err := s.plan(o, sum)
			if err != nil || len(p.years) > 0 {
				return false, err
			}
			p.noChange(s, res)
			return true, RejectedErr(sum)
		}
	}
	err := e.session(ctx, "run", o.Output, sessionWay{probe: probe}, func(s *Session) error {
		*res = RunResult{}
		sum, err := s.Ingest(o.Input, o.Force)
		if err != nil {
			return err
		}
		p, err := s.plan(o, sum)
		if err != nil {
			return err
		}
		if len(p.years) == 0 {
			p.noChange(s, res)
			return RejectedErr(sum)
		}
		plan, fps, backed := p.years, p.fps, p.backed
		if o.Year == 0 {
			if err := s.dropYears(backed); err != nil {
				return err
			}
		}
		var built []Built
		for i, y := range plan {
			s.Run.Year = y
			fp := fps[y]
			last, err := history.LastFingerprint(s.Work, s.W.DB, y)
			if err != nil {
				return err
			}
			if !o.Force && last == fp && i == len(plan)-1 {
				// a run built these marts and died before its outputs were all out
				s.Skip("transform", "the marts are current (an earlier run built them but did not finish publishing)")
			} else {
				if _, err := s.Transform(y); err != nil {
					return err
				}
				if fp, err = s.Fingerprint(y); err != nil {
					return err
				}
			}
			r, err := s.Report(y, o.PerUnit)
			if err != nil {
				return err
			}
			built = append(built, Built{Year: y, Fingerprint: fp, Res: r})
		}
		if res.Publication, err = s.Publish(o.PerUnit, built, backed); err != nil {
			return err
		}
		return RejectedErr(sum)
	})
	return res, err
}

// nightPlan is what a night decided after its ingest: the years to rebuild.
type nightPlan struct {
	years  []int          // to rebuild and publish, oldest first; none: nothing new
	fps    map[int]string // every target year's fingerprint
	backed map[int]bool   // the years with an accepted report
	latest int
	marker *delivery.Marker
}

// plan decides, after the ingest, which years the night rebuilds (reading the
// warehouse only).
func (s *Session) plan(o RunOptions, sum *ingest.Summary) (*nightPlan, error) {
	years, err := LoadedYears(s.Work, s.W.DB)
	if err != nil {
		return nil, err
	}
	if len(years) == 0 {
		return nil, errors.New("no loadable report found in " + o.Input + " nor in the warehouse")
	}
	targets := years
	if o.Year != 0 {
		if err := RequireYear(years, o.Year); err != nil {
			return nil, err
		}
		targets = []int{o.Year}
	}
	p := &nightPlan{fps: map[int]string{}, backed: map[int]bool{}, latest: targets[len(targets)-1]}
	for _, y := range years {
		p.backed[y] = true
	}
	p.marker, _ = delivery.ReadMarker(o.Output)
	for _, y := range targets {
		if p.fps[y], err = s.Fingerprint(y); err != nil {
			return nil, err
		}
		if o.Force || !delivery.Current(o.Output, p.marker, p.fps[y], y, o.PerUnit) {
			p.years = append(p.years, y)
		}
	}
	if len(p.years) == 0 && o.Year == 0 && p.marker != nil && len(unbacked(p.marker, p.backed)) > 0 {
		p.years = []int{p.latest} // a new latest/ without the years no report backs any more
	}
	return p, nil
}

// noChange records a night whose published outputs are current.
func (p *nightPlan) noChange(s *Session, res *RunResult) {
	why := fmt.Sprintf("no new or changed input since run %d: its outputs are current", p.marker.RunID)
	s.Skip("transform", why)
	s.Skip("report", why)
	s.Run.Year = p.latest
	s.Run.Outcome, s.Run.Fingerprint, s.Run.Published = history.NoChange, p.fps[p.latest], p.marker.Folder
	res.NoChange, res.SinceRun = true, p.marker.RunID
}

// Report writes and publishes one year's outputs (year 0: the latest loaded).
func (e *Env) Report(ctx context.Context, output string, year int, perUnit bool) (*Publication, error) {
	var pub *Publication
	// the report writes nothing into the warehouse but its record: on the
	// live file read-only, not a working copy (see onLiveFile)
	err := e.session(ctx, "report", output, sessionWay{readsOnly: true}, func(s *Session) (err error) {
		if year == 0 {
			if year, err = LatestYear(s.Work, s.W.DB); err != nil {
				return err
			}
		}
		years, err := LoadedYears(s.Work, s.W.DB)
		if err != nil {
			return err
		}
		if err := RequireYear(years, year); err != nil {
			return err
		}
		s.Run.Year = year
		fp, err := s.Fingerprint(year)
		if err != nil {
			return err
		}
		res, err := s.Report(year, perUnit)
		if err != nil {
			return err
		}
		backed := map[int]bool{}
		for _, y := range years {
			backed[y] = true
		}
		pub, err = s.Publish(perUnit, []Built{{Year: year, Fingerprint: fp, Res: res}}, backed)
		return err
	})
	return pub, err
}

// Transform builds one year's marts (year 0: the latest loaded).
func (e *Env) Transform(ctx context.Context, year int) error {
	return e.Session(ctx, "transform", "", func(s *Session) error {
		if year != 0 {
			years, err := LoadedYears(s.Work, s.W.DB)
			if err != nil {
				return err
			}
			if err := RequireYear(years, year); err != nil {
				return err
			}
		}
		_, err := s.Transform(year)
		return err
	})
}

// Ingest loads the new or changed reports of input.
func (e *Env) Ingest(ctx context.Context, input string, force bool) error {
	var probe func(s *Session) (bool, error)
	if !force { // an inbox with nothing new: decided read-only, as a night is (see quiet)
		probe = func(s *Session) (bool, error) {
			sum, unchanged, err := s.unchanged(input)
			if err != nil || !unchanged {
				return false, err
			}
			return true, RejectedErr(sum)
		}
	}
	return e.session(ctx, "ingest", "", sessionWay{probe: probe}, func(s *Session) error {
		sum, err := s.Ingest(input, force)
		if err != nil {
			return err
		}
		return RejectedErr(sum)
	})
}

// Withdraw takes a report (a load, or a file) out of the warehouse with a
// reason, as a run of its own in the history.
func (e *Env) Withdraw(ctx context.Context, load int64, file, reason string) (*ingest.ManifestEntry, error) {
	var m *ingest.ManifestEntry
	err := e.Session(ctx, "files withdraw", "", func(s *Session) (err error) {
		if m, err = ingest.FindLoad(s.Work, s.W.DB, load, file, ingest.Loaded, ingest.Failed); err != nil {
			return err
		}
		if err := ingest.Withdraw(s.Work, s.W.DB, m, reason, time.Now()); err != nil {
			return err
		}
		s.Run.Year = m.Year
		s.Run.Steps = append(s.Run.Steps, history.Step{Name: "withdraw", Started: time.Now().UTC(), Outcome: "done",
			Figures: map[string]any{"load": m.LoadID, "unit": m.Unit, "year": m.Year, "file": m.Path, "rows": m.Accepted + m.Rejected, "reason": reason}})
		return nil
	})
	return m, err
}

// Restore undoes a withdrawal; replaced are the loads the restored report
// replaces (of its unit and year, loaded meanwhile).
func (e *Env) Restore(ctx context.Context, load int64, file string) (m *ingest.ManifestEntry, replaced []int64, err error) {
	err = e.Session(ctx, "files restore", "", func(s *Session) (err error) {
		if m, err = ingest.FindLoad(s.Work, s.W.DB, load, file, ingest.Withdrawn); err != nil {
			return err
		}
		if replaced, err = ingest.Restore(s.Work, s.W.DB, m); err != nil {
			return err
		}
		s.Run.Year = m.Year
		s.Run.Steps = append(s.Run.Steps, history.Step{Name: "restore", Started: time.Now().UTC(), Outcome: "done",
			Figures: map[string]any{"load": m.LoadID, "unit": m.Unit, "year": m.Year, "file": m.Path, "replaced": replaced}})
		return nil
	})
	return m, replaced, err
}

// LoadedYears are the report years with an accepted report, oldest first.
func LoadedYears(ctx context.Context, db *sql.DB) ([]int, error) {
	return warehouse.Column[int](ctx, db, `SELECT DISTINCT report_year FROM load_manifest WHERE outcome = 'loaded' ORDER BY 1`)
}

// YearError is a --year no accepted report backs: its outputs would show
// nothing as if it were the province's figures.
type YearError struct {
	Year int
	Have []int // the years with reports
}

func (e *YearError) Error() string {
	have := "none"
	if len(e.Have) > 0 {
		ys := make([]string, len(e.Have))
		for i, y := range e.Have {
			ys[i] = fmt.Sprint(y)
		}
		have = strings.Join(ys, ", ")
	}
	return fmt.Sprintf("--year %d: no accepted report of %d in the warehouse (years with reports: %s); nothing was built or published", e.Year, e.Year, have)
}

// RequireYear refuses a year that is not among years.
func RequireYear(years []int, year int) error {
	for _, y := range years {
		if y == year {
			return nil
		}
	}
	return &YearError{Year: year, Have: years}
}

// unbacked are the years the published outputs show that no accepted report
// backs any more.
func unbacked(m *delivery.Marker, backed map[int]bool) []int {
	var out []int
	seen := map[int]bool{}
	for y := range m.Years {
		seen[y] = true
	}
	seen[m.Year] = true
	for y := range seen {
		if y != 0 && !backed[y] {
			out = append(out, y)
		}
	}
	sort.Ints(out)
	return out
}

// dropYears removes the marts' rows of years no accepted report backs any
// more (every report of the year withdrawn), so analysts querying the
// warehouse see what the outputs show. The rows are in tables: mart_metrics
// is the view of int_metrics (the last year built) and of its own tables.
func (s *Session) dropYears(backed map[int]bool) error {
	tables, err := warehouse.Column[string](s.Work, s.W.DB, `SELECT DISTINCT table_name FROM duckdb_columns() JOIN duckdb_tables() USING (database_name, schema_name, table_name)
		WHERE column_name = 'year' AND (table_name LIKE 'mart\_%' ESCAPE '\' OR table_name IN ('data_test_results', 'int_metrics')) ORDER BY 1`)
	if err != nil {
		return err
	}
	keep := make([]string, 0, len(backed))
	for y := range backed {
		keep = append(keep, fmt.Sprint(y))
	}
	for _, t := range tables {
		q := fmt.Sprintf(`DELETE FROM %s WHERE year NOT IN (%s)`, t, strings.Join(keep, ", "))
		if _, err := s.W.DB.ExecContext(s.Work, q); err != nil {
			return fmt.Errorf("drop years: %s: %w", t, err)
		}
	}
	return nil
}
