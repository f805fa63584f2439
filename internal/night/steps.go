package night

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"time"

	"orgqa/ingest"
	"orgqa/internal/delivery"
	"orgqa/internal/faults"
	"orgqa/internal/history"
	"orgqa/internal/vnfmt"
	"orgqa/internal/warehouse"
	"orgqa/reports"
	"orgqa/transform"
)

// Each step caps DuckDB's memory limit (--memory-limit stays the most any step
// is given): loadMemoryLimit while reports load, buildMemoryLimit while the
// marts are built and while the outputs are written. Built at 128 MB, a
// province's statements fit without spilling (transform alone, alternating:
// 2,91-2,99 s against 2,78-3,69 s at 192 MB, peak 194-196 MiB against
// 238-244), and the nation's spill to disk instead of holding more (transform
// alone: 107,6 s, peak 277 MiB, against 98,9 s, 336 MiB; in its night's run:
// peak 304 MiB against 375). A step whose statements run out of memory at
// its cap runs again at --memory-limit (capped).
var (
	loadMemoryLimit  = "96MB"
	buildMemoryLimit = "128MB"
)

// Ingest is the session's ingest step: every new or changed report in input.
func (s *Session) Ingest(input string, force bool) (*ingest.Summary, error) {
	var sum *ingest.Summary
	s.Run.Forced = s.Run.Forced || force
	err := s.Step("ingest", func() (map[string]any, error) {
		// loading needs little of DuckDB's memory (one report's rows at a
		// time); at the full limit its buffers fill with blocks it will not
		// read again (national ingest peak: 392 MiB at 192MB, 298 at 96MB).
		// The transform's Reopen gives the full limit back.
		if _, err := s.W.CapMemory(s.Work, loadMemoryLimit); err != nil {
			return nil, err
		}
		// the loader's own goroutines (reading, parsing, appending) keep both
		// cores busy; DuckDB's statements and appends between them are small,
		// and a second DuckDB thread only waits for a core (province ingest,
		// 6 alternating pairs: 3,49-4,70 s at one thread against 3,55-4,62 s
		// at two, faster in 5 of 6, the statements after each report's rows
		// 0,33-0,44 s against 0,41-0,59 s, and 0,3-0,5 s less CPU; 3,3
		// million rows, 2 pairs: 18,2 and 15,8 s against 20,2 and 16,8 s)
		if err := s.W.OneThread(s.Work); err != nil {
			return nil, err
		}
		var err error
		sum, err = s.e.Load(s.ctx, s.W, input, force)
		if sum == nil {
			return nil, err
		}
		return s.ingested(input, sum), err
	})
	return sum, err
}

// unchanged is the ingest step of a night decided read-only (see quiet): true
// when the inbox holds nothing new, and then the step is recorded as the
// ingest that loads nothing would be.
func (s *Session) unchanged(input string) (*ingest.Summary, bool, error) {
	var units []ingest.KnownUnit
	if s.e.Config != nil {
		units = s.e.Config.Units
	}
	l := &ingest.Loader{DB: s.W.DB, Log: s.e.Log, Now: s.e.now, Units: units}
	started := time.Now()
	sum, ok, err := l.Unchanged(s.Work, input)
	if err != nil || !ok {
		return nil, false, err
	}
	st := history.Step{Name: "ingest", Started: started.UTC(), Outcome: "done", Seconds: time.Since(started).Seconds(), Figures: s.ingested(input, sum)}
	s.Run.Steps = append(s.Run.Steps, st)
	s.e.Log.Info("step done", stepArgs(st)...)
	s.seen = sum
	return sum, true, nil
}

// ingested sets the run's file and row counts from an ingest's summary, and
// returns the step's figures.
func (s *Session) ingested(input string, sum *ingest.Summary) map[string]any {
	f := &s.Run.Files
	// a file the operator withdrew, or one superseded, is unchanged input, not a failure
	f.Seen, f.Loaded, f.Skipped, f.Failed = len(sum.Files)+len(sum.Problems), sum.Count(ingest.Loaded),
		sum.Count(ingest.Skipped)+sum.Count(ingest.Withdrawn)+sum.Count(ingest.Superseded), sum.Count(ingest.Failed)+len(sum.Problems)
	for _, r := range sum.Files {
		s.Run.Rows.Read += r.Read
		s.Run.Rows.Accepted += r.Accepted
		s.Run.Rows.Rejected += r.Rejected
	}
	return map[string]any{"input": input, "files": f.Seen, "loaded": f.Loaded, "skipped": f.Skipped, "failed": f.Failed,
		"rows_read": s.Run.Rows.Read, "rows_accepted": s.Run.Rows.Accepted, "rows_rejected": s.Run.Rows.Rejected,
		"withdrawn": sum.Count(ingest.Withdrawn), "superseded": sum.Count(ingest.Superseded)}
}

// Load loads input into the open warehouse w (the ingest step's work, also
// for benchmarks on a warehouse opened directly).
func (e *Env) Load(ctx context.Context, w *warehouse.Warehouse, input string, force bool) (*ingest.Summary, error) {
	var units []ingest.KnownUnit
	if e.Config != nil {
		units = e.Config.Units
	}
	l := &ingest.Loader{DB: w.DB, Log: e.Log, Now: e.now, Force: force, Units: units}
	if e.Progress != nil {
		l.Progress = func(done, total int, path string) { e.Progress("ingest", done, total, path) }
		if e.ProgressDone != nil {
			defer e.ProgressDone()
		}
	}
	sum, err := l.LoadDir(ctx, input)
	if err != nil {
		return sum, fmt.Errorf("ingest %s: %w", input, err)
	}
	return sum, nil
}

// RejectedErr turns rejected rows or files into the "finished with rejects" error.
func RejectedErr(sum *ingest.Summary) error {
	if sum == nil || sum.Clean() {
		return nil
	}
	return fmt.Errorf("%w: %d rows rejected, %d files not loaded", ErrRejected, sum.RowsRejected(), sum.Count(ingest.Failed)+len(sum.Problems))
}

// Transform is the session's transform step; year 0 is the latest year loaded.
func (s *Session) Transform(year int) (int, error) {
	err := s.Step("transform", func() (map[string]any, error) {
		// the ingest's last group went into the file at its commit
		// (warehouse.CommitToFile), and closing checkpoints what else is in
		// the log (earlier groups, parts of split reports); opened again,
		// DuckDB lets go of what it still holds, so the transform has DuckDB's
		// memory to itself (province run: peak 464/461 -> 400/409 MiB),
		// hands back what its allocator kept from the ingest, and the
		// memory limit is the warehouse's again (see Ingest).
		if err := s.reopen("transform"); err != nil {
			return nil, err
		}
		var built, rows int
		again, err := s.capped("transform", buildMemoryLimit, func(bool) (err error) {
			built, rows, err = s.e.Build(s.Work, s.W, year)
			return err
		})
		year = built
		s.Run.Year = year
		figures := map[string]any{"year": year, "metric_rows": rows}
		if again {
			figures["again_at_memory_limit"] = true
		}
		return figures, err
	})
	return year, err
}

// ErrNoData is a transform or report on a warehouse without a loaded report.
var ErrNoData = errors.New("no reports loaded: run ingest first")

// LatestYear is the latest report year with a loaded report.
func LatestYear(ctx context.Context, db *sql.DB) (int, error) {
	var y sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(report_year) FROM load_manifest WHERE outcome = 'loaded'`).Scan(&y)
	if err != nil || !y.Valid {
		return 0, ErrNoData
	}
	return int(y.Int64), nil
}

// A year of at most oneThreadTransformRows rows loaded (about 500.000
// members: the data sets below have 3,2-3,7 rows a member) is transformed on
// one DuckDB thread. The models' statements on a province's rows do not spread
// over two cores: a second thread costs CPU and gains nothing, and on this
// machine's two cores it takes a little time too. On larger years it pays,
// and one thread is not enough: the nation's int_member_at (5,9 million
// members) runs out of memory at 192 MB on one thread. Transform alone,
// alternating, one thread against two:
//   - 176.428 members, 648.830 rows: 3,27-4,08 s against 3,26-4,81 s,
//     faster in 5 of 6;
//   - 347.502 members, 1.168.032 rows: 4,30-4,71 s against 4,47-5,12 s,
//     and a third less CPU;
//   - 524.529 members, 1.701.248 rows: 5,88 / 7,31 / 6,48 s against 5,87 /
//     7,54 / 6,49 s, a quarter less CPU;
//   - 1.059.724 members, 3.293.090 rows: 11,8 s against 8,5 s.
var oneThreadTransformRows int64 = 1_800_000

// Build builds the year's marts (year 0: the latest loaded) in the open
// warehouse w, and returns the year and its metric rows.
func (e *Env) Build(ctx context.Context, w *warehouse.Warehouse, year int) (_, rows int, err error) {
	if year == 0 {
		if year, err = LatestYear(ctx, w.DB); err != nil {
			return 0, 0, err
		}
	}
	models, err := transform.Load(e.Models, transform.Sources())
	if err != nil {
		return year, 0, err
	}
	rules := e.Config.Rules
	params, err := rules.Params(year)
	if err != nil {
		return year, 0, err
	}
	tests, err := transform.LoadTests(e.Tests)
	if err != nil {
		return year, 0, err
	}
	// the year's rows from the manifest, not a count of the members: a scan
	// of the largest table right before the nation's transform, which runs
	// near DuckDB's memory limit
	var loaded int64
	if err := w.DB.QueryRowContext(ctx, `SELECT coalesce(sum(rows_accepted), 0) FROM load_manifest
			WHERE report_year = ? AND outcome = 'loaded'`, year).Scan(&loaded); err != nil {
		return year, 0, err
	}
	oneThread := loaded <= oneThreadTransformRows
	e.Log.Debug("transform threads", "year", year, "rows", loaded, "one_thread", oneThread)
	if oneThread {
		if err := w.OneThread(ctx); err != nil {
			return year, 0, err
		}
	}
	if err := transform.Run(ctx, w.DB, models, tests, params, e.Log); err != nil {
		return year, 0, fmt.Errorf("transform %d: %w", year, err)
	}
	if err := w.DB.QueryRowContext(ctx, `SELECT count(*) FROM mart_metrics WHERE year = ?`, year).Scan(&rows); err != nil {
		return year, 0, err
	}
	e.Log.Debug("transform", "year", year, "rule_set", params.RuleSet.ID, "config_sha256", params.ConfigSHA256[:12], "models", len(models))
	return year, rows, nil
}

// WorkbookPath is where the year's province workbook is read: the latest run's folder.
func WorkbookPath(output string, year int) string {
	return filepath.Join(output, "excel", delivery.Latest, WorkbookName(year))
}

// WorkbookName is the year's province workbook.
func WorkbookName(year int) string { return fmt.Sprintf("tong-hop-tccs-%d.xlsx", year) }

// ReportResult is what the report step wrote into the staging folder.
type ReportResult struct {
	Excel   *reports.ExcelReport
	Parquet []reports.ParquetFile
	Rejects []reports.RejectsWorkbook
	Units   []string
}

// Report is the session's report step: the year's outputs into the staging folder.
func (s *Session) Report(year int, perUnit bool) (*ReportResult, error) {
	var res *ReportResult
	err := s.Step("report", func() (map[string]any, error) {
		// what DuckDB kept from the transform would sit under the report's
		// own peak: closed and opened again, it starts from the file alone
		// (national run, RSS sampled each second in the report: 497-521 MiB
		// before, 442 MiB with it)
		if err := s.reopen("report"); err != nil {
			return nil, err
		}
		atOnce, err := s.e.atOnce(s.Work, s.W, year)
		if err != nil {
			return nil, err
		}
		// written beside the workbooks, the metrics file's sort and the
		// organizations' pivot share DuckDB's memory: at the cap they ran
		// out of it on a province (2 of 6 reports). In turn, capped: the
		// nation's report alone peaked at 281-287 MiB against 367, in 40 s
		// against 25 (the sort spills)
		limit := buildMemoryLimit
		if atOnce {
			limit = ""
		}
		again, err := s.capped("report", limit, func(underCap bool) (err error) {
			res, err = s.e.write(s.Work, s.W, year, s.staging, perUnit, atOnce, underCap)
			return err
		})
		if res == nil || res.Excel == nil {
			return nil, err
		}
		var rows int64
		for _, f := range res.Parquet {
			rows += f.Rows
		}
		figures := map[string]any{"year": year, "reporting_units": res.Excel.ReportingUnits, "organizations": res.Excel.Organizations,
			"parquet_files": len(res.Parquet), "parquet_rows": rows, "rejects_workbooks": len(res.Rejects), "unit_workbooks": len(res.Units)}
		if again {
			figures["again_at_memory_limit"] = true
		}
		return figures, err
	})
	return res, err
}

// reopen closes the warehouse and opens it again before a step, so that
// DuckDB lets go of what an earlier step of the session left it holding (see
// warehouse.Reopen). Before the session's first step there is none: the file
// was opened for this step moments ago (orgqa transform, orgqa report alone),
// and a reopen would only cost a close and an open (province, 5 alternating
// pairs: the transform 3,38-4,11 s against 3,66-4,32, the report 0,97-1,17 s
// against 0,99-1,19, peaks the same).
func (s *Session) reopen(step string) error {
	if len(s.Run.Steps) == 0 {
		return nil
	}
	if err := s.W.Reopen(s.Work); err != nil {
		return fmt.Errorf("reopen before the %s: %w", step, err)
	}
	return nil
}

// capped runs a step's work with DuckDB's memory limit capped at limit
// (none: "", the work as it is), telling it whether it runs under the cap
// (underCap: it may lower the limit further for a part of its own). When the
// work runs out of memory under the cap, the warehouse is opened again (at
// --memory-limit, with what the failed attempt held let go) and the work runs
// again, once: the cap saves memory on the nights it is enough for, and never
// costs a night (again: it ran twice). The work must leave nothing behind
// when it fails (the transform rolls back; the report writes its files under
// temporary names).
func (s *Session) capped(step, limit string, work func(underCap bool) error) (again bool, err error) {
	if limit == "" {
		return false, work(false)
	}
	lowered, err := s.W.CapMemory(s.Work, limit)
	if err != nil {
		return false, err
	}
	err = work(lowered)
	if err == nil || !lowered || !warehouse.OutOfMemory(err) {
		return false, err
	}
	s.e.Log.Warn("out of memory at the step's cap: running it again at --memory-limit", "step", step,
		"cap", limit, "memory_limit", s.e.MemoryLimit, "error", err)
	if err := s.W.Reopen(s.Work); err != nil {
		return true, fmt.Errorf("reopen after running out of memory: %w", err)
	}
	return true, work(false)
}

// workbookGoMemoryLimit is Go's soft memory limit while the leadership
// workbook is written (unless GOMEMLIMIT is set). The nation's workbook holds
// about 80 MB live at its most (each sheet's XML, up to 16 MiB, stays in
// excelize's stream buffer until the file is saved; the attention list is
// sorted in memory), and Go let the heap double beyond it. The nation's
// report alone, capped (buildMemoryLimit): peak 293 MiB against 313 at 128 MiB
// and 315 without; a province's workbook is far below it (report alone,
// alternating: 0,79-1,11 s against 0,96-1,03 s without).
const workbookGoMemoryLimit = 96 << 20

// A year's Parquet files are written while its workbooks are when it has at
// most concurrentReportRows metric rows and concurrentReportRejects rejected
// rows (a province has about 270.000 and a few hundred); above either they
// take turns, so that what DuckDB holds for the files is not on top of the
// workbooks' Go values: the nation's metrics file sorts 9,2 million rows, the
// report's memory peak, and a million rejected rows make a return workbook and
// a Parquet file of a million rows each (at once, that night peaked at 679 and
// 696 MiB; in turn at 613-713, a night whose peak varies that much).
var (
	concurrentReportRows    int64 = 1_000_000
	concurrentReportRejects int64 = 100_000
)

// writeExcel writes the leadership workbook with Go's soft memory limit at
// workbookGoMemoryLimit (unless GOMEMLIMIT is set), and only it: what comes
// after may hold more than that live (a million rejected rows' return
// workbook and Parquet file: up to 119 MiB), and would only collect more often.
func writeExcel(ctx context.Context, db *sql.DB, year int, path string, now time.Time) (*reports.ExcelReport, error) {
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(workbookGoMemoryLimit))
	}
	return reports.WriteExcel(ctx, db, year, path, now)
}

// atOnce says whether the year's Parquet files are written beside its
// workbooks (see concurrentReportRows).
func (e *Env) atOnce(ctx context.Context, w *warehouse.Warehouse, year int) (bool, error) {
	var rows, rejected int64
	if err := w.DB.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM mart_metrics WHERE year = $1),
			(SELECT count(*) FROM rejects WHERE report_year = $1)`, year).Scan(&rows, &rejected); err != nil {
		return false, err
	}
	atOnce := rows <= concurrentReportRows && rejected <= concurrentReportRejects
	e.Log.Debug("report", "year", year, "metric_rows", rows, "rejected_rows", rejected, "parquet_beside_workbooks", atOnce)
	return atOnce, nil
}

// write writes the year's workbooks and Parquet files under root, the
// Parquet files beside the workbooks when atOnce, else after every workbook,
// the metrics file last, under metricsMemoryLimit when underCap (the step
// runs under its cap, not again at --memory-limit).
func (e *Env) write(ctx context.Context, w *warehouse.Warehouse, year int, root string, perUnit, atOnce, underCap bool) (*ReportResult, error) {
	res := &ReportResult{}
	// The workbooks are mostly Go's work and the Parquet files DuckDB's, each
	// on about one core: on a second connection the longest file (the
	// metrics) is written while the workbooks are, and the others after them
	// (province: the workbooks take 0,6 s, the metrics file 0,8-0,9 s).
	var parquetErr error
	var longest []reports.ParquetFile
	parquetDone := make(chan struct{})
	if atOnce {
		// each side on one core: DuckDB's second thread would only take
		// turns with the workbooks' goroutine (province report, at once:
		// 0,84-1,11 s at one thread against 0,96-1,34 s at two, faster in 7
		// alternating pairs of 7)
		if err := w.OneThread(ctx); err != nil {
			return res, err
		}
		pctx, cancel := context.WithCancel(ctx)
		defer func() { cancel(); <-parquetDone }()
		r := w.Reader()
		go func() {
			defer close(parquetDone)
			defer r.Close()
			longest, parquetErr = reports.WriteParquetOf(pctx, r, year, root, onlyLongest)
		}()
	}
	var err error
	if res.Excel, err = writeExcel(ctx, w.DB, year, filepath.Join(root, "excel", WorkbookName(year)), e.now()); err != nil {
		return res, err
	}
	faults.Point("report.excel")
	var rest []reports.ParquetFile
	if atOnce {
		if rest, err = reports.WriteParquetOf(ctx, w.DB, year, root, allButLongest); err != nil {
			return res, err
		}
	}
	if res.Rejects, err = reports.WriteRejects(ctx, w.DB, year, root, e.now()); err != nil {
		return res, err
	}
	for _, r := range res.Rejects {
		if r.NotMarked != "" && !r.Unmarkable {
			e.Log.Warn("the unit's own workbook could not be marked: it gets the list only", "unit", r.Unit, "why", r.NotMarked)
		}
	}
	if perUnit {
		if res.Units, err = reports.WriteUnitWorkbooks(ctx, w.DB, year, root, e.now()); err != nil {
			return res, err
		}
	}
	if atOnce {
		<-parquetDone
		res.Parquet = append(longest, rest...) // the contract's order: the metrics first
		return res, parquetErr
	}
	res.Parquet, err = writeParquetInTurn(ctx, w, year, root, underCap)
	return res, err
}

// metricsMemoryLimit is DuckDB's memory limit for the metrics file when the
// report writes its files in turn under its cap. The metrics file's sort was
// then the report's memory peak: the nation's 8,9 million rows spill either
// way, and at 96 MB DuckDB and its allocator hold less for no more time (its
// COPY alone, one thread: 192 MiB in 19,4 s against 243 MiB in 26,7 s at
// 128 MB; the nation's report alone, 2 alternating pairs: the file's part at
// 204-220 MiB against 247-257, the step 33,2-36,9 s against 34,9 s). The
// organizations' pivot does not build at 96 MB, so the metrics file is
// written last, when nothing else is left to write.
const metricsMemoryLimit = "96MB"

// writeParquetInTurn writes the year's Parquet files after the workbooks,
// on one DuckDB thread, the metrics file last, under metricsMemoryLimit when
// underCap; in the contract's order (the metrics first).
func writeParquetInTurn(ctx context.Context, w *warehouse.Warehouse, year int, root string, underCap bool) ([]reports.ParquetFile, error) {
	// the workbooks' Go values are garbage now, and DuckDB's sorts come next:
	// hand the heap's free pages back rather than hold both at once
	debug.FreeOSMemory()
	warehouse.TrimCHeap()
	// and one thread: at the step's cap (buildMemoryLimit), the nation's
	// metrics file ran out of memory sorting on two
	if err := w.OneThread(ctx); err != nil {
		return nil, err
	}
	rest, err := reports.WriteParquetOf(ctx, w.DB, year, root, allButLongest)
	if err != nil {
		return nil, err
	}
	if underCap {
		if _, err := w.CapMemory(ctx, metricsMemoryLimit); err != nil {
			return nil, err
		}
	}
	metrics, err := reports.WriteParquetOf(ctx, w.DB, year, root, onlyLongest)
	if err != nil {
		return nil, err
	}
	return append(metrics, rest...), nil
}

// onlyLongest and allButLongest pick the Parquet files written apart: the
// longest (reports.LongestParquet) and the others.
func onlyLongest(dir string) bool   { return dir == reports.LongestParquet }
func allButLongest(dir string) bool { return dir != reports.LongestParquet }

// Built is one year's outputs, staged by the report step.
type Built struct {
	Year        int
	Fingerprint string // the warehouse state they show
	Res         *ReportResult
}

// Publication is what a publish put in place, for the caller to show.
type Publication struct {
	Folder    string // the run's dated folder
	Latest    string // <output>/excel/latest
	Workbooks []string
	Parquet   []string
	Rejects   []Delivered // the return workbooks, under Latest
	Units     map[int]int // per-unit workbooks written, per year
}

// Delivered is a workbook to send back to a unit.
type Delivered struct {
	Path     string
	Problems int
	Unit     string
	Marked   string // the unit's own workbook, its problems marked; "" if none
}

// Publish puts the staged outputs of the years built in place (at a safe
// point: a stop before it leaves the outputs of the last run), then sends the
// email. backed are the years with an accepted report: the others are no
// longer carried into latest/.
func (s *Session) Publish(perUnit bool, built []Built, backed map[int]bool) (*Publication, error) {
	var pub *delivery.Published
	years := delivery.Years{Backed: backed}
	for _, b := range built {
		years.Built = append(years.Built, b.Year)
	}
	err := s.Step("publish", func() (map[string]any, error) {
		var err error
		pub, err = delivery.Publish(s.staging, s.output, s.folder, years, s.cfg.Delivery.KeepRuns)
		if pub == nil {
			return nil, err
		}
		return map[string]any{"folder": pub.Folder, "years": years.Built, "parquet_files": len(pub.Parquet), "carried_over": len(pub.Carried),
			"dropped": len(pub.Dropped), "pruned": len(pub.Pruned)}, err
	})
	if err != nil {
		return nil, err
	}
	newest := built[len(built)-1]
	s.Run.Published, s.Run.Fingerprint = filepath.Base(pub.Folder), newest.Fingerprint
	m := &delivery.Marker{RunID: s.Run.ID, PerUnit: perUnit, Folder: filepath.Base(pub.Folder), Published: s.e.now().UTC(), Years: map[int]string{}}
	if old, _ := delivery.ReadMarker(s.output); old != nil && (old.PerUnit || !perUnit) {
		// the years carried over keep what they showed
		for y := range backed {
			if fp := old.Shows(y); fp != "" {
				m.Years[y] = fp
			}
		}
	}
	for _, b := range built {
		m.Years[b.Year] = b.Fingerprint
	}
	for y, fp := range m.Years {
		if y > m.Year {
			m.Year, m.Fingerprint = y, fp
		}
	}
	s.marker = m
	p := &Publication{Folder: pub.Folder, Latest: filepath.Join(s.output, "excel", delivery.Latest), Parquet: pub.Parquet, Units: map[int]int{}}
	for _, b := range built {
		p.Workbooks = append(p.Workbooks, filepath.Join(p.Latest, WorkbookName(b.Year)))
		for _, r := range b.Res.Rejects {
			rel, _ := filepath.Rel(filepath.Join(s.staging, "excel"), r.Path)
			d := Delivered{Path: filepath.Join(p.Latest, rel), Problems: r.Problems, Unit: r.Unit}
			if r.Marked != "" {
				rel, _ := filepath.Rel(filepath.Join(s.staging, "excel"), r.Marked)
				d.Marked = filepath.Join(p.Latest, rel)
			}
			p.Rejects = append(p.Rejects, d)
		}
		if len(b.Res.Units) > 0 {
			p.Units[b.Year] = len(b.Res.Units)
		}
	}
	for _, b := range built {
		s.email(b.Year, pub, b.Res)
	}
	return p, nil
}

// email sends the province workbook when the config asks for it, after the
// nightly run only (an analyst's orgqa report mails nobody). A refused or
// unreachable server does not fail the run: the delivery is recorded as failed.
func (s *Session) email(year int, pub *delivery.Published, res *ReportResult) {
	cfg := s.cfg.Email
	if cfg == nil || s.Run.Command != "run" {
		return
	}
	d := history.Delivery{Kind: "email", To: cfg.To}
	// the step records and logs a failure like any other; the run ignores it
	s.Step("email", func() (map[string]any, error) {
		var err error
		if pub.Workbook(year) == "" {
			d.Skipped = delivery.ErrNoWorkbook.Error()
		} else if err = delivery.Send(cfg, s.emailMessage(year, pub, res)); err != nil {
			d.Error = err.Error()
			err = fmt.Errorf("email not delivered; the run goes on: %w", err)
		} else {
			d.OK = true
		}
		return map[string]any{"year": year, "to": strings.Join(cfg.To, ", "), "ok": d.OK}, err
	})
	s.Run.Deliveries = append(s.Run.Deliveries, d)
}

// emailMessage is the email leadership gets: in Vietnamese, with the run's summary.
func (s *Session) emailMessage(year int, pub *delivery.Published, res *ReportResult) delivery.Message {
	r := s.Run
	now := s.e.now()
	var b strings.Builder
	fmt.Fprintf(&b, "Kính gửi các đồng chí,\n\nBáo cáo tổng hợp chất lượng tổ chức cơ sở đảng năm %d (lần chạy %d, lập lúc %s ngày %s) đính kèm thư này.\n\n",
		year, r.ID, now.Format("15:04"), vnfmt.Date(now))
	fmt.Fprintf(&b, "- Đơn vị báo cáo có số liệu: %s\n", vnfmt.Int(int64(res.Excel.ReportingUnits)))
	fmt.Fprintf(&b, "- Tổ chức cơ sở đảng: %s\n", vnfmt.Int(int64(res.Excel.Organizations)))
	fmt.Fprintf(&b, "- Tệp nhận được đêm nay: %s (nạp mới %s, không đổi %s, không nạp được %s)\n",
		vnfmt.Int(int64(r.Files.Seen)), vnfmt.Int(int64(r.Files.Loaded)), vnfmt.Int(int64(r.Files.Skipped)), vnfmt.Int(int64(r.Files.Failed)))
	fmt.Fprintf(&b, "- Dòng dữ liệu mới: %s, trong đó bị từ chối %s\n", vnfmt.Int(int64(r.Rows.Read)), vnfmt.Int(int64(r.Rows.Rejected)))
	if len(res.Rejects) > 0 {
		fmt.Fprintf(&b, "- %s đơn vị có dữ liệu bị trả lại (xem thư mục tra-lai)\n", vnfmt.Int(int64(len(res.Rejects))))
	}
	fmt.Fprintf(&b, "\nBản mới nhất luôn ở: %s\n\nThư này do orgqa gửi tự động; xin đừng trả lời.\n", pub.Workbook(year))
	return delivery.Message{
		Subject:    fmt.Sprintf("Báo cáo tổng hợp chất lượng tổ chức cơ sở đảng năm %d (%s)", year, vnfmt.Date(now)),
		Body:       b.String(),
		Attachment: pub.Workbook(year),
		Date:       now,
	}
}
