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
// (and its thresholds, unless GLIBC_TUNABLES sets them: see below)
__attribute__((constructor)) static void orgqa_malloc_limits(void) {
	mallopt(M_ARENA_MAX, 4);
	const char *tun = getenv("GLIBC_TUNABLES");
	if (!tun || !strstr(tun, "malloc.mmap_threshold")) mallopt(M_MMAP_THRESHOLD, 4 << 20);
	if (!tun || !strstr(tun, "malloc.trim_threshold")) mallopt(M_TRIM_THRESHOLD, 16 << 20);
}
// whether a block of n bytes comes from its own mmap (glibc's hblks grows
// while it is held): -1 when it cannot tell
static int orgqa_malloc_mapped(size_t n) {
	struct mallinfo2 before = mallinfo2();
	char *p = malloc(n);
	if (!p) return -1;
	p[0] = p[n - 1] = 1;
	struct mallinfo2 held = mallinfo2();
	free(p);
	return held.hblks > before.hblks;
}
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
static int orgqa_malloc_mapped(size_t n) { return -1; }
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
//
// The constructor also fixes glibc's thresholds: a block under 4 MiB comes
// from the arenas, not from an mmap of its own that free hands back, and an
// arena gives back the free memory at its top only above 16 MiB. glibc
// starts at 128 KiB and 256 KiB and raises them as large blocks are freed;
// until then every large block of DuckDB's (a vector's buffer, a compression
// analysis's tables: perf shows FSST's symbol tables faulting in at each
// column of each row group written) is a fresh mapping, faulted in page by
// page (about 11 µs a page here). A province's ingest alone, 5 alternating
// pairs: 3,22-3,42 s against 3,33-3,42, 48.000-51.000 page faults against
// 57.000-62.000, peak 208-217 MiB against 211-219. Between steps
// TrimCHeap hands the free pages back as before. GLIBC_TUNABLES's
// glibc.malloc.mmap_threshold and glibc.malloc.trim_threshold still win.

// cHeapMapped is whether a block of n bytes from the C heap is a mapping of
// its own (-1 where it cannot tell).
func cHeapMapped(n int) int { return int(C.orgqa_malloc_mapped(C.size_t(n))) }

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
