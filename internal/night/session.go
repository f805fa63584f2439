// Package night is orgqa's run as a library: a Session holds the run lock and
// a working copy of the warehouse, runs the steps (ingest, transform, report,
// publish, email), records itself in the run history and commits; Run is the
// nightly job, deciding which years to rebuild. The command line (cmd/orgqa)
// keeps flags, printing and exit codes, and tests can drive a night without it.
package night

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"time"

	"orgqa/ingest"
	"orgqa/internal/config"
	"orgqa/internal/delivery"
	"orgqa/internal/faults"
	"orgqa/internal/history"
	"orgqa/internal/runlock"
	"orgqa/internal/warehouse"
)

// LockedError is a run refused because another holds the lock.
type LockedError struct{ *runlock.LockedError }

// ErrRejected marks a run that finished with rejected input.
var ErrRejected = errors.New("some input was rejected")

// Env is what a session needs from its caller.
type Env struct {
	Log           *slog.Logger
	Now           func() time.Time // the clock the outputs show (the run history uses the wall clock)
	Models, Tests fs.FS            // the SQL models, and the data tests (tests/ in it)
	WarehousePath string
	MemoryLimit   string
	Config        *config.File
	// Progress, when set, is told of each report ingested; Done when the step ends
	Progress     func(step string, done, total int, path string)
	ProgressDone func()
}

func (e *Env) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// session is one command that writes: it holds the run lock and a working copy
// of the warehouse, records itself in the runs table, and publishes its outputs.
//
// The order of a session makes every crash recoverable: the working copy is
// written; the outputs are staged, then published; the run is saved and the
// copy committed over the live warehouse; last, the marker says which state the
// outputs show. Killed before the commit, the live warehouse is untouched and
// the next run does the work again; killed after it but before the marker, the
// next run sees outputs older than the warehouse and publishes them again.
type Session struct {
	e       *Env
	ctx     context.Context // cancelled by SIGINT/SIGTERM: checked at safe points only
	Work    context.Context // for the work of a step, which is never cut in the middle
	lock    *runlock.Lock
	W       *warehouse.Warehouse
	cfg     *config.File
	Run     *history.Run
	output  string // "" for a command that publishes nothing
	staging string
	folder  string
	marker  *delivery.Marker // set once the outputs are published
	// live: how W is the live warehouse rather than a working copy (workingCopy:
	// it is a working copy); seen: a quiet night's reports, all skipped
	live liveWay
	seen *ingest.Summary
}

// liveWay is how a session works on the live warehouse without a working copy.
type liveWay int

const (
	workingCopy liveWay = iota
	// liveQuiet: W is the live warehouse, written in place for a night
	// decided read-only (quiet)
	liveQuiet
	// liveReadOnly: W is the live warehouse opened read-only, for a command
	// that writes into it nothing but its record (onLiveFile)
	liveReadOnly
)

// Session runs fn as command on a working copy of the warehouse; output is
// where it publishes ("" for a command that publishes nothing).
func (e *Env) Session(ctx context.Context, command, output string, fn func(s *Session) error) error {
	return e.session(ctx, command, output, sessionWay{}, fn)
}

// sessionWay is how a session may do without the working copy: a probe
// deciding the night read-only (quiet), or a command that only reads the
// warehouse (onLiveFile). The zero way always makes the working copy.
type sessionWay struct {
	probe     func(s *Session) (bool, error)
	readsOnly bool
}

// session is Session, tried first the way way says.
func (e *Env) session(ctx context.Context, command, output string, way sessionWay, fn func(s *Session) error) error {
	cfg := e.Config
	if cfg == nil {
		var err error
		if cfg, err = config.Default(); err != nil {
			return err
		}
	}
	host, _ := os.Hostname()
	started := time.Now() // the run's own times are the wall clock's, even under ORGQA_NOW
	lock, stale, err := runlock.Acquire(runlock.Path(e.WarehousePath),
		runlock.Holder{PID: os.Getpid(), Host: host, Command: command, Started: started})
	if err != nil {
		var le *runlock.LockedError
		if errors.As(err, &le) {
			return LockedError{le}
		}
		return err
	}
	defer lock.Release()
	faults.Point("locked")
	newRun := func() *history.Run {
		return &history.Run{Command: command, Started: started, Outcome: history.Running, Config: cfg.Summary(),
			PID: os.Getpid(), Host: host, Version: version()}
	}
	s := &Session{e: e, ctx: ctx, Work: context.WithoutCancel(ctx), lock: lock, cfg: cfg, output: output, Run: newRun()}
	if stale == nil { // after a run that did not finish, the usual way records it
		var done bool
		switch {
		case way.probe != nil:
			done, err = s.quiet(way.probe)
		case way.readsOnly:
			done, err = s.onLiveFile(fn)
		}
		if done {
			return err
		}
		s.Run, s.seen = newRun(), nil
	}
	if s.W, err = warehouse.Begin(s.Work, e.WarehousePath, warehouse.Options{MemoryLimit: e.MemoryLimit}); err != nil {
		return err
	}
	if err := s.open(stale); err != nil {
		s.W.Discard()
		return err
	}
	e.Log.Info("run started", "run", s.Run.ID, "command", command, "warehouse", e.WarehousePath, "pid", s.Run.PID)
	err = fn(s)
	return s.finish(err)
}

// quiet decides a night from the live warehouse opened read-only, without
// the working copy Session makes (at national scale a 1,5 GB copy, most of a
// night with nothing new). probe runs on that read-only session: when it says
// the night has nothing to write but its own record (every report in the
// inbox loaded before, unchanged; the outputs current), the run is recorded
// in the live file in place — its row in runs and the reports' last_seen_at,
// two statements and a checkpoint of those tables — and done is true, with
// the run's error. Otherwise nothing was written and the caller runs the
// session as usual; so also when the live file is busy (a reader holds it,
// and DuckDB lets no writer in beside a reader), after a run that did not
// finish, or on a warehouse an older orgqa wrote.
//
// Written in place, the live file is as safe as DuckDB makes any file: a
// process killed in the middle leaves the write-ahead log, which the next run
// folds in (see warehouse.Begin) or DuckDB replays.
func (s *Session) quiet(probe func(s *Session) (bool, error)) (done bool, err error) {
	e := s.e
	ro, id, ok := s.openLive()
	if !ok {
		return false, nil
	}
	s.W, s.Run.ID = ro, id
	ok, runErr := probe(s)
	ro.Close(s.Work, false)
	s.W = nil
	if !ok {
		if runErr != nil {
			e.Log.Debug("not decided read-only", "error", runErr)
		}
		return false, nil
	}
	w, err := warehouse.Open(s.Work, e.WarehousePath, warehouse.Options{MemoryLimit: e.MemoryLimit})
	if err != nil {
		if warehouse.Busy(err) {
			e.Log.Info("the warehouse is open elsewhere (a reader): the night is recorded the usual way")
		} else {
			e.Log.Warn("the warehouse could not be opened to record the night in place: the night is recorded the usual way", "error", err)
		}
		return false, nil
	}
	started, err := s.startLive(w, id, liveQuiet)
	if !started {
		return false, nil
	}
	if err == nil {
		err = runErr
	}
	return true, s.finish(err)
}

// onLiveFile runs fn, a command that writes nothing into the warehouse but
// its own record (orgqa report), on the live warehouse opened read-only,
// without the working copy Session makes: at national scale a copy of 1,5 GB
// at the start and its fsync at the end, for a row in runs. Analysts' readers
// still get in beside it. The run is recorded at the end (recordAfterReading):
// in place, as a quiet night's, or through a working copy when a reader then
// holds the file. done is false, and nothing was run, when the live file
// cannot be read that way: it does not exist yet, it has a write-ahead log to
// fold in, an older orgqa wrote it (its schema is brought up to date by the
// usual way), or a writer outside orgqa holds it.
func (s *Session) onLiveFile(fn func(s *Session) error) (done bool, err error) {
	ro, id, ok := s.openLive()
	if !ok {
		return false, nil
	}
	if !ingest.SchemaCurrent(s.Work, ro.DB) {
		ro.Close(s.Work, false)
		return false, nil
	}
	started, err := s.startLive(ro, id, liveReadOnly)
	if !started {
		return false, nil
	}
	if err == nil {
		err = fn(s)
	}
	return true, s.finish(err)
}

// openLive opens the live warehouse read-only for a session that may do
// without the working copy (quiet, onLiveFile), and numbers the run. ok is
// false when it cannot: the file does not exist yet, it has a write-ahead log
// to fold in, it cannot be opened (a writer outside orgqa), or it has no runs
// table (an older orgqa).
func (s *Session) openLive() (ro *warehouse.Warehouse, id int64, ok bool) {
	path := s.e.WarehousePath
	if _, err := os.Stat(path); err != nil {
		return nil, 0, false
	}
	if _, err := os.Stat(path + ".wal"); err == nil {
		return nil, 0, false
	}
	ro, err := warehouse.OpenToRead(s.Work, path, warehouse.Options{MemoryLimit: s.e.MemoryLimit})
	if err != nil {
		return nil, 0, false
	}
	if id, err = history.NextID(s.Work, ro.DB); err != nil {
		ro.Close(s.Work, false)
		return nil, 0, false
	}
	return ro, id, true
}

// startLive starts the run numbered id on w, the live file, the way way says:
// the run lock names it (as open has it do for a working copy), its output is
// prepared and its start logged. started is false, with w closed and nothing
// changed, when the lock cannot be updated: the usual way then runs it. err is
// the output's, which the run ends with.
func (s *Session) startLive(w *warehouse.Warehouse, id int64, way liveWay) (started bool, err error) {
	if err := s.lock.Update(func(h *runlock.Holder) { h.RunID = id }); err != nil {
		w.Close(s.Work, false)
		return false, nil
	}
	s.W, s.Run.ID, s.live = w, id, way
	if err := s.prepareOutput(); err != nil {
		return true, err
	}
	// the attribute tells the two ways apart in the log (and the tests)
	attr := "read_only"
	if way == liveQuiet {
		attr = "decided_read_only"
	}
	s.e.Log.Info("run started", "run", id, "command", s.Run.Command, "warehouse", s.e.WarehousePath, "pid", s.Run.PID, attr, true)
	return true, nil
}

// prepareOutput clears what runs that died left in the output and names this
// run's staging and dated folders (nothing for a command that publishes nothing).
func (s *Session) prepareOutput() error {
	if s.output == "" {
		return nil
	}
	if err := delivery.Clean(s.output); err != nil {
		return fmt.Errorf("output %s: %w", s.output, err)
	}
	s.staging = delivery.StagingDir(s.output, s.Run.ID)
	s.folder = delivery.FolderName(s.Run.Started, s.Run.ID)
	return nil
}

// open brings the warehouse's tables up to this orgqa (a warehouse an older
// orgqa wrote may lack some), records the runs that died before this one and
// numbers this one.
func (s *Session) open(stale *runlock.Holder) error {
	ctx, db := s.Work, s.W.DB
	if err := history.EnsureSchema(ctx, db); err != nil {
		return err
	}
	if err := ingest.EnsureSchema(ctx, db); err != nil {
		return err
	}
	var pending []runlock.Holder
	if stale != nil {
		pending = stale.Pending
		if !stale.Committed {
			h := *stale
			h.Pending = nil
			pending = append(pending, h)
		}
	}
	for _, h := range pending {
		// the run's own number, when it had one nobody took: its outputs
		// (a dated folder _rN, a summary) may already carry it
		id := h.RunID
		var taken bool
		if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM runs WHERE run_id = ?`, id).Scan(&taken); err != nil {
			return err
		}
		if id == 0 || taken {
			var err error
			if id, err = history.NextID(ctx, db); err != nil {
				return err
			}
		}
		step := h.Step
		if step == "" {
			step = "its start"
		}
		r := &history.Run{ID: id, Command: h.Command, Started: h.Started, Outcome: history.Interrupted, PID: h.PID, Host: h.Host,
			Error: fmt.Sprintf("the process ended during %s without finishing (killed, or the machine stopped); none of its changes were kept", step)}
		if h.Failed != "" {
			r.Outcome, r.Error = history.Failed, h.Failed
		}
		if err := history.Save(ctx, db, r); err != nil {
			return err
		}
		s.e.Log.Warn("an earlier run did not finish", "run", id, "pid", h.PID, "started", h.Started, "step", h.Step)
	}
	id, err := history.NextID(ctx, db)
	if err != nil {
		return err
	}
	s.Run.ID = id
	if err := s.prepareOutput(); err != nil {
		return err
	}
	return s.lock.Update(func(h *runlock.Holder) { h.RunID, h.Pending = id, pending })
}

// Step runs one step, records it with its figures, and logs one line for it.
func (s *Session) Step(name string, fn func() (map[string]any, error)) error {
	if err := s.ctx.Err(); err != nil { // a safe point: between steps
		return err
	}
	s.lock.Update(func(h *runlock.Holder) { h.Step = name })
	st := history.Step{Name: name, Started: time.Now().UTC(), Outcome: "done"}
	figures, err := fn()
	st.Seconds = time.Since(st.Started).Seconds()
	// each step leaves its Go values behind (ingest's parsed rows, the
	// report's workbook) and the next is mostly DuckDB's memory: return the
	// heap's free pages between steps rather than hold both at the peak
	debug.FreeOSMemory()
	// and the C heap's: what DuckDB's C++ objects freed stays in glibc's
	// arenas otherwise (national night: 156 MiB held, 9-11 in use)
	trimmed := warehouse.TrimCHeap()
	s.e.Log.Debug("memory returned after the step", "step", name, "c_heap_mib", trimmed>>20)
	st.Figures = figures
	args := stepArgs(st)
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		st.Outcome, st.Error = "cancelled", err.Error()
		s.e.Log.Warn("step stopped", args...)
	case err != nil && !errors.Is(err, ErrRejected):
		err = s.e.outOfMemory(err)
		st.Outcome, st.Error = "failed", err.Error()
		s.e.Log.Error("step failed", append(args, "error", err)...)
	default:
		s.e.Log.Info("step done", args...)
	}
	s.Run.Steps = append(s.Run.Steps, st)
	return err
}

// outOfMemory adds to DuckDB's error of running out of memory what the
// operator can do about it: the step's statements need more than the limit.
func (e *Env) outOfMemory(err error) error {
	if e.MemoryLimit == "" || !warehouse.OutOfMemory(err) {
		return err
	}
	return fmt.Errorf("%w (DuckDB needed more memory than --memory-limit %s gives it: run again with a larger limit)", err, e.MemoryLimit)
}

// stepArgs are a step's log attributes: its name, time and figures.
func stepArgs(st history.Step) []any {
	args := []any{"step", st.Name, "seconds", round2(st.Seconds)}
	for _, k := range sortedKeys(st.Figures) {
		args = append(args, k, st.Figures[k])
	}
	return args
}

// Skip records a step not run, and why.
func (s *Session) Skip(name, why string) {
	s.Run.Steps = append(s.Run.Steps, history.Step{Name: name, Started: time.Now().UTC(), Outcome: "skipped",
		Figures: map[string]any{"why": why}})
	s.e.Log.Info("step skipped", "step", name, "why", why)
}

// finish saves the run, commits the working copy, and writes the marker and
// the run's summary.
func (s *Session) finish(runErr error) error {
	ctx := context.WithoutCancel(s.ctx)
	r := s.Run
	switch {
	case runErr == nil && r.Outcome == history.Running:
		r.Outcome = history.Succeeded
	case runErr == nil:
	case errors.Is(runErr, ErrRejected):
		if r.Outcome == history.Running {
			r.Outcome = history.Rejected
		}
	case s.ctx.Err() != nil && errors.Is(runErr, context.Canceled):
		r.Outcome, r.Error = history.Cancelled, fmt.Sprintf("%v: stopped at a safe point; what finished before is kept", context.Cause(s.ctx))
	default:
		r.Outcome, r.Error = history.Failed, runErr.Error()
	}
	if s.staging != "" {
		os.RemoveAll(s.staging)
	}
	s.lock.Update(func(h *runlock.Holder) { h.Step = "commit" })
	fin := time.Now()
	r.Finished = &fin
	var err error
	switch s.live {
	case liveQuiet:
		err = s.recordInPlace(ctx)
	case liveReadOnly:
		err = s.recordAfterReading(ctx)
	default:
		err = s.commit(ctx)
	}
	if err != nil {
		r.Outcome, r.Error = history.Failed, fmt.Sprintf("%v (the warehouse keeps its state before this run)", err)
		if s.folder != "" && s.marker != nil {
			r.Error += "; its outputs were already published in " + s.folder
		}
		// its record did not reach the warehouse: left in the lock file, the
		// next run records it under this run's number, which the outputs carry
		msg := r.Error
		s.lock.Update(func(h *runlock.Holder) { h.Failed = msg })
		s.lock.Keep()
	} else {
		s.lock.Update(func(h *runlock.Holder) { h.Pending, h.Committed = nil, true })
	}
	faults.Point("committed")
	if err == nil && s.marker != nil {
		if merr := delivery.WriteMarker(s.output, *s.marker); merr != nil {
			err = fmt.Errorf("publish marker: %w", merr)
		}
	}
	if s.output != "" {
		if path, serr := delivery.WriteSummary(s.output, delivery.FolderName(r.Started, r.ID), r, s.cfg.Delivery.KeepSummaries); serr != nil {
			s.e.Log.Error("run summary not written", "error", serr)
		} else {
			s.e.Log.Debug("run summary", "path", path)
		}
	}
	s.e.Log.Info("run finished", "run", r.ID, "outcome", r.Outcome, "seconds", round2(r.Seconds()),
		"files_loaded", r.Files.Loaded, "files_skipped", r.Files.Skipped, "files_failed", r.Files.Failed, "rows_rejected", r.Rows.Rejected)
	if err != nil {
		return err
	}
	if r.Outcome == history.Cancelled {
		return fmt.Errorf("%s; the warehouse keeps what finished", r.Error)
	}
	return runErr
}

// commit saves the run in the working copy and puts the copy in place of the
// live warehouse.
func (s *Session) commit(ctx context.Context) error {
	err := history.Save(ctx, s.W.DB, s.Run)
	faults.Point("commit")
	if err == nil {
		err = faults.Fail("commit")
	}
	if err != nil {
		s.W.Discard()
		return err
	}
	return s.W.Commit(ctx)
}

// recordAfterReading records a run that read the live warehouse only
// (onLiveFile): in place when the file can be opened for writing, else (a
// reader holds it: DuckDB lets no writer in beside one) through a working
// copy, as every run was recorded before.
func (s *Session) recordAfterReading(ctx context.Context) error {
	s.W.Close(ctx, false)
	opt := warehouse.Options{MemoryLimit: s.e.MemoryLimit}
	w, err := warehouse.Open(ctx, s.e.WarehousePath, opt)
	if err == nil {
		s.W = w
		return s.recordInPlace(ctx)
	}
	if !warehouse.Busy(err) {
		return err
	}
	s.e.Log.Info("the warehouse is open elsewhere (a reader): the run is recorded through a working copy")
	if s.W, err = warehouse.Begin(ctx, s.e.WarehousePath, opt); err != nil {
		return err
	}
	return s.commit(ctx)
}

// recordInPlace writes a run decided or done read-only into the live
// warehouse: the reports' last_seen_at (a quiet night's) and the run, in one
// transaction, then a checkpoint.
func (s *Session) recordInPlace(ctx context.Context) error {
	db := s.W.DB
	tx, err := db.BeginTx(ctx, nil)
	if err == nil {
		if s.seen != nil {
			err = ingest.Touch(ctx, tx, s.seen, s.e.now().UTC())
		}
		if err == nil {
			err = history.Save(ctx, tx, s.Run)
		}
		faults.Point("commit")
		if err == nil {
			err = faults.Fail("commit")
		}
		if err == nil {
			err = tx.Commit()
		} else {
			tx.Rollback()
		}
	}
	if err != nil {
		s.W.Close(ctx, false)
		return err
	}
	return s.W.Close(ctx, true)
}

// Fingerprint names the warehouse state the outputs of year are made from:
// every report loaded (and every file that failed), the transforms of the year,
// the rules, the SQL and this orgqa. Equal fingerprints give equal outputs.
func (s *Session) Fingerprint(year int) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "orgqa %s\nyear %d\nrules %s\n", version(), year, s.cfg.Rules.SHA256())
	for _, fsys := range []fs.FS{s.e.Models, s.e.Tests} {
		err := fs.WalkDir(fsys, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			f, err := fsys.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			fmt.Fprintf(h, "file %s\n", path)
			_, err = io.Copy(h, f)
			return err
		})
		if err != nil {
			return "", err
		}
	}
	queries := []string{
		// a year's workbook also shows the year before (units that have not
		// reported, the trend): every load up to the year counts
		fmt.Sprintf(`SELECT load_id::VARCHAR || ' ' || sha256 || ' ' || outcome FROM load_manifest
			WHERE outcome <> 'failed' AND (report_year <= %d OR report_year IS NULL) ORDER BY load_id`, year),
		fmt.Sprintf(`SELECT sha256 || ' ' || source_path || ' ' || coalesce(message, '') FROM load_manifest
			WHERE outcome = 'failed' AND (report_year <= %d OR report_year IS NULL) ORDER BY 1`, year),
	}
	var hasTransforms bool
	if err := s.W.DB.QueryRowContext(s.Work, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'transform_runs'`).Scan(&hasTransforms); err != nil {
		return "", err
	}
	if hasTransforms {
		queries = append(queries, fmt.Sprintf(`SELECT count(*)::VARCHAR || ' ' || coalesce(max(run_at)::VARCHAR, '') FROM transform_runs WHERE year = %d`, year))
	}
	for _, q := range queries {
		if err := hashRows(s.Work, s.W.DB, h, q); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func hashRows(ctx context.Context, db *sql.DB, h io.Writer, q string) error {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("fingerprint: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return err
		}
		fmt.Fprintln(h, line)
	}
	return rows.Err()
}

// version names this build: its module version and VCS revision when known.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	v := bi.Main.Version
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v += " " + s.Value
		case "vcs.modified":
			if s.Value == "true" {
				v += "+modified"
			}
		}
	}
	return v
}

func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }

// figureOrder is the order a step's figures are logged in; others follow by name.
var figureOrder = []string{"input", "year", "files", "loaded", "skipped", "failed", "rows_read", "rows_accepted", "rows_rejected"}

func sortedKeys(m map[string]any) []string {
	rank := func(k string) int {
		for i, f := range figureOrder {
			if f == k {
				return i
			}
		}
		return len(figureOrder)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if ri, rj := rank(keys[i]), rank(keys[j]); ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	return keys
}
