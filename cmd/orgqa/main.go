// Command orgqa is the nightly pipeline of a provincial Party Organization Board:
// ingest reporting units' spreadsheets, transform them into metrics, report.
package main

import (
	"os"
	"runtime/debug"
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
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
