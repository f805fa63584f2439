// Package runlock keeps two writers off one warehouse: an OS file lock (flock)
// beside the warehouse file, which the kernel releases when the holder dies, and
// in the file the holder's pid, start time, run and step, so a second run can say
// who holds it and the next run can tell that the previous one never finished.
// It knows nothing of DuckDB or of what a run does.
package runlock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// Holder is what the lock file says about the run holding it.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	RunID   int64     `json:"run_id,omitempty"`
	Started time.Time `json:"started"`
	Step    string    `json:"step,omitempty"`
	// Committed: the run's changes are in the warehouse (and its record with
	// them); if it dies now, there is nothing to record as interrupted.
	Committed bool `json:"committed,omitempty"`
	// Failed: the run ended without its commit (the error says why), after
	// perhaps publishing; the next run records it under its own RunID.
	Failed string `json:"failed,omitempty"`
	// Pending are earlier holders that died and whose record is not yet in
	// the warehouse: the run that finds them keeps them here until its commit.
	Pending []Holder `json:"pending,omitempty"`
}

func (h *Holder) String() string {
	if h == nil {
		return "an unknown process"
	}
	s := fmt.Sprintf("pid %d on %s (orgqa %s", h.PID, h.Host, h.Command)
	if h.RunID > 0 {
		s += fmt.Sprintf(", run %d", h.RunID)
	}
	s += ", started " + h.Started.Local().Format("2006-01-02 15:04:05 MST")
	if h.Step != "" {
		s += ", now in " + h.Step
	}
	return s + ")"
}

// LockedError is returned when another process holds the lock.
type LockedError struct {
	Path   string
	Holder *Holder // nil when the file could not be read
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("another run holds the lock %s: %s", e.Path, e.Holder)
}

// Lock is a held lock.
type Lock struct {
	f      *os.File
	path   string
	holder Holder
	keep   bool // Release leaves the holder in the file
}

// Path is the lock file beside the warehouse file.
func Path(warehouse string) string { return warehouse + ".lock" }

// Acquire takes the lock at path without waiting. It returns a *LockedError
// when another process holds it, and, when the file still names a holder that
// is gone (it died without releasing), that holder as stale.
func Acquire(path string, h Holder) (l *Lock, stale *Holder, err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", path, err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, nil, fmt.Errorf("lock %s: %w", path, err)
	}
	err = flockRetry(f)
	if err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			// the holder writes its name just after it takes the lock: give it a moment
			held, _ := readHolder(f)
			for i := 0; held == nil && i < 50; i++ {
				time.Sleep(20 * time.Millisecond)
				held, _ = readHolder(f)
			}
			return nil, nil, &LockedError{Path: path, Holder: held}
		}
		return nil, nil, fmt.Errorf("lock %s: %w", path, err)
	}
	stale, _ = readHolder(f)
	l = &Lock{f: f, path: path, holder: h}
	if err := l.write(); err != nil {
		l.Release()
		return nil, nil, err
	}
	return l, stale, nil
}

// flockRetry takes the exclusive lock, trying again for a moment: Inspect
// (orgqa status) holds a shared lock for microseconds, which must not turn a
// nightly run away.
func flockRetry(f *os.File) error {
	var err error
	for i := 0; i < 10; i++ {
		if err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); !errors.Is(err, syscall.EWOULDBLOCK) {
			return err
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Update rewrites the holder (a run id once known, the step in progress).
func (l *Lock) Update(fn func(*Holder)) error {
	fn(&l.holder)
	return l.write()
}

func (l *Lock) write() error {
	b, err := json.Marshal(l.holder)
	if err != nil {
		return err
	}
	if err := l.f.Truncate(0); err != nil {
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	if _, err := l.f.WriteAt(append(b, '\n'), 0); err != nil {
		return fmt.Errorf("lock %s: %w", l.path, err)
	}
	return nil
}

// Keep makes Release leave the holder in the file: the run ended without its
// record reaching the warehouse, and the next run must record it.
func (l *Lock) Keep() { l.keep = true }

// Release empties the file (the run ended: nothing stale is left, unless
// Keep was called) and unlocks.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	var err error
	if !l.keep {
		err = l.f.Truncate(0)
	}
	if e := syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN); err == nil {
		err = e
	}
	if e := l.f.Close(); err == nil {
		err = e
	}
	l.f = nil
	return err
}

// Inspect tells, without taking it, whether the lock is held, and by whom.
func Inspect(path string) (held bool, h *Holder, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil, nil
	}
	if err != nil {
		return false, nil, err
	}
	defer f.Close()
	// a shared lock is refused while a run holds the exclusive one
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			h, _ := readHolder(f)
			return true, h, nil
		}
		return false, nil, err
	}
	defer syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	h, _ = readHolder(f)
	return false, h, nil // h non-nil here: a holder that died
}

func readHolder(f *os.File) (*Holder, error) {
	b, err := io.ReadAll(io.NewSectionReader(f, 0, 1<<16))
	if err != nil || len(b) == 0 {
		return nil, err
	}
	var h Holder
	if err := json.Unmarshal(b, &h); err != nil {
		return nil, err
	}
	return &h, nil
}
