package warehouse

/*
#include <stddef.h>
#include <sys/types.h>
#include <stdlib.h>
// DuckDB's own jemalloc, in the Linux builds of its library; weak, so that a
// build without it links and sets nothing.
extern int duckdb_je_mallctl(const char *, void *, size_t *, void *, size_t) __attribute__((weak));
static int orgqa_je_set_ms(const char *name, long ms) {
	if (!duckdb_je_mallctl) return -1;
	ssize_t v = ms;
	return duckdb_je_mallctl(name, NULL, NULL, &v, sizeof(v));
}
*/
import "C"

import (
	"sync"
	"unsafe"
)

// DuckDB's allocator keeps the pages DuckDB freed, resident, for later
// allocations: "dirty" for dirtyDecayMs, then "muzzy" (handed back lazily with
// MADV_FREE, which stays resident until the kernel wants the memory) for
// muzzyDecayMs. DuckDB builds it with 5 s each. In the nation's run, sampled
// with jemalloc's own statistics, the pages it kept were most of its
// residency: at the transform's peak 254 MiB resident for 77 MiB in use, at
// the report's 344 for 191. A page handed back and used again costs a fault
// (about 11 µs in this VM), so not at once: the nation's run, each
// dirty/muzzy in ms, peak and report step:
//   - 5000/5000 (DuckDB's): 490-531 MiB, report 21,5-23,3 s;
//   - 2000/0: 442-444 MiB, report 21,9-24,2 s;
//   - 1000/0: 417 MiB, report 36,6 s (its sort uses pages again after a
//     second).
//
// A province's run is unchanged (6,74-7,23 s against 6,75-7,38, peak 275-287
// MiB against 262-286).
const (
	dirtyDecayMs = 2000
	muzzyDecayMs = 0
)

var decayOnce sync.Once

// setAllocatorDecay sets the decay of DuckDB's allocator, once per process,
// after DuckDB has started it: for its arena (DuckDB builds it with one) and
// for any it creates later. Where the library has no jemalloc, nothing.
func setAllocatorDecay() {
	decayOnce.Do(func() {
		for _, s := range []struct {
			name string
			ms   int
		}{
			{"arenas.dirty_decay_ms", dirtyDecayMs}, {"arena.0.dirty_decay_ms", dirtyDecayMs},
			{"arenas.muzzy_decay_ms", muzzyDecayMs}, {"arena.0.muzzy_decay_ms", muzzyDecayMs},
		} {
			name := C.CString(s.name)
			C.orgqa_je_set_ms(name, C.long(s.ms))
			C.free(unsafe.Pointer(name))
		}
	})
}
