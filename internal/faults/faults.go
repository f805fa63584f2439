// Package faults lets the crash tests stop a real orgqa process at a named point
// of a run, the way failpoints do in databases' own tests. It does nothing unless
// ORGQA_FAULT is set in the environment, which no deployment does:
//
//	ORGQA_FAULT=crash:POINT[:N]   the process kills itself (SIGKILL) the N-th time (default 1) it reaches POINT
//	ORGQA_FAULT=hold:POINT:FILE[:N]  the N-th time at POINT, create FILE.held and wait until FILE exists
//	ORGQA_FAULT=fail:POINT        Fail(POINT) returns an error (a disk full, a rename refused)
//	ORGQA_FAULT=panic:POINT[:N]   the N-th time at POINT, panic (a reader meeting what it never expected)
package faults

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	once        sync.Once
	kind, point string
	arg, nth    string
	mu          sync.Mutex
	hits        int
)

func load() {
	parts := strings.SplitN(os.Getenv("ORGQA_FAULT"), ":", 4)
	if len(parts) < 2 {
		return
	}
	kind, point = parts[0], parts[1]
	if len(parts) >= 3 {
		arg = parts[2]
	}
	if kind == "crash" || kind == "panic" {
		nth = arg
	} else if len(parts) == 4 {
		nth = parts[3]
	}
}

// Fail returns an error where a test asks a step to fail (fail:POINT), nil otherwise.
func Fail(name string) error {
	once.Do(load)
	if kind != "fail" || point != name {
		return nil
	}
	return errors.New("fault injected at " + name + " (ORGQA_FAULT)")
}

// Point marks a place in a run where a test may crash or hold the process.
func Point(name string) {
	once.Do(load)
	if point != name {
		return
	}
	mu.Lock()
	hits++
	n := hits
	mu.Unlock()
	want, err := strconv.Atoi(nth)
	if err != nil || want < 1 {
		want = 1
	}
	if n != want {
		return
	}
	switch kind {
	case "panic":
		panic("fault injected at " + name + " (ORGQA_FAULT)")
	case "crash":
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute) // the signal is on its way
	case "hold":
		os.WriteFile(arg+".held", nil, 0o644)
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(arg); err == nil {
				return
			}
		}
	}
}
