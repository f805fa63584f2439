// Command orgqa is the nightly pipeline of a provincial Party Organization Board:
// ingest reporting units' spreadsheets, transform them into metrics, report.
package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"runtime/trace"
)

// goMemoryLimit is the Go heap's soft limit unless GOMEMLIMIT says otherwise:
// near it the collector works harder instead of letting the heap double its
// live size (at national scale the report's live heap is about 420 MB, and
// DuckDB holds up to --memory-limit beside it).
const goMemoryLimit = 640 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(goMemoryLimit)
	}
	stop := profile()
	code := Main(os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// profile writes Go's CPU profile to $ORGQA_CPUPROFILE and, at the end, its
// heap profile (the peak's allocations: every sample since start) to
// $ORGQA_MEMPROFILE, for `go tool pprof`, and Go's execution trace to
// $ORGQA_TRACE, for `go tool trace` (e.g. -pprof=sync: where goroutines
// wait on each other); unset, nothing.
func profile() (stop func()) {
	f := startTo("ORGQA_CPUPROFILE", pprof.StartCPUProfile)
	tf := startTo("ORGQA_TRACE", trace.Start)
	return func() {
		if f != nil {
			pprof.StopCPUProfile()
			f.Close()
		}
		if tf != nil {
			trace.Stop()
			tf.Close()
		}
		if p := os.Getenv("ORGQA_MEMPROFILE"); p != "" {
			runtime.GC()
			if m, err := os.Create(p); err == nil {
				pprof.Lookup("allocs").WriteTo(m, 0)
				m.Close()
			}
		}
	}
}

// startTo creates the file the environment variable names and starts
// writing to it; nil when the variable is unset or the file cannot be written
// (said on stderr: a profile never stops a command).
func startTo(env string, start func(io.Writer) error) *os.File {
	p := os.Getenv(env)
	if p == "" {
		return nil
	}
	f, err := os.Create(p)
	if err == nil {
		if err = start(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "orgqa: %s: %v\n", env, err)
		return nil
	}
	return f
}
