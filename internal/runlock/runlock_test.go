package runlock

import (
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestLockNamesItsHolder: a second Acquire is refused and names the first
// holder; after Release the lock is free and nothing stale is left.
func TestLockNamesItsHolder(t *testing.T) {
	path := Path(filepath.Join(t.TempDir(), "w.duckdb"))
	started := time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC)
	l, stale, err := Acquire(path, Holder{PID: 4242, Host: "srv", Command: "run", Started: started})
	if err != nil || stale != nil {
		t.Fatalf("first acquire: %v, stale %v", err, stale)
	}
	l.Update(func(h *Holder) { h.RunID, h.Step = 7, "transform" })
	_, _, err = Acquire(path, Holder{PID: 1, Command: "run"})
	var le *LockedError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.PID != 4242 || le.Holder.RunID != 7 || le.Holder.Step != "transform" {
		t.Fatalf("second acquire: %v", err)
	}
	if held, h, err := Inspect(path); err != nil || !held || h.PID != 4242 {
		t.Errorf("inspect while held: %v %+v %v", held, h, err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if held, h, err := Inspect(path); err != nil || held || h != nil {
		t.Errorf("inspect after release: %v %+v %v", held, h, err)
	}
	l2, stale, err := Acquire(path, Holder{PID: 5, Command: "run"})
	if err != nil || stale != nil {
		t.Fatalf("acquire after release: %v, stale %+v", err, stale)
	}
	l2.Release()
}

// TestStaleHolder: a holder that died (its lock released by the kernel, its
// name still in the file) is handed to the next holder as stale.
func TestStaleHolder(t *testing.T) {
	path := Path(filepath.Join(t.TempDir(), "w.duckdb"))
	l, _, err := Acquire(path, Holder{PID: 4242, Command: "run", RunID: 3, Step: "ingest"})
	if err != nil {
		t.Fatal(err)
	}
	l.f.Close() // dies: the kernel drops the lock, the file keeps its words
	if held, h, _ := Inspect(path); held || h == nil || h.PID != 4242 {
		t.Errorf("inspect after the holder died: held %v, %+v", held, h)
	}
	l2, stale, err := Acquire(path, Holder{PID: 5, Command: "run"})
	if err != nil || stale == nil || stale.RunID != 3 || stale.Step != "ingest" {
		t.Fatalf("acquire after a death: %v, stale %+v", err, stale)
	}
	l2.Release()
}
