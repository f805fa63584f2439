package main

import (
	"os"
	"os/exec"
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
			{step: "orgqa ingest (xlsx)", rows: 1000, wall: s(ingest), cpu: s(2 * ingest), rssMiB: rss, others: s(ingest / 2), steal: s(ingest / 4)},
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
	// what the machine did beside the ingest: the medians of 1, 3, 2 and of 0,5, 1,5, 1
	if got := med[1].others; got != 2*time.Second {
		t.Errorf("others' CPU beside the ingest %v, want the median 2s", got)
	}
	if got := med[1].steal; got != time.Second {
		t.Errorf("steal beside the ingest %v, want the median 1s", got)
	}
	if c := cells(med[1], figs[1]); c[8] != "2.00" || c[9] != "1.00" {
		t.Errorf("ingest row's others and steal %q %q, want 2.00 and 1.00", c[8], c[9])
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
	if c := cells(med[1], figs[1]); c[6] != "4.00x faster" || !strings.HasPrefix(c[10], "wall s by round: 2.00, 6.00, 4.00") {
		t.Errorf("ingest row %q", c)
	}
	if c := cells(med[3], figs[3]); c[6] != "0.500x the time" {
		t.Errorf("full run row %q", c)
	}
	// a skipped step's row has every column of the header, its reason last
	if c := cells(result{step: "peer", skipped: "no pandas"}, figures{}); len(c) != len(header) || c[len(c)-1] != "no pandas" || c[8] != "-" {
		t.Errorf("skipped row %q against %d columns", c, len(header))
	}
	if got := median([]float64{3, 1, 2, 10}); got != 2.5 {
		t.Errorf("median of four: %v, want 2,5", got)
	}
}

// TestCPUTicks reads the machine's CPU time from /proc/stat's first line:
// busy is user, nice and system (not idle, iowait, the interrupts' irq and
// softirq, nor guest, which user already holds), steal apart.
func TestCPUTicks(t *testing.T) {
	stat := "cpu  4705 150 1120 16250856 8023 3 44 37 0 0\ncpu0 2355 75 561 8125428 4011 0 22 18 0 0\nintr 1\n"
	c, err := parseCPUTicks(stat)
	if err != nil {
		t.Fatal(err)
	}
	if c.busy != 4705+150+1120 || c.steal != 37 {
		t.Errorf("got %+v, want busy 5975 and steal 37", c)
	}
	// 2,5 s of the machine's CPU and 0,3 s of steal beside a child of 1,2 s
	others, steal := c.during(cpuTicks{busy: c.busy + 250, steal: c.steal + 30}, 1200*time.Millisecond)
	if others != 1300*time.Millisecond || steal != 300*time.Millisecond {
		t.Errorf("others %v, steal %v; want 1,3 s and 0,3 s", others, steal)
	}
	// ticks are coarser than the child's own accounting: never below 0
	if others, _ := c.during(cpuTicks{busy: c.busy + 1, steal: c.steal}, 15*time.Millisecond); others != 0 {
		t.Errorf("others %v, want 0", others)
	}
	for _, bad := range []string{"", "intr 1\n", "cpu  1 2 3 4 5 6 7\n", "cpu  1 2 x 4 5 6 7 8\n"} {
		if _, err := parseCPUTicks(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestMeasureSeesTheOthers: a child that sleeps while this process burns a
// core is measured with little CPU of its own and the burn as the others'.
func TestMeasureSeesTheOthers(t *testing.T) {
	if _, err := os.Stat("/proc/stat"); err != nil {
		t.Skip("no /proc/stat here")
	}
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep(1)")
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	r, _, err := measure("sleep", sleep, "1")
	close(stop)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	if r.cpu > 200*time.Millisecond {
		t.Errorf("the sleeping child took %v of CPU", r.cpu)
	}
	if r.others < 300*time.Millisecond {
		t.Errorf("others' CPU %v beside a goroutine burning a core for 1 s, want at least 0,3 s", r.others)
	}
	if load := loadAverage(); len(strings.Fields(load)) != 3 {
		t.Errorf("load averages %q, want three", load)
	}
}
