// Package warehouse opens orgqa's embedded DuckDB file. It owns the connection
// settings; it knows nothing of the tables (ingest, transform and reports do).
package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/marcboeker/go-duckdb"
)

// Warehouse is an open DuckDB file. DuckDB allows one writer per file, and a
// second sql.Open of the same file in one process gives a separate, stale copy:
// open it once per process and share this value.
type Warehouse struct {
	DB   *sql.DB
	Path string // the file open
	live string // for a working copy (Begin): the file it replaces on Commit
	opt  Options
	conn *duckdb.Connector // the database DB's connection is on
}

// Options tune DuckDB; zero values keep the defaults.
type Options struct {
	MemoryLimit string // e.g. "512MB"; DuckDB's memory lives outside the Go heap
	Threads     int
	ReadOnly    bool
	// CheckpointThreshold is the write-ahead log DuckDB lets grow before it
	// checkpoints on its own (DuckDB's default: 16MB)
	CheckpointThreshold string
	// TempDirectory is where DuckDB spills (its default: the file's path and
	// ".tmp"); see OpenToRead
	TempDirectory string
}

// readOnlyWait is how long a read-only Open waits for a writer to let go of
// the file: a night with nothing new writes its record into the live file in
// place (night.Session.quiet), for well under a second.
var readOnlyWait = 15 * time.Second

// Open opens (creating if needed) the warehouse file at path. Read-only, it
// waits up to readOnlyWait while another process writes the file.
func Open(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	deadline := time.Now().Add(readOnlyWait)
	for {
		w, err := open(ctx, path, opt)
		if err == nil || !opt.ReadOnly || !Busy(err) || time.Now().After(deadline) {
			return w, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// OutOfMemory says whether err is DuckDB running out of its memory limit.
func OutOfMemory(err error) bool {
	var de *duckdb.Error
	return errors.As(err, &de) && de.Type == duckdb.ErrorTypeOutOfMemory
}

// Busy says whether err is DuckDB refusing a file another process holds.
func Busy(err error) bool {
	return err != nil && strings.Contains(err.Error(), "Could not set lock on file")
}

func open(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	if !opt.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("warehouse %s: %w", path, err)
		}
	}
	dsn := path
	if opt.ReadOnly {
		dsn += "?access_mode=READ_ONLY"
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	// One connection: every write goes through it, in order (duckdb-go #127).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	w := &Warehouse{DB: db, Path: path, opt: opt, conn: connector}
	// Nothing orgqa writes relies on a table keeping the order its rows were
	// inserted in (every export and report sorts), and keeping it makes DuckDB
	// hold results in memory that it could otherwise stream or spill.
	settings := []string{"SET preserve_insertion_order = false",
		// DuckDB's allocator (jemalloc) keeps the pages a query freed, for the
		// next; by default it hands them back only after a task that peaked
		// above 128 MiB, and the memory limit does not count them. Handing
		// them back after any task above 8 MiB, and in the background, keeps
		// the process near what DuckDB uses (national run, with the reopen
		// before the report: peak 633 -> 534 MiB; time unchanged).
		"SET allocator_flush_threshold = '8MB'",
		"SET allocator_background_threads = true"}
	if opt.MemoryLimit != "" {
		settings = append(settings, fmt.Sprintf("SET memory_limit = '%s'", opt.MemoryLimit))
	}
	if opt.Threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", opt.Threads))
	}
	if opt.CheckpointThreshold != "" {
		settings = append(settings, fmt.Sprintf("SET checkpoint_threshold = '%s'", opt.CheckpointThreshold))
	}
	if opt.TempDirectory != "" {
		settings = append(settings, "SET temp_directory = "+Literal(opt.TempDirectory))
	}
	for _, s := range settings {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("warehouse %s: %s: %w", path, s, err)
		}
	}
	setAllocatorDecay()
	return w, nil
}

// Close checkpoints a writable warehouse, so the file alone holds everything,
// and closes it.
func (w *Warehouse) Close(ctx context.Context, checkpoint bool) error {
	var err error
	if checkpoint {
		if _, e := w.DB.ExecContext(ctx, "CHECKPOINT"); e != nil {
			err = fmt.Errorf("warehouse %s: checkpoint: %w", w.Path, e)
		}
	}
	if e := w.DB.Close(); e != nil && err == nil {
		err = fmt.Errorf("warehouse %s: close: %w", w.Path, e)
	}
	return err
}

// OpenToRead opens the live warehouse at path read-only for a run that holds
// the run lock and works without a working copy (a night decided read-only,
// orgqa report). What it spills goes where a working copy's went (WorkPath and
// ".tmp"), not into the live file's folder: every reader of the live file
// spills there, under names that are not unique between processes, and the
// first to close removes the folder. A killed run's working copy and spills
// are removed first, as Begin does.
func OpenToRead(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	work := WorkPath(path)
	if err := removeDB(work); err != nil {
		return nil, err
	}
	opt.ReadOnly, opt.TempDirectory = true, work+".tmp"
	return Open(ctx, path, opt)
}

// Literal is s as a DuckDB string literal, for a statement that takes no
// parameters (SET, COPY): a path from orgqa's own flags or files, or a
// metric's name; never an input cell.
func Literal(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// A writer never opens the live file for writing. Begin copies it to a working
// file beside it, the run writes there, and Commit checkpoints the copy and
// renames it over the live file. So readers (orgqa query, DuckDB itself) can open
// the live file read-only all through a run, and a process killed at any moment
// leaves the live file exactly as the last finished run left it.

// workCheckpointThreshold is the write-ahead log a working copy may grow before
// DuckDB checkpoints it on its own.
const workCheckpointThreshold = "1GiB"

// WorkPath is the working copy of the warehouse at path.
func WorkPath(path string) string { return path + ".next" }

// Begin opens a working copy of the warehouse at path (an empty one when path
// does not exist yet). The caller must hold the run lock: a working copy left by
// a killed run is thrown away here.
func Begin(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	if opt.ReadOnly {
		return nil, errors.New("warehouse: a working copy is for writing")
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", path, err)
	}
	work := WorkPath(path)
	if err := removeDB(work); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path + ".wal"); err == nil {
		// the live file was written in place and not checkpointed (an older
		// orgqa, or DuckDB used directly): fold its log in before copying
		w, err := Open(ctx, path, opt)
		if err != nil {
			return nil, err
		}
		if err := w.Close(ctx, true); err != nil {
			return nil, err
		}
	}
	if err := copyFile(path, work); err != nil && !errors.Is(err, os.ErrNotExist) {
		removeDB(work)
		return nil, fmt.Errorf("warehouse %s: copy: %w", path, err)
	}
	// Nothing in the working copy needs to be durable before Commit checkpoints
	// it, so DuckDB's automatic checkpoints (every 16 MB of log by default) are
	// only cost: at province scale they were a fifth of ingest. The log is still
	// bounded, and Commit folds it in.
	opt.CheckpointThreshold = workCheckpointThreshold
	w, err := Open(ctx, work, opt)
	if err != nil {
		removeDB(work)
		return nil, err
	}
	w.live = path
	return w, nil
}

// Reopen checkpoints and closes the file and opens it again, with the same
// options: DuckDB frees what it kept from the work before (its buffers, and
// the allocations behind them) instead of carrying them into the next step.
// Temporary tables and settings made since Open do not survive it. Read-only,
// it waits as Open does for a writer to let go of the file.
func (w *Warehouse) Reopen(ctx context.Context) error {
	if err := w.Close(ctx, !w.opt.ReadOnly); err != nil {
		return err
	}
	TrimCHeap() // what the closed database's objects held
	n, err := Open(ctx, w.Path, w.opt)
	if err != nil {
		return err
	}
	w.DB, w.conn = n.DB, n.conn
	return nil
}

// Reader opens a second connection on the open database, for reading while
// DB's connection does something else (DuckDB runs the two at once; a write
// on it would not be ordered with DB's, so it is for reads and temporary
// tables only). Settings are the database's. The caller closes it, before
// Reopen, Close or Commit; closing it leaves the database open.
func (w *Warehouse) Reader() *sql.DB {
	db := sql.OpenDB(borrowed{w.conn})
	db.SetMaxOpenConns(1) // one connection: a temporary table is seen by what follows
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	return db
}

// borrowed connects to a database that another sql.DB owns. It is not an
// io.Closer: sql.DB.Close closes a connector that is, and the DuckDB
// connector's Close closes the database, under the owner's connection.
type borrowed struct{ c *duckdb.Connector }

func (b borrowed) Connect(ctx context.Context) (driver.Conn, error) { return b.c.Connect(ctx) }
func (b borrowed) Driver() driver.Driver                            { return b.c.Driver() }

// CapMemory lowers DuckDB's memory limit to at most limit (in DuckDB's units,
// e.g. "96MB") until the next Reopen, which restores the limit the warehouse
// was opened with, and says whether it lowered it. A lower limit stays, the
// one it was opened with or an earlier cap's (DuckDB's own print of it,
// "122.0 MiB", is compared); so does one this package cannot read (DuckDB
// read it: it is not compared, never raised).
func (w *Warehouse) CapMemory(ctx context.Context, limit string) (lowered bool, err error) {
	want, ok := parseSize(limit)
	if !ok {
		return false, fmt.Errorf("warehouse: memory cap %q is not a size", limit)
	}
	var current string
	if err := w.DB.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&current); err != nil {
		return false, fmt.Errorf("warehouse %s: memory limit: %w", w.Path, err)
	}
	have, ok := parseSize(current)
	if !ok && w.opt.MemoryLimit != "" {
		return false, nil
	}
	if ok && have <= want {
		return false, nil
	}
	if _, err := w.DB.ExecContext(ctx, fmt.Sprintf("SET memory_limit = '%s'", limit)); err != nil {
		return false, fmt.Errorf("warehouse %s: memory cap %s: %w", w.Path, limit, err)
	}
	return true, nil
}

// OneThread has DuckDB run every statement on the thread that asks for it,
// with none of its own beside it, until the next Reopen, which restores the
// threads the warehouse was opened with. For a step whose Go work keeps the
// other core busy: DuckDB's second thread then only competes with it.
func (w *Warehouse) OneThread(ctx context.Context) error {
	if _, err := w.DB.ExecContext(ctx, "SET threads = 1"); err != nil {
		return fmt.Errorf("warehouse %s: one thread: %w", w.Path, err)
	}
	return nil
}

// MinMemoryLimit is the least memory limit orgqa takes (--memory-limit).
// Below it DuckDB cannot build even a small set's marts: three units' ran out
// of memory at 32 MB (in mart_trend), a province's at 48 MB. Below 16 MB
// DuckDB aborts the whole process when a statement runs out of memory, leaving
// no run in the history and no message.
const MinMemoryLimit = "64MB"

// CheckMemoryLimit says why limit cannot be orgqa's memory limit: it is not a
// size DuckDB reads, or it is below MinMemoryLimit.
func CheckMemoryLimit(limit string) error {
	n, ok := parseSize(limit)
	if !ok {
		return fmt.Errorf("%q is not a size: write it as DuckDB does, e.g. 192MB or 1GB", limit)
	}
	if min, _ := parseSize(MinMemoryLimit); n < min {
		return fmt.Errorf("%s is below %s, the least orgqa's steps can work in", limit, MinMemoryLimit)
	}
	return nil
}

// parseSize reads a size as DuckDB's memory_limit takes it: a number, then a
// unit of bytes (b), decimal kilo- to terabytes (kb, mb, gb, tb, or k, m, g,
// t, or the words) or binary ones (kib, mib, gib, tib), in any case. DuckDB's
// "none" and "-1" (no limit) are not sizes.
func parseSize(s string) (int64, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	i := strings.IndexFunc(s, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	if i <= 0 {
		return 0, false
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, false
	}
	units := map[string]float64{
		"b": 1, "byte": 1, "bytes": 1,
		"k": 1e3, "kb": 1e3, "kilobyte": 1e3, "kilobytes": 1e3,
		"m": 1e6, "mb": 1e6, "megabyte": 1e6, "megabytes": 1e6,
		"g": 1e9, "gb": 1e9, "gigabyte": 1e9, "gigabytes": 1e9,
		"t": 1e12, "tb": 1e12, "terabyte": 1e12, "terabytes": 1e12,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}
	m, ok := units[strings.TrimSpace(s[i:])]
	if !ok {
		return 0, false
	}
	return int64(n * m), true
}

// CommitToFile commits the transaction open on conn with DuckDB writing its
// changes into the database file at once (a checkpoint), not into the log.
// A working copy's log is only ever read back by the checkpoint that ends
// the step (workCheckpointThreshold keeps DuckDB from checkpointing on its
// own), so for a step's last large commit the log is the same rows written
// twice: province, the transform's COMMIT 0,25-0,32 s and the checkpoint
// after it 0,4-0,5 s, against 0,7-0,8 s for the two at once; the ingest's
// last group 0,25-0,29 s + 0,37-0,40 s against 0,42-0,57 s + 0,04 s.
// DuckDB checkpoints on a commit whose changes and log together pass
// checkpoint_threshold; it is lowered for the COMMIT and set back after,
// whether the COMMIT succeeded or not.
func CommitToFile(ctx context.Context, conn *sql.Conn) error {
	var was string
	if err := conn.QueryRowContext(ctx, "SELECT current_setting('checkpoint_threshold')").Scan(&was); err != nil {
		return fmt.Errorf("warehouse: checkpoint threshold: %w", err)
	}
	if _, err := conn.ExecContext(ctx, "SET checkpoint_threshold = '0B'"); err != nil {
		return fmt.Errorf("warehouse: checkpoint threshold: %w", err)
	}
	_, err := conn.ExecContext(ctx, "COMMIT")
	// the setting as DuckDB shows it (e.g. "1.0 GiB"), not input: a size in
	// whole binary units (workCheckpointThreshold, DuckDB's default 16 MiB)
	// comes back exactly; another within the 0,1 of a unit DuckDB shows
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("SET checkpoint_threshold = '%s'", was)); rerr != nil && err == nil {
		err = fmt.Errorf("warehouse: checkpoint threshold back to %s: %w", was, rerr)
	}
	return err
}

// Commit checkpoints and closes the working copy and puts it in place of the
// live file, durably. After an error the live file is the one before Begin.
func (w *Warehouse) Commit(ctx context.Context) error {
	if w.live == "" {
		return errors.New("warehouse: Commit on a warehouse not opened by Begin")
	}
	if err := w.Close(ctx, true); err != nil {
		removeDB(w.Path)
		return err
	}
	if _, err := os.Stat(w.Path + ".wal"); err == nil {
		removeDB(w.Path)
		return fmt.Errorf("warehouse %s: the checkpoint left a write-ahead log; the run's changes are not kept", w.Path)
	}
	if err := syncFile(w.Path); err != nil {
		return err
	}
	if err := os.Rename(w.Path, w.live); err != nil {
		return fmt.Errorf("warehouse %s: %w", w.live, err)
	}
	return syncFile(filepath.Dir(w.live))
}

// Discard closes the working copy and throws it away: the live file stays as it was.
func (w *Warehouse) Discard() error {
	w.DB.Close()
	if w.live == "" {
		return nil
	}
	return removeDB(w.Path)
}

func removeDB(path string) error {
	for _, p := range []string{path, path + ".wal"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("warehouse: %w", err)
		}
	}
	return os.RemoveAll(path + ".tmp")
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil { // copy_file_range on Linux
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	return nil
}

// Column is the first column of query's rows: the names a catalog query
// lists, the ids of some loads, the years loaded.
func Column[T any](ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// ListArg passes a list of strings as one statement parameter, read as a
// VARCHAR[] by ListParam in the statement's text: each element hex-encoded,
// so any text (a comma, a quote, a newline in a file name) comes back
// exactly. go-duckdb binds no lists, and DuckDB 1.1's cast of '['a', 'b']' to
// VARCHAR[] keeps the quotes in the elements. The list must not be empty.
func ListArg(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = hex.EncodeToString([]byte(x))
	}
	return strings.Join(q, ",")
}

// ListParam is the parameter of a ListArg, as a VARCHAR[].
const ListParam = `list_transform(string_split(?, ','), x -> decode(unhex(x)))`
