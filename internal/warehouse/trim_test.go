package warehouse

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// TestTrimCHeapReturnsWhatDuckDBFreed: after a database made and dropped
// 800 tables (each a set of C++ objects from the C library's
// malloc), the C heap holds free pages, and TrimCHeap hands some back: the
// process's resident memory shrinks. glibc only: elsewhere TrimCHeap does nothing.
func TestTrimCHeapReturnsWhatDuckDBFreed(t *testing.T) {
	ctx := context.Background()
	w := linuxWarehouse(t, "malloc_trim is glibc's", Options{})
	for i := 0; i < 800; i++ {
		if _, err := w.DB.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE t%d (a INTEGER, b VARCHAR, c DATE, d DOUBLE);
			INSERT INTO t%d VALUES (%d, 'hàng %d', DATE '2025-01-01', 1.5)`, i, i, i, i)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 800; i++ {
		if i%3 == 0 {
			continue // some stay, between the freed ones
		}
		if _, err := w.DB.ExecContext(ctx, fmt.Sprintf(`DROP TABLE t%d`, i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := TrimCHeap(); n <= 0 {
		t.Errorf("TrimCHeap: resident memory shrank by %d bytes after about 530 tables were dropped: is it calling malloc_trim?", n)
	}
}

// TestCHeapKeepsFewArenas: DuckDB's eight threads, busy at once with strings
// (from glibc's malloc), share the four arenas orgqa_malloc_limits allows;
// without it, glibc gives them more (checked: 13 arenas).
func TestCHeapKeepsFewArenas(t *testing.T) {
	if n := cHeapArenas(); n < 0 {
		t.Skip("glibc's malloc_info only")
	}
	ctx := context.Background()
	w := linuxWarehouse(t, "glibc's arenas", Options{Threads: 8})
	for i := 0; i < 3; i++ {
		var n int64
		if err := w.DB.QueryRowContext(ctx, `SELECT count(DISTINCT s) FROM (SELECT 'đảng viên ' || (i % 500000) || repeat('x', i % 40) AS s
				FROM range(2000000) t(i))`).Scan(&n); err != nil {
			t.Fatal(err)
		}
	}
	if n := cHeapArenas(); n > 4 {
		t.Errorf("glibc's malloc has %d arenas after DuckDB's eight threads ran: orgqa allows 4", n)
	}
}

// linuxWarehouse opens a warehouse in the test's folder, closed when the test
// ends; the test is skipped (why) where the C allocators tested are not Linux's.
func linuxWarehouse(t *testing.T, why string, opt Options) *Warehouse {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip(why)
	}
	w, err := Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background(), false) })
	return w
}

// TestCHeapServesLargeBlocksFromItsArenas: a block of 3 MiB from the C heap
// comes from glibc's arenas (orgqa_malloc_limits fixes the mmap threshold at
// 4 MiB), and one of 8 MiB from a mapping of its own; without the setting,
// glibc maps the first (checked).
func TestCHeapServesLargeBlocksFromItsArenas(t *testing.T) {
	if runtime.GOOS != "linux" || cHeapMapped(1) < 0 {
		t.Skip("glibc's malloc only")
	}
	if os.Getenv("GLIBC_TUNABLES") != "" {
		t.Skip("GLIBC_TUNABLES is set: it may set the thresholds")
	}
	if got := cHeapMapped(3 << 20); got != 0 {
		t.Errorf("a block of 3 MiB was mapped on its own (%d)", got)
	}
	if got := cHeapMapped(8 << 20); got != 1 {
		t.Errorf("a block of 8 MiB came from an arena (%d): the threshold is not 4 MiB", got)
	}
}
