package warehouse

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"testing"
)

// TestTrimCHeapReturnsWhatDuckDBFreed: after a database made and dropped
// 800 tables (each a set of C++ objects from the C library's
// malloc), the C heap holds free pages, and TrimCHeap hands some back: the
// process's resident memory shrinks. glibc only: elsewhere TrimCHeap does nothing.
func TestTrimCHeapReturnsWhatDuckDBFreed(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("malloc_trim is glibc's")
	}
	ctx := context.Background()
	w, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{})
	if err != nil {
		t.Fatal(err)
	}
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
	if err := w.Close(ctx, false); err != nil {
		t.Fatal(err)
	}
}
