package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
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

// lockedError is a run refused because another holds the lock (exit code 4).
type lockedError struct{ *runlock.LockedError }

// session is one command that writes: it holds the run lock and a working copy
// of the warehouse, records itself in the runs table, and publishes its outputs.
//
// The order of a session makes every crash recoverable: the working copy is
// written; the outputs are staged, then published; the run is saved and the
// copy committed over the live warehouse; last, the marker says which state the
// outputs show. Killed before the commit, the live warehouse is untouched and
// the next run does the work again; killed after it but before the marker, the
// next run sees outputs older than the warehouse and publishes them again.
type session struct {
	e       *env
	ctx     context.Context // cancelled by SIGINT/SIGTERM: checked at safe points only
	work    context.Context // for the work of a step, which is never cut in the middle
	lock    *runlock.Lock
	w       *warehouse.Warehouse
	cfg     *config.File
	run     *history.Run
	output  string // "" for a command that publishes nothing
	staging string
	folder  string
	marker  *delivery.Marker // set once the outputs are published
}

// session runs fn as command on a working copy of the warehouse.
func (e *env) session(ctx context.Context, command, output string, fn func(s *session) error) error {
	cfg, err := e.config()
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	started := time.Now() // the run's own times are the wall clock's, even under ORGQA_NOW
	lock, stale, err := runlock.Acquire(runlock.Path(e.warehousePath),
		runlock.Holder{PID: os.Getpid(), Host: host, Command: command, Started: started})
	if err != nil {
		var le *runlock.LockedError
		if errors.As(err, &le) {
			return lockedError{le}
		}
		return err
	}
	defer lock.Release()
	faults.Point("locked")
	s := &session{e: e, ctx: ctx, work: context.WithoutCancel(ctx), lock: lock, cfg: cfg, output: output,
		run: &history.Run{Command: command, Started: started, Outcome: history.Running, Config: cfg.Summary(),
			PID: os.Getpid(), Host: host, Version: version()}}
	if s.w, err = warehouse.Begin(s.work, e.warehousePath, warehouse.Options{MemoryLimit: e.memoryLimit}); err != nil {
		return err
	}
	if err := s.open(stale); err != nil {
		s.w.Discard()
		return err
	}
	e.log.Info("run started", "run", s.run.ID, "command", command, "warehouse", e.warehousePath, "pid", s.run.PID)
	err = fn(s)
	return s.finish(err)
}

// open brings the warehouse's tables up to this orgqa (a warehouse an older
// orgqa wrote may lack some), records the runs that died before this one and
// numbers this one.
func (s *session) open(stale *runlock.Holder) error {
	ctx, db := s.work, s.w.DB
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
		s.e.log.Warn("an earlier run did not finish", "run", id, "pid", h.PID, "started", h.Started, "step", h.Step)
	}
	id, err := history.NextID(ctx, db)
	if err != nil {
		return err
	}
	s.run.ID = id
	if s.output != "" {
		if err := delivery.Clean(s.output); err != nil {
			return fmt.Errorf("output %s: %w", s.output, err)
		}
		s.staging = delivery.StagingDir(s.output, id)
		s.folder = delivery.FolderName(s.run.Started, id)
	}
	return s.lock.Update(func(h *runlock.Holder) { h.RunID, h.Pending = id, pending })
}

// step runs one step, records it with its figures, and logs one line for it.
func (s *session) step(name string, fn func() (map[string]any, error)) error {
	if err := s.ctx.Err(); err != nil { // a safe point: between steps
		return err
	}
	s.lock.Update(func(h *runlock.Holder) { h.Step = name })
	st := history.Step{Name: name, Started: time.Now().UTC(), Outcome: "done"}
	figures, err := fn()
	st.Seconds = time.Since(st.Started).Seconds()
	st.Figures = figures
	args := []any{"step", name, "seconds", round2(st.Seconds)}
	for _, k := range sortedKeys(figures) {
		args = append(args, k, figures[k])
	}
	switch {
	case err != nil && errors.Is(err, context.Canceled):
		st.Outcome, st.Error = "cancelled", err.Error()
		s.e.log.Warn("step stopped", args...)
	case err != nil && !errors.Is(err, errRejected):
		st.Outcome, st.Error = "failed", err.Error()
		s.e.log.Error("step failed", append(args, "error", err)...)
	default:
		s.e.log.Info("step done", args...)
	}
	s.run.Steps = append(s.run.Steps, st)
	return err
}

// skip records a step not run, and why.
func (s *session) skip(name, why string) {
	s.run.Steps = append(s.run.Steps, history.Step{Name: name, Started: time.Now().UTC(), Outcome: "skipped",
		Figures: map[string]any{"why": why}})
	s.e.log.Info("step skipped", "step", name, "why", why)
}

// finish saves the run, commits the working copy, and writes the marker and
// the run's summary.
func (s *session) finish(runErr error) error {
	ctx := context.WithoutCancel(s.ctx)
	r := s.run
	switch {
	case runErr == nil && r.Outcome == history.Running:
		r.Outcome = history.Succeeded
	case runErr == nil:
	case errors.Is(runErr, errRejected):
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
	err := history.Save(ctx, s.w.DB, r)
	faults.Point("commit")
	if err == nil {
		err = faults.Fail("commit")
	}
	if err == nil {
		err = s.w.Commit(ctx)
	} else {
		s.w.Discard()
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
			s.e.log.Error("run summary not written", "error", serr)
		} else {
			s.e.log.Debug("run summary", "path", path)
		}
	}
	s.e.log.Info("run finished", "run", r.ID, "outcome", r.Outcome, "seconds", round2(r.Seconds()),
		"files_loaded", r.Files.Loaded, "files_skipped", r.Files.Skipped, "files_failed", r.Files.Failed, "rows_rejected", r.Rows.Rejected)
	if err != nil {
		return err
	}
	if r.Outcome == history.Cancelled {
		return fmt.Errorf("%s; the warehouse keeps what finished", r.Error)
	}
	return runErr
}

// fingerprint names the warehouse state the outputs of year are made from:
// every report loaded (and every file that failed), the transforms of the year,
// the rules, the SQL and this orgqa. Equal fingerprints give equal outputs.
func (s *session) fingerprint(year int) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "orgqa %s\nyear %d\nrules %s\n", version(), year, s.cfg.Rules.SHA256())
	for _, fsys := range []fs.FS{s.e.models, s.e.tests} {
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
	if err := s.w.DB.QueryRowContext(s.work, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'transform_runs'`).Scan(&hasTransforms); err != nil {
		return "", err
	}
	if hasTransforms {
		queries = append(queries, fmt.Sprintf(`SELECT count(*)::VARCHAR || ' ' || coalesce(max(run_at)::VARCHAR, '') FROM transform_runs WHERE year = %d`, year))
	}
	for _, q := range queries {
		if err := hashRows(s.work, s.w.DB, h, q); err != nil {
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
