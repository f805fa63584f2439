package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// isTerminal reports whether f is a terminal (not a file, pipe, socket or /dev/null).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// progressBar draws one line at the bottom of a terminal, under the log lines:
// every log write first clears the bar, then draws it again. Under cron or
// systemd stderr is no terminal and there is no bar at all.
type progressBar struct {
	w    *os.File
	mu   sync.Mutex
	line string
}

// Write is the log handler's output.
func (p *progressBar) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		fmt.Fprint(p.w, "\r\033[K")
	}
	n, err := p.w.Write(b)
	if p.line != "" {
		fmt.Fprint(p.w, p.line)
	}
	return n, err
}

// set draws the bar for done of total items of a step.
func (p *progressBar) set(step string, done, total int, item string) {
	if p == nil || total == 0 {
		return
	}
	const width = 30
	filled := done * width / total
	line := fmt.Sprintf("%s [%s%s] %d/%d %s", step, strings.Repeat("=", filled), strings.Repeat(" ", width-filled),
		done, total, filepath.Base(item))
	p.mu.Lock()
	defer p.mu.Unlock()
	p.line = line
	fmt.Fprint(p.w, "\r\033[K"+line)
}

// clear removes the bar.
func (p *progressBar) clear() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.line != "" {
		fmt.Fprint(p.w, "\r\033[K")
		p.line = ""
	}
}
