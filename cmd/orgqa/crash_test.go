package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"orgqa/internal/gen"
	"orgqa/internal/runlock"
	"orgqa/internal/warehouse"
)

// These tests run orgqa as a real process (the test binary re-executed as the
// CLI, see TestMain), kill it or start two at once, and compare what is left
// with what an uninterrupted run leaves.

// fixedNow makes runs that differ only in when they ran give equal outputs.
const fixedNow = "2026-12-02T01:30:00+07:00"

type proc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
}

// syncBuffer is a buffer the process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start starts orgqa with args; fault is ORGQA_FAULT ("" for none).
func start(t *testing.T, fault string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(os.Args[0], args...)}
	p.cmd.Env = append(os.Environ(), "ORGQA_AS_CLI=1", "ORGQA_NOW="+fixedNow, "ORGQA_FAULT="+fault)
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return p
}

// wait returns the exit code, or -1 when a signal killed the process.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	err := p.cmd.Wait()
	if st, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && st.Signaled() {
		return -1
	}
	if err != nil && p.cmd.ProcessState == nil {
		t.Fatal(err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// nightly is the input of two nights: in1 holds two units' reports, in2 the
// same and a third unit's, and base is a warehouse and output folder after a
// finished run on in1.
type nightly struct {
	in1, in2, base string
}

var (
	nightlyOnce sync.Once
	nightlyData nightly
	nightlyErr  error

	cleanOnce  sync.Once
	cleanState string
)

// clean is the state after an uninterrupted second night.
func (n nightly) clean(t *testing.T) string {
	t.Helper()
	cleanOnce.Do(func() {
		code, stderr, out, wh := n.second(t, "")
		if code != exitOK {
			t.Fatalf("clean second night: exit %d\n%s", code, stderr)
		}
		cleanState = state(t, out, wh)
	})
	if cleanState == "" {
		t.Fatal("no clean second night to compare with")
	}
	return cleanState
}

func nightlySetup(t *testing.T) nightly {
	t.Helper()
	nightlyOnce.Do(func() {
		dir, err := os.MkdirTemp("", "orgqa-nightly-")
		if err != nil {
			nightlyErr = err
			return
		}
		afterTests = append(afterTests, func() { os.RemoveAll(dir) })
		n := nightly{in1: filepath.Join(dir, "in1"), in2: filepath.Join(dir, "in2"), base: filepath.Join(dir, "base")}
		if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 41}, n.in2, "xlsx", nil); err != nil {
			nightlyErr = err
			return
		}
		books, _ := filepath.Glob(filepath.Join(n.in2, "*.xlsx"))
		sort.Strings(books)
		os.MkdirAll(n.in1, 0o755)
		for _, b := range books[:2] {
			data, _ := os.ReadFile(b)
			if err := os.WriteFile(filepath.Join(n.in1, filepath.Base(b)), data, 0o644); err != nil {
				nightlyErr = err
				return
			}
		}
		p := start(t, "", "run", "--input", n.in1, "--output", filepath.Join(n.base, "out"), "--warehouse", filepath.Join(n.base, "w.duckdb"))
		if code := p.wait(t); code != exitOK {
			nightlyErr = fmt.Errorf("first night: exit %d\n%s", code, p.stderr.String())
			return
		}
		nightlyData = n
	})
	if nightlyErr != nil {
		t.Fatal(nightlyErr)
	}
	return nightlyData
}

// fromBase copies the state after the first night into a new folder.
func (n nightly) fromBase(t *testing.T) (dir, out, wh string) {
	t.Helper()
	dir = t.TempDir()
	if err := copyTree(n.base, dir); err != nil {
		t.Fatal(err)
	}
	return dir, filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
}

func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(to, rel)
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(target, dst)
		case d.IsDir():
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
}

// second runs the second night on in2, in a copy of base, with fault set
// ("" for none), and returns its exit code, stderr, output folder and warehouse.
func (n nightly) second(t *testing.T, fault string) (code int, stderr, out, wh string) {
	t.Helper()
	_, out, wh = n.fromBase(t)
	p := start(t, fault, "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	code = p.wait(t)
	return code, p.stderr.String(), out, wh
}

// state is everything a reader of the outputs sees: the warehouse's tables
// (but the run history), every Parquet file's rows, every workbook under
// excel/latest as a canonical dump.
func state(t *testing.T, out, wh string) string {
	return stateOf(t, out, wh, nil)
}

// stateOf is state with some tables read by other queries (by table name; ""
// leaves the table out).
func stateOf(t *testing.T, out, wh string, queries map[string]string) string {
	t.Helper()
	var b strings.Builder
	db, done := openBriefly(t, wh)
	defer done()
	tables := queryRows(t, db, `SELECT table_name FROM duckdb_tables() WHERE table_name <> 'runs' ORDER BY 1`)
	for _, tbl := range tables {
		q := fmt.Sprintf(`SELECT * FROM %q ORDER BY ALL`, tbl)
		if tbl == "transform_runs" {
			q = `SELECT * EXCLUDE (run_at) FROM transform_runs ORDER BY ALL` // the wall clock of the transform
		}
		if other, ok := queries[tbl]; ok {
			if q = other; q == "" {
				continue
			}
		}
		fmt.Fprintf(&b, "== table %s\n%s", tbl, strings.Join(queryRows(t, db, q), "\n"))
	}
	mem, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Close()
	var files []string
	filepath.WalkDir(filepath.Join(out, "parquet"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	for _, f := range files {
		rel, _ := filepath.Rel(out, f)
		fmt.Fprintf(&b, "\n== parquet %s\n%s", rel, strings.Join(queryRows(t, mem, fmt.Sprintf(`SELECT * FROM read_parquet('%s') ORDER BY ALL`, f)), "\n"))
	}
	latest := filepath.Join(out, "excel", "latest") + string(filepath.Separator)
	var books []string
	filepath.WalkDir(latest, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			books = append(books, p)
		}
		return nil
	})
	if len(books) == 0 {
		t.Fatalf("no workbook under %s", latest)
	}
	for _, f := range books {
		rel, _ := filepath.Rel(latest, f)
		fmt.Fprintf(&b, "\n== workbook %s\n%s", rel, dumpWorkbook(t, f))
	}
	return b.String()
}

func queryRows(t *testing.T, db *sql.DB, q string) []string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out []string
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = queryText(v)
		}
		out = append(out, strings.Join(parts, "\t"))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n-%s\n+%s", i+1, x, y)
		}
	}
	return ""
}

// outcomes are the runs recorded, oldest first, as "command:outcome".
func outcomes(t *testing.T, wh string) string {
	t.Helper()
	db, done := openBriefly(t, wh)
	defer done()
	return strings.Join(queryRows(t, db, `SELECT command || ':' || outcome FROM runs ORDER BY run_id`), " ")
}

// TestKilledRunThenRerun kills a real orgqa run (SIGKILL) mid-ingest,
// mid-transform, mid-report, mid-publish and around the commit, then runs it
// again: the warehouse, the Parquet lake and the latest workbooks must be
// exactly those of a night that was never interrupted, and the history must
// show the interrupted run.
func TestKilledRunThenRerun(t *testing.T) {
	n := nightlySetup(t)
	want := n.clean(t)
	points := []struct {
		fault, history string
	}{
		{"crash:ingest.report:1", "run:succeeded run:interrupted run:succeeded"},
		{"crash:transform.model:3", "run:succeeded run:interrupted run:succeeded"},
		{"crash:report.excel", "run:succeeded run:interrupted run:succeeded"},
		{"crash:publish.parquet", "run:succeeded run:interrupted run:succeeded"},
		{"crash:commit", "run:succeeded run:interrupted run:succeeded"},
		// killed after the commit: its run is recorded as it ended, and the next
		// run sees the outputs older than the warehouse and publishes again
		{"crash:committed", "run:succeeded run:succeeded run:succeeded"},
	}
	for _, pt := range points {
		t.Run(pt.fault, func(t *testing.T) {
			t.Parallel()
			code, stderr, out, wh := n.second(t, pt.fault)
			if code != -1 {
				t.Fatalf("the run was not killed at %s: exit %d\n%s", pt.fault, code, stderr)
			}
			p := start(t, "", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
			if code := p.wait(t); code != exitOK {
				t.Fatalf("run after the kill: exit %d\n%s", code, p.stderr.String())
			}
			if got := state(t, out, wh); got != want {
				if d := os.Getenv("ORGQA_TEST_DUMP"); d != "" {
					os.WriteFile(filepath.Join(d, "want.txt"), []byte(want), 0o644)
					os.WriteFile(filepath.Join(d, "got.txt"), []byte(got), 0o644)
				}
				t.Errorf("after a kill at %s and a rerun, the outputs differ from an uninterrupted night at %s", pt.fault, firstDiff(want, got))
			}
			if got := outcomes(t, wh); got != pt.history {
				t.Errorf("history %q, want %q", got, pt.history)
			}
			if left, _ := filepath.Glob(filepath.Join(out, ".staging-*")); len(left) > 0 {
				t.Errorf("staging folders left: %v", left)
			}
			if _, err := os.Stat(wh + ".next"); !os.IsNotExist(err) {
				t.Errorf("the killed run's working copy was not cleared: %v", err)
			}
		})
	}
}

// TestKilledFromOutside sends SIGKILL from outside while the run is in its
// transform step (as the lock file says), not at a point the run chose.
func TestKilledFromOutside(t *testing.T) {
	t.Parallel()
	n := nightlySetup(t)
	_, out, wh := n.fromBase(t)
	p := start(t, "", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	stepSeen := waitForStep(t, wh, "transform", "report")
	p.cmd.Process.Kill()
	if code := p.wait(t); code != -1 {
		t.Skipf("the run finished (exit %d) before it could be killed", code)
	}
	q := start(t, "", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	if code := q.wait(t); code != exitOK {
		t.Fatalf("run after the kill: exit %d\n%s", code, q.stderr.String())
	}
	if got, want := state(t, out, wh), n.clean(t); got != want {
		t.Errorf("killed in %s: outputs differ from an uninterrupted night at %s", stepSeen, firstDiff(want, got))
	}
	if got := outcomes(t, wh); got != "run:succeeded run:interrupted run:succeeded" {
		t.Errorf("history %q", got)
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s never appeared", path)
}

// waitForStep polls the lock file until the run is in one of steps.
func waitForStep(t *testing.T, wh string, steps ...string) string {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		b, _ := os.ReadFile(runlock.Path(wh))
		var h runlock.Holder
		if json.Unmarshal(b, &h) == nil {
			for _, s := range steps {
				if h.Step == s {
					return s
				}
			}
		}
	}
	t.Fatalf("the run never reached %v", steps)
	return ""
}

// TestStopAtSafePoint sends SIGTERM while the last report is being loaded: the
// run loads it to the end, stops before the transform, keeps the load, says
// so, and the next run ends where an uninterrupted one would.
func TestStopAtSafePoint(t *testing.T) {
	t.Parallel()
	n := nightlySetup(t)
	_, out, wh := n.fromBase(t)
	release := filepath.Join(t.TempDir(), "release")
	p := start(t, "hold:ingest.report:"+release+":3", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	waitForFile(t, release+".held")
	p.cmd.Process.Signal(syscall.SIGTERM)
	for deadline := time.Now().Add(time.Minute); !strings.Contains(p.stderr.String(), "stopping at the next safe point"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run did not take the signal:\n%s", p.stderr.String())
		}
	}
	os.WriteFile(release, nil, 0o644)
	code := p.wait(t)
	if code != exitFailed || !strings.Contains(p.stderr.String(), "stopping at the next safe point") ||
		!strings.Contains(p.stderr.String(), "stopped at a safe point") {
		t.Fatalf("SIGTERM: exit %d, want %d and a message\n%s", code, exitFailed, p.stderr.String())
	}
	if got := outcomes(t, wh); got != "run:succeeded run:cancelled" {
		t.Errorf("history %q, want the run cancelled", got)
	}
	if loads := queryRows(t, openWarehouse(t, wh), `SELECT count(*) FROM load_manifest WHERE outcome = 'loaded'`); loads[0] != "3" {
		t.Errorf("%s reports loaded after the stop, want the 3 loaded before it", loads[0])
	}
	q := start(t, "", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	if code := q.wait(t); code != exitOK {
		t.Fatalf("run after the stop: exit %d\n%s", code, q.stderr.String())
	}
	if got, want := state(t, out, wh), n.clean(t); got != want {
		t.Errorf("after SIGTERM and a rerun, outputs differ from an uninterrupted night at %s", firstDiff(want, got))
	}
}

// TestTwoRunsAtOnce starts two runs together: one holds the lock (held at its
// first loaded report), the other exits at once with the locked code naming the
// holder; read-only commands work meanwhile; nothing is corrupted.
func TestTwoRunsAtOnce(t *testing.T) {
	t.Parallel()
	n := nightlySetup(t)
	_, out, wh := n.fromBase(t)
	release := filepath.Join(t.TempDir(), "release")
	args := []string{"run", "--input", n.in2, "--output", out, "--warehouse", wh}
	a, b := start(t, "hold:ingest.report:"+release, args...), start(t, "hold:ingest.report:"+release, args...)
	done := make(chan *proc, 2)
	codes := map[*proc]int{}
	var mu sync.Mutex
	for _, p := range []*proc{a, b} {
		go func(p *proc) {
			c := p.wait(t)
			mu.Lock()
			codes[p] = c
			mu.Unlock()
			done <- p
		}(p)
	}
	var loser *proc
	select {
	case loser = <-done:
	case <-time.After(time.Minute):
		t.Fatal("neither run exited")
	}
	winner := a
	if loser == a {
		winner = b
	}
	mu.Lock()
	lc := codes[loser]
	mu.Unlock()
	if want := fmt.Sprintf("pid %d", winner.cmd.Process.Pid); lc != exitLocked || !strings.Contains(loser.stderr.String(), want) {
		t.Errorf("second run: exit %d, want %d and a message naming %s\n%s", lc, exitLocked, want, loser.stderr.String())
	}
	// while the winner holds the lock and writes: read-only commands work
	waitForFile(t, release+".held")
	if code, stdout, stderr := runCLI(t, "status", "--warehouse", wh, "--output", out); code != exitOK ||
		!strings.Contains(stdout, fmt.Sprintf("In progress: pid %d", winner.cmd.Process.Pid)) {
		t.Errorf("status during the run: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "history", "--warehouse", wh); code != exitOK || !strings.Contains(stdout, "succeeded") {
		t.Errorf("history during the run: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, stdout, stderr := runCLI(t, "query", "--warehouse", wh, "SELECT count(*) AS loads FROM load_manifest"); code != exitOK || stdout != "loads\n2\n" {
		t.Errorf("query during the run: exit %d %q %s", code, stdout, stderr)
	}
	os.WriteFile(release, nil, 0o644)
	<-done
	if code := codes[winner]; code != exitOK {
		t.Fatalf("the run holding the lock: exit %d\n%s", code, winner.stderr.String())
	}
	if got, want := state(t, out, wh), n.clean(t); got != want {
		t.Errorf("after two runs at once, outputs differ from one run at %s", firstDiff(want, got))
	}
	if _, err := os.Stat(wh + ".next"); !os.IsNotExist(err) {
		t.Errorf("working copy left: %v", err)
	}
}

// TestFailedCommitAfterPublishing: the commit fails (a disk full) after the
// run published its outputs. The run is recorded, by the next run, under its
// own number and as failed, with why; the next run takes a new number, so no
// two dated folders share one.
func TestFailedCommitAfterPublishing(t *testing.T) {
	n := nightlySetup(t)
	code, stderr, out, wh := n.second(t, "fail:commit")
	if code != exitFailed {
		t.Fatalf("the run with a failing commit: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	p := start(t, "", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	if code := p.wait(t); code != exitOK {
		t.Fatalf("run after the failed commit: exit %d\n%s", code, p.stderr.String())
	}
	if got := outcomes(t, wh); got != "run:succeeded run:failed run:succeeded" {
		t.Errorf("history %q", got)
	}
	db := openWarehouse(t, wh)
	rows := queryRows(t, db, `SELECT run_id::VARCHAR || ' ' || outcome || ' ' || coalesce(error, '') FROM runs ORDER BY run_id`)
	if len(rows) != 3 || !strings.HasPrefix(rows[1], "2 failed fault injected at commit") || !strings.Contains(rows[1], "already published in") ||
		!strings.HasPrefix(rows[2], "3 succeeded") {
		t.Errorf("runs:\n%s", strings.Join(rows, "\n"))
	}
	folders, _ := filepath.Glob(filepath.Join(out, "excel", "*_r*"))
	seen := map[string]string{}
	for _, f := range folders {
		n := f[strings.LastIndex(f, "_r"):]
		if prev, dup := seen[n]; dup {
			t.Errorf("two dated folders numbered %s: %s and %s", n, prev, f)
		}
		seen[n] = f
	}
}

// TestReaderPanicFailsOneReport: a reader that panics on a file (as excelize
// may on a hostile one) fails that report alone: the others load, the night
// publishes (exit 3), and the next night loads the report.
func TestReaderPanicFailsOneReport(t *testing.T) {
	n := nightlySetup(t)
	dir := t.TempDir()
	out, wh := filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	// the 12th sheet read: the second report's third
	p := start(t, "panic:ingest.sheet:12", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	if code := p.wait(t); code != exitRejected {
		t.Fatalf("run with a reader panicking: exit %d, want %d\n%s", code, exitRejected, p.stderr.String())
	}
	db := openWarehouse(t, wh)
	rows := queryRows(t, db, `SELECT outcome || ' ' || coalesce(message, '') FROM load_manifest ORDER BY load_id`)
	var failed, loaded int
	for _, r := range rows {
		switch {
		case strings.HasPrefix(r, "failed Tệp có cấu trúc bất thường"):
			failed++
		case strings.HasPrefix(r, "loaded"):
			loaded++
		}
	}
	if failed != 1 || loaded != len(rows)-1 {
		t.Fatalf("manifest:\n%s\nwant one report failed with the reader's reason, the others loaded", strings.Join(rows, "\n"))
	}
	if _, err := os.Stat(filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx")); err != nil {
		t.Errorf("the province was not published: %v", err)
	}
	p = start(t, "", "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	if code := p.wait(t); code != exitOK {
		t.Fatalf("the next night: exit %d\n%s", code, p.stderr.String())
	}
}

// TestIngestWrittenBeforeTheTransform holds a run at its first model: by then
// the rows ingest loaded are written into the working copy, not left in
// DuckDB's memory and its write-ahead log for the transform to work beside.
// The run then ends as usual.
func TestIngestWrittenBeforeTheTransform(t *testing.T) {
	t.Parallel()
	n := nightlySetup(t)
	dir := t.TempDir()
	wh, out := filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "out")
	release := filepath.Join(dir, "release")
	p := start(t, "hold:transform.model:"+release, "run", "--input", n.in2, "--output", out, "--warehouse", wh)
	waitForFile(t, release+".held")
	wal := warehouse.WorkPath(wh) + ".wal"
	st, err := os.Stat(wal)
	os.WriteFile(release, nil, 0o644)
	if code := p.wait(t); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, p.stderr.String())
	}
	if err == nil && st.Size() > 0 {
		t.Errorf("at the first model the working copy's log holds %d bytes: ingest's rows were not written to the file", st.Size())
	}
	if loads := queryRows(t, openWarehouse(t, wh), `SELECT count(*) FROM load_manifest WHERE outcome = 'loaded'`); loads[0] != "3" {
		t.Errorf("%s reports loaded, want 3", loads[0])
	}
}
