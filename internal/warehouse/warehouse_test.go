package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func count(t *testing.T, path string) int {
	t.Helper()
	w, err := Open(context.Background(), path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background(), false)
	var n int
	if err := w.DB.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestWorkingCopy: while a writer works on its copy the live file stays
// readable and unchanged; Commit puts the copy in place; Discard leaves the
// live file as it was and no copy behind.
func TestWorkingCopy(t *testing.T) {
	ctx := context.Background()
	live := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Begin(ctx, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`CREATE TABLE t AS SELECT * FROM range(10)`); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w, err = Begin(ctx, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`INSERT INTO t SELECT * FROM range(5)`); err != nil {
		t.Fatal(err)
	}
	if n := count(t, live); n != 10 { // a reader during the write sees the last commit
		t.Errorf("live file during a write: %d rows, want 10", n)
	}
	if err := w.Discard(); err != nil {
		t.Fatal(err)
	}
	if n := count(t, live); n != 10 {
		t.Errorf("after Discard: %d rows, want 10", n)
	}
	if _, err := os.Stat(WorkPath(live)); !os.IsNotExist(err) {
		t.Errorf("working copy left after Discard: %v", err)
	}
	w, err = Begin(ctx, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.DB.Exec(`INSERT INTO t SELECT * FROM range(5)`)
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, live); n != 15 {
		t.Errorf("after Commit: %d rows, want 15", n)
	}
	for _, p := range []string{WorkPath(live), WorkPath(live) + ".wal", live + ".wal"} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s left after Commit", p)
		}
	}
}

// TestBeginFoldsALiveLog: a live file with a write-ahead log (written in place
// and not checkpointed) keeps what the log holds.
func TestBeginFoldsALiveLog(t *testing.T) {
	ctx := context.Background()
	live := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Open(ctx, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	w.DB.Exec(`SET checkpoint_threshold = '1TB'`)
	w.DB.Exec(`CREATE TABLE t AS SELECT * FROM range(7)`)
	// copy the file and its log as a crash would leave them
	b, _ := os.ReadFile(live)
	wal, err := os.ReadFile(live + ".wal")
	w.Close(ctx, false)
	if err != nil {
		t.Skipf("DuckDB wrote no log to fold (%v)", err)
	}
	os.WriteFile(live, b, 0o644)
	os.WriteFile(live+".wal", wal, 0o644)
	w, err = Begin(ctx, live, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, live); n != 7 {
		t.Errorf("%d rows after folding the log, want 7", n)
	}
}

// TestReopen: a working copy reopened between steps keeps what was written,
// its settings (the memory limit, the working copy's checkpoint threshold, how
// the allocator hands memory back) and its place (Commit still replaces the
// live file); a temporary table does not survive it. A read-only warehouse
// reopens read-only.
func TestReopen(t *testing.T) {
	ctx := context.Background()
	live := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Begin(ctx, live, Options{MemoryLimit: "300MB"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`CREATE TABLE t AS SELECT * FROM range(7)`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`CREATE TEMP TABLE scratch AS SELECT 1 AS x`); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(ctx); err != nil {
		t.Fatal(err)
	}
	var n int
	var limit, threshold, flush string
	var background bool
	if err := w.DB.QueryRow(`SELECT count(*), current_setting('memory_limit'), current_setting('checkpoint_threshold'),
		current_setting('allocator_flush_threshold'), current_setting('allocator_background_threads') FROM t`).Scan(&n, &limit, &threshold, &flush, &background); err != nil {
		t.Fatal(err)
	}
	// 300MB, 1GiB and 8MB as DuckDB prints them
	if n != 7 || limit != "286.1 MiB" || threshold != "1.0 GiB" || flush != "7.6 MiB" || !background {
		t.Errorf("after Reopen: %d rows, memory_limit %s, checkpoint_threshold %s, allocator_flush_threshold %s, allocator_background_threads %v; want 7, 286.1 MiB, 1.0 GiB, 7.6 MiB, true",
			n, limit, threshold, flush, background)
	}
	if _, err := w.DB.Exec(`SELECT * FROM scratch`); err == nil {
		t.Error("a temporary table survived Reopen")
	}
	if _, err := w.DB.Exec(`INSERT INTO t VALUES (7)`); err != nil {
		t.Fatal(err)
	}
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(t, live); got != 8 {
		t.Errorf("live file after Commit: %d rows, want 8", got)
	}
	ro, err := Open(ctx, live, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close(ctx, false)
	if err := ro.Reopen(ctx); err != nil {
		t.Fatalf("read-only Reopen: %v", err)
	}
	if err := ro.DB.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 8 {
		t.Errorf("read-only after Reopen: %d rows, %v", n, err)
	}
	if _, err := ro.DB.Exec(`INSERT INTO t VALUES (8)`); err == nil {
		t.Error("a read-only warehouse reopened writable")
	}
}

// TestReader: the second connection is on the same database, after a Reopen
// too (not a copy of the file as it was), with the database's settings, and
// its temporary tables are its own.
func TestReader(t *testing.T) {
	ctx := context.Background()
	w, err := Begin(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{MemoryLimit: "300MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Discard()
	if _, err := w.DB.Exec(`CREATE TABLE t AS SELECT * FROM range(7)`); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`INSERT INTO t VALUES (7)`); err != nil { // after the Reopen, in the log only
		t.Fatal(err)
	}
	r := w.Reader()
	defer r.Close()
	var n int
	var limit string
	if err := r.QueryRow(`SELECT count(*), current_setting('memory_limit') FROM t`).Scan(&n, &limit); err != nil {
		t.Fatal(err)
	}
	if n != 8 || limit != "286.1 MiB" {
		t.Errorf("the reader sees %d rows at memory_limit %s, want 8 at 286.1 MiB", n, limit)
	}
	if _, err := r.Exec(`CREATE TEMP TABLE mine AS SELECT 1 AS x`); err != nil {
		t.Fatal(err)
	}
	if err := r.QueryRow(`SELECT count(*) FROM mine`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the reader's own temporary table: %d rows, %v", n, err)
	}
	if _, err := w.DB.Exec(`SELECT * FROM mine`); err == nil {
		t.Error("the writer sees the reader's temporary table")
	}
	// closing a reader leaves the database open: another reader connects
	r.Close()
	r2 := w.Reader()
	defer r2.Close()
	if err := r2.QueryRow(`SELECT count(*) FROM t`).Scan(&n); err != nil || n != 8 {
		t.Errorf("a reader after one closed: %d rows, %v", n, err)
	}
}

// memoryLimit is DuckDB's memory_limit on w, as DuckDB prints it.
func memoryLimit(t *testing.T, w *Warehouse) string {
	t.Helper()
	var s string
	if err := w.DB.QueryRow(`SELECT current_setting('memory_limit')`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCapMemory(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		limit            string
		capped, reopened string // as DuckDB prints them
	}{
		{limit: "300MB", capped: "91.5 MiB", reopened: "286.1 MiB"},
		{limit: "1.5 GB", capped: "91.5 MiB", reopened: "1.3 GiB"},
		{limit: "64MB", capped: "61.0 MiB", reopened: "61.0 MiB"}, // lower already: kept
		{limit: "96MB", capped: "91.5 MiB", reopened: "91.5 MiB"},
	} {
		live := filepath.Join(t.TempDir(), "w.duckdb")
		w, err := Begin(ctx, live, Options{MemoryLimit: c.limit})
		if err != nil {
			t.Fatal(err)
		}
		lowered, err := w.CapMemory(ctx, "96MB")
		if err != nil {
			t.Fatal(err)
		}
		if want := c.capped != c.reopened; lowered != want {
			t.Errorf("opened at %s, capped at 96MB: lowered %v, want %v", c.limit, lowered, want)
		}
		if got := memoryLimit(t, w); got != c.capped {
			t.Errorf("opened at %s, capped at 96MB: memory_limit %s, want %s", c.limit, got, c.capped)
		}
		if err := w.Reopen(ctx); err != nil {
			t.Fatal(err)
		}
		if got := memoryLimit(t, w); got != c.reopened {
			t.Errorf("opened at %s, capped, reopened: memory_limit %s, want %s", c.limit, got, c.reopened)
		}
		w.Discard()
	}
	// no limit given: DuckDB's default (a share of the machine's memory) is capped
	w, err := Begin(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Discard()
	if lowered, err := w.CapMemory(ctx, "96MB"); err != nil || !lowered {
		t.Fatalf("opened without a limit, capped at 96MB: lowered %v, %v", lowered, err)
	}
	if got := memoryLimit(t, w); got != "91.5 MiB" {
		t.Errorf("opened without a limit, capped at 96MB: memory_limit %s", got)
	}
	if _, err := w.CapMemory(ctx, "lots"); err == nil {
		t.Error("a cap that is not a size was taken")
	}
	// a cap under a cap lowers it further; one above it leaves it (a step
	// capped at 20MB is not raised by its part's cap of 96MB)
	if lowered, err := w.CapMemory(ctx, "64MB"); err != nil || !lowered || memoryLimit(t, w) != "61.0 MiB" {
		t.Errorf("capped at 96MB, then 64MB: lowered %v, %v, memory_limit %s; want 61.0 MiB", lowered, err, memoryLimit(t, w))
	}
	if lowered, err := w.CapMemory(ctx, "96MB"); err != nil || lowered || memoryLimit(t, w) != "61.0 MiB" {
		t.Errorf("capped at 64MB, then 96MB: lowered %v, %v, memory_limit %s; want it kept at 61.0 MiB", lowered, err, memoryLimit(t, w))
	}
}

// OneThread lasts until the next Reopen, which gives back the threads the
// warehouse was opened with: DuckDB's default (the machine's cores) or the
// option.
func TestOneThread(t *testing.T) {
	ctx := context.Background()
	threads := func(w *Warehouse) int {
		t.Helper()
		var n int
		if err := w.DB.QueryRow(`SELECT current_setting('threads')`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, opened := range []int{0, 2} {
		w, err := Begin(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{Threads: opened})
		if err != nil {
			t.Fatal(err)
		}
		want := threads(w) // DuckDB's default: the machine's cores
		if opened > 0 && want != opened {
			t.Errorf("opened with Threads %d: %d threads", opened, want)
		}
		if err := w.OneThread(ctx); err != nil {
			t.Fatal(err)
		}
		if got := threads(w); got != 1 {
			t.Errorf("opened with Threads %d, then OneThread: %d threads", opened, got)
		}
		if err := w.Reopen(ctx); err != nil {
			t.Fatal(err)
		}
		if got := threads(w); got != want {
			t.Errorf("opened with Threads %d, OneThread, reopened: %d threads, want %d", opened, got, want)
		}
		w.Discard()
	}
}

// parseSize reads what DuckDB's memory_limit reads, to the byte: each form is
// set as written and as parseSize's count of bytes, and DuckDB must print both
// alike.
func TestParseSizeAgreesWithDuckDB(t *testing.T) {
	ctx := context.Background()
	w, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx, false)
	get := func(v string) string {
		t.Helper()
		if _, err := w.DB.Exec(fmt.Sprintf("SET memory_limit = '%s'", v)); err != nil {
			t.Fatalf("DuckDB refuses memory_limit %q: %v", v, err)
		}
		return memoryLimit(t, w)
	}
	for _, form := range []string{"192MB", "192mb", "96 MB", " 1G", "1.5GB", "1.0 gb", "512MiB", "3gib", "700000kb",
		"2048KiB", "123456789b", "5 bytes", "1 megabyte", "2 gigabytes", "0.25TB", "64M", "900k"} {
		n, ok := parseSize(form)
		if !ok {
			t.Errorf("parseSize(%q): not a size, but DuckDB takes it as %s", form, get(form))
			continue
		}
		if a, b := get(form), get(fmt.Sprintf("%dB", n)); a != b {
			t.Errorf("parseSize(%q) = %d bytes: DuckDB prints %s for the form and %s for the bytes", form, n, a, b)
		}
	}
	for _, form := range []string{"", "none", "-1", "MB", "12 parsecs", "1.2.3GB"} {
		if n, ok := parseSize(form); ok {
			t.Errorf("parseSize(%q) = %d, want not a size", form, n)
		}
	}
}

// TestCommitToFile: a transaction committed by CommitToFile is in the
// database file and nothing of it in the log, where a plain COMMIT of the
// same rows in a working copy writes them to the log; the threshold is the
// working copy's again after it, and the rows are all there.
func TestCommitToFile(t *testing.T) {
	ctx := context.Background()
	walSize := func(w *Warehouse) int64 {
		fi, err := os.Stat(w.Path + ".wal")
		if os.IsNotExist(err) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	for _, toFile := range []bool{false, true} {
		live := filepath.Join(t.TempDir(), "w.duckdb")
		w, err := Begin(ctx, live, Options{})
		if err != nil {
			t.Fatal(err)
		}
		conn, err := w.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var before string
		if err := conn.QueryRowContext(ctx, "SELECT current_setting('checkpoint_threshold')").Scan(&before); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"BEGIN TRANSACTION",
			`CREATE TABLE t AS SELECT range AS i, 'đơn vị ' || range AS s FROM range(300000)`} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		if toFile {
			err = CommitToFile(ctx, conn)
		} else {
			_, err = conn.ExecContext(ctx, "COMMIT")
		}
		if err != nil {
			t.Fatal(err)
		}
		wal := walSize(w)
		var after string
		if err := conn.QueryRowContext(ctx, "SELECT current_setting('checkpoint_threshold')").Scan(&after); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if after != before {
			t.Errorf("toFile=%v: checkpoint_threshold %q after the commit, %q before", toFile, after, before)
		}
		if toFile && wal != 0 {
			t.Errorf("CommitToFile left %d bytes of log", wal)
		}
		if !toFile && wal < 1<<20 {
			t.Errorf("a plain COMMIT in a working copy wrote %d bytes of log: the test no longer shows what CommitToFile saves", wal)
		}
		if err := w.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n := count(t, live); n != 300000 {
			t.Errorf("toFile=%v: %d rows, want 300000", toFile, n)
		}
	}
}

// TestOpenToReadSpillsBesideTheWorkingCopy: a report on the live file spills
// into the working copy's temporary folder, not the one every reader of the
// live file shares, and a killed run's leftovers are gone first.
func TestOpenToReadSpillsBesideTheWorkingCopy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "it's.duckdb") // a quote in the path: the setting is quoted
	w, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`CREATE TABLE t AS SELECT range AS i, repeat('x', 100) || range AS s FROM range(400000)`); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(ctx, true); err != nil {
		t.Fatal(err)
	}
	work := WorkPath(path)
	stale := filepath.Join(work+".tmp", "duckdb_temp_block-1.block")
	for _, p := range []string{work, stale} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte("left by a killed run"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := OpenToRead(ctx, path, Options{MemoryLimit: "16MB", Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx, false)
	for _, p := range []string{work, stale} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("a killed run's %s is still there: %v", p, err)
		}
	}
	// about 45 MB of rows held in a temporary table under a limit of 16 MB
	if _, err := r.DB.Exec(`CREATE TEMP TABLE big AS SELECT * FROM t ORDER BY s DESC`); err != nil {
		t.Fatal(err)
	}
	spilled, err := Column[string](ctx, r.DB, `SELECT path FROM duckdb_temporary_files()`)
	if err != nil {
		t.Fatal(err)
	}
	if len(spilled) == 0 {
		t.Fatal("nothing spilled: the test shows nothing")
	}
	for _, p := range spilled {
		if filepath.Dir(p) != work+".tmp" {
			t.Errorf("spilled into %s, want %s", p, work+".tmp")
		}
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the live file's shared folder was used: %v", err)
	}
	var n int
	if err := r.DB.QueryRow(`SELECT count(*) FROM big`).Scan(&n); err != nil || n != 400000 {
		t.Errorf("the spilled table holds %d rows (%v), want 400000", n, err)
	}
}
