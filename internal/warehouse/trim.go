package warehouse

/*
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
static int orgqa_malloc_trim(void) { return malloc_trim(0); }
#else
static int orgqa_malloc_trim(void) { return 0; }
#endif
*/
import "C"

import (
	"bytes"
	"os"
	"strconv"
)

// TrimCHeap hands the C heap's free pages back to the system (glibc's
// malloc_trim; elsewhere nothing), and returns how much the process's
// resident memory shrank meanwhile (bytes; 0 where it cannot tell). DuckDB
// keeps its data in its own allocator, but its C++ objects (plans, catalog
// entries, appenders' buffers) come from the C library's malloc, whose arenas
// keep what they freed: during the nation's ingest glibc's arenas grew to
// 116 MiB with 8-28 in use, resident all along under each step's own peak.
// One pass over the arenas: 15-18 ms after a group of the nation's reports.
func TrimCHeap() int64 {
	before := residentBytes()
	if C.orgqa_malloc_trim() == 0 {
		return 0
	}
	if after := residentBytes(); before > after {
		return before - after
	}
	return 0
}

// residentBytes is the process's resident memory from /proc/self/statm
// (Linux; 0 elsewhere).
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return 0
	}
	return pages * int64(os.Getpagesize())
}
