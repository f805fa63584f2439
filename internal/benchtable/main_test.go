package main

import (
	"strings"
	"testing"
	"time"
)

// TestMedians: each step's wall and CPU are its median over the rounds, its
// peak RSS the highest, and its ratio the median of the rounds' ratios, each
// taken against the floor and the full run of its own round.
func TestMedians(t *testing.T) {
	round := func(floor, ingest, transform, full float64, rss float64) []result {
		s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
		return []result{
			{step: "floor: excelize rows (raw, 1 goroutine)", rows: 1000, wall: s(floor), cpu: s(floor), floorFor: true},
			{step: "orgqa ingest (xlsx)", rows: 1000, wall: s(ingest), cpu: s(2 * ingest), rssMiB: rss},
			{step: "orgqa transform", rows: 1000, wall: s(transform), cpu: s(transform)},
			{step: "orgqa run (full, xlsx)", rows: 1000, wall: s(full), cpu: s(full)},
		}
	}
	// ingest ratios 5, 2, 4: median 4 (the ratio of the medians, 12/3, would be 4 too;
	// the full run's 0,5, 0,25, 0,6: median 0,5, where the medians' ratio is 6/12)
	rounds := [][]result{round(10, 2, 2, 5, 100), round(12, 6, 3, 3, 180), round(16, 4, 3, 9.6, 120)}
	med, figs := medians(rounds)
	if got := med[1].wall; got != 4*time.Second {
		t.Errorf("ingest wall %v, want the median 4s", got)
	}
	if got := med[1].cpu; got != 8*time.Second {
		t.Errorf("ingest CPU %v, want the median 8s", got)
	}
	if got := med[1].rssMiB; got != 180 {
		t.Errorf("ingest peak %v MiB, want the highest, 180", got)
	}
	if got := figs[1].ratio; got != 4 {
		t.Errorf("ingest ratio %v, want 4", got)
	}
	if got := figs[3].ratio; got != 0.5 {
		t.Errorf("full run ratio %v, want 0,5", got)
	}
	// the transform's share of its round's full run: 0,4, 1, 0,3125 -> 0,4
	if got := figs[2].share; got != 0.4 {
		t.Errorf("transform share %v, want 0,4", got)
	}
	if c := cells(med[1], figs[1]); c[6] != "4.00x faster" || !strings.HasPrefix(c[8], "wall s by round: 2.00, 6.00, 4.00") {
		t.Errorf("ingest row %q", c)
	}
	if c := cells(med[3], figs[3]); c[6] != "0.500x the time" {
		t.Errorf("full run row %q", c)
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median of four: %v, want 2,5", got)
	}
}
