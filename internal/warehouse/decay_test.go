package warehouse

import (
	"context"
	"testing"
	"time"
)

// TestFreedPagesLeaveWithinSeconds: a query that builds a large hash table
// and ends leaves its pages in DuckDB's allocator; with the decay Open sets,
// three quarters of them leave the process's resident memory within four
// seconds.
// DuckDB's own decay (5 s dirty, then 5 s muzzy, resident all along) keeps
// them: the test fails without setAllocatorDecay (checked).
func TestFreedPagesLeaveWithinSeconds(t *testing.T) {
	ctx := context.Background()
	w := linuxWarehouse(t, "DuckDB's jemalloc is in its Linux builds", Options{MemoryLimit: "1GB"})
	before := residentBytes()
	if before == 0 {
		t.Skip("no /proc/self/statm")
	}
	var groups int64
	if err := w.DB.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT i % 3000000 AS k, 'membre ' || i AS s, count(*)
			FROM range(4000000) t(i) GROUP BY ALL)`).Scan(&groups); err != nil {
		t.Fatal(err)
	}
	peak := residentBytes()
	grew := peak - before
	if grew < 100<<20 {
		t.Fatalf("the query grew resident memory by %d MiB only: the test needs more", grew>>20)
	}
	var left int64
	for deadline := time.Now().Add(4 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if left = residentBytes() - before; left < grew/4 {
			t.Logf("grew %d MiB, %d MiB left", grew>>20, left>>20)
			return
		}
	}
	t.Errorf("4 s after a query that grew resident memory by %d MiB, %d MiB of it are still resident", grew>>20, left>>20)
}
