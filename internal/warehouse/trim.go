package warehouse

/*
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
static int orgqa_malloc_trim(void) { return malloc_trim(0); }
// before the Go runtime starts its threads: glibc fixes how many arenas it
// may make the first time a second thread allocates (see below)
__attribute__((constructor)) static void orgqa_malloc_limits(void) { mallopt(M_ARENA_MAX, 4); }
// the arenas malloc_info lists ("<heap nr=...>"); -1 when it cannot tell
static int orgqa_malloc_arenas(void) {
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) return -1;
	int ok = malloc_info(0, f) == 0;
	fclose(f);
	int n = 0;
	for (char *p = buf; ok && (p = strstr(p, "<heap nr=")) != NULL; p++) n++;
	free(buf);
	return ok ? n : -1;
}
#else
static int orgqa_malloc_trim(void) { return 0; }
static int orgqa_malloc_arenas(void) { return -1; }
#endif
*/
import "C"

import (
	"bytes"
	"os"
	"strconv"
)

// glibc's malloc is bounded to four arenas by a C constructor, run when the
// program loads, before the Go runtime's threads allocate: glibc fixes how
// many arenas it may make the first time a second thread needs one, so a
// mallopt from Go, even at the first Open, came too late (checked: two
// allowed that way, four DuckDB threads made 5 arenas). DuckDB's
// vectors, string heaps and plans come from glibc, not from DuckDB's jemalloc,
// and glibc gives a thread that meets contention an arena of its own, up to 8
// a core, each keeping the pages its blocks freed. The nation's run (with the
// allocator's decay, see decay.go), against no bound, in one spell:
//   - 4 arenas: peak 407 MiB against 444, 261 s against 257 (CPU 321 s both);
//   - 2 arenas: 412 MiB, but 282 s and CPU 352 s: DuckDB's two threads and
//     Go's wait for each other's arena (transform 103 s against 86).
// A province's run is unchanged (6,94-7,30 s against 7,14-8,33, peak 260-269
// MiB against 263-278).
// (A fixed mmap threshold of 256 KiB also, which hands every large block back
// when it is freed: the nation's peak 396 MiB, but the province's transform
// took 3,3-3,5 s against 2,6-2,8, its large blocks faulted in again each time.)

// cHeapArenas is how many arenas glibc's malloc has (-1 where it cannot tell).
func cHeapArenas() int { return int(C.orgqa_malloc_arenas()) }

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
