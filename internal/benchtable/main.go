// Command benchtable is `make bench`: it generates (once, cached) a data set at
// province or national scale with orgqa gen and measures, side by side in one
// run, each step as its own process — the excelize floor, ingest of the XLSX
// and of the CSV set, transform, report, a full run and a run with nothing new,
// and a pandas/openpyxl peer when Debian's python3-pandas is installed — and
// prints one table: rows, rows/s, wall and CPU seconds and peak RSS per step,
// with ingest's ratio to the floor. Every figure comes from the kernel's
// accounting of the child process (wait4 rusage), not from the program measured.
package main

import (
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"
)

//go:embed peer_m1.py
var peerScript []byte

type result struct {
	step   string
	rows   int64
	wall   time.Duration
	cpu    time.Duration
	rssMiB float64
	// the machine meanwhile (/proc/stat): the CPU time every other process
	// took, and the time the hypervisor gave this VM's CPUs to other guests
	// (steal). A step measured beside either is not measured alone.
	others, steal time.Duration
	note          string
	skipped       string
	floorFor      bool // the reference for the ratio column
}

func main() {
	orgqa := flag.String("orgqa", "bin/orgqa", "the orgqa binary to measure")
	scale := flag.String("scale", "province", "data set: province (120 units) or national")
	cache := flag.String("cache", filepath.Join(os.TempDir(), "orgqa-bench"), "where generated data sets are kept between runs")
	year := flag.Int("year", 2025, "report year of the data set")
	md := flag.String("markdown", "", "also write the table as Markdown to this file")
	floor := flag.String("floor", "", "internal: run the excelize floor over this folder and print its row count")
	only := flag.String("steps", "", "comma-separated steps to run (floor, ingest-xlsx, transform, report, ingest-csv, run, run-again, peer, million-rejects); default all")
	repeat := flag.Int("repeat", 1, "rounds of every step, one after the other; more than one prints each round, then each step's median")
	flag.Parse()
	if *floor != "" {
		n, err := floorRows(*floor)
		if err != nil {
			fmt.Fprintln(os.Stderr, "floor:", err)
			os.Exit(1)
		}
		fmt.Println(n)
		return
	}
	want := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			want[s] = true
		}
	}
	if *repeat < 1 {
		fmt.Fprintln(os.Stderr, "benchtable: -repeat must be at least 1")
		os.Exit(2)
	}
	if err := run(*orgqa, *scale, *cache, *year, *md, want, *repeat); err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
}

func run(orgqa, scale, cache string, year int, md string, want map[string]bool, repeat int) error {
	orgqa, err := filepath.Abs(orgqa)
	if err != nil {
		return err
	}
	xlsx, err := dataset(orgqa, cache, scale, year, "xlsx")
	if err != nil {
		return err
	}
	on := func(step string) bool { return len(want) == 0 || want[step] }
	csv := ""
	if on("ingest-csv") {
		if csv, err = dataset(orgqa, cache, scale, year, "csv"); err != nil {
			return err
		}
	}
	var rounds [][]result
	var loads []string // each round's load averages at its start
	var members, m1 string
	for round := 1; round <= repeat; round++ {
		loads = append(loads, loadAverage())
		results, mem, m, err := runRound(orgqa, xlsx, csv, cache, year, on)
		if err != nil {
			return err
		}
		rounds = append(rounds, results)
		members, m1 = mem, m
	}
	title := fmt.Sprintf("orgqa bench: scale %s (%s workbooks), year %d, %s; %d cores", scale, countFiles(xlsx, ".xlsx"), year,
		time.Now().Format("2006-01-02 15:04"), runtime.NumCPU())
	if members != "" {
		title += "; members: " + members
	}
	for _, results := range rounds {
		for i := range results {
			if strings.HasPrefix(results[i].step, "peer") && results[i].skipped == "" {
				results[i].note += fmt.Sprintf(" (orgqa's M1: %s)", m1)
			}
		}
	}
	var f io.Writer = io.Discard
	if md != "" {
		file, err := os.Create(md)
		if err != nil {
			return err
		}
		defer file.Close()
		f = file
	}
	if repeat == 1 {
		t := title + loadNote(loads[0])
		printTable(os.Stdout, t, rounds[0], nil)
		printMarkdown(f, t, rounds[0], nil)
		return nil
	}
	for i, results := range rounds {
		t := fmt.Sprintf("%s; round %d of %d%s", title, i+1, repeat, loadNote(loads[i]))
		printTable(os.Stdout, t, results, nil)
		fmt.Println()
		printMarkdown(f, t, results, nil)
		fmt.Fprintln(f)
	}
	med, figs := medians(rounds)
	t := fmt.Sprintf("%s; each step's median of %d rounds (its ratio the median of the rounds' ratios); load averages at the rounds' starts: %s",
		title, repeat, strings.Join(loads, "; "))
	printTable(os.Stdout, t, med, figs)
	printMarkdown(f, t, med, figs)
	return nil
}

// loadNote is a title's mention of the load averages at a round's start.
func loadNote(load string) string {
	if load == "" {
		return ""
	}
	return "; load averages at its start " + load
}

// runRound runs the steps once, each on warehouses of its own round, and
// returns their results, the year's members and orgqa's M1.
func runRound(orgqa, xlsx, csv, cache string, year int, on func(string) bool) (_ []result, members, m1 string, err error) {
	work, err := os.MkdirTemp("", "orgqa-bench-run-")
	if err != nil {
		return nil, "", "", err
	}
	defer os.RemoveAll(work)
	wh := func(name string) string { return filepath.Join(work, name, "w.duckdb") }
	out := func(name string) string { return filepath.Join(work, name, "out") }
	self, _ := os.Executable()
	var results []result
	add := func(r result, err error) error {
		if err != nil {
			return fmt.Errorf("%s: %w", r.step, err)
		}
		fmt.Fprintf(os.Stderr, "bench: %-26s %8.2f s wall\n", r.step, r.wall.Seconds())
		results = append(results, r)
		return nil
	}
	type step struct {
		key string
		run func() error
	}
	steps := []step{
		{"floor", func() error {
			r, outText, err := measure("floor: excelize rows (raw, 1 goroutine)", self, "-floor", xlsx)
			if err == nil {
				r.rows, err = strconv.ParseInt(strings.TrimSpace(outText), 10, 64)
				r.floorFor, r.note = true, "every row of every sheet, titles and headers too"
			}
			return add(r, err)
		}},
		{"ingest-xlsx", func() error {
			r, err := orgqaStep("orgqa ingest (xlsx)", orgqa, wh("x"), "ingest", "--input", xlsx)
			return add(r, err)
		}},
		{"transform", func() error {
			r, err := orgqaStep("orgqa transform", orgqa, wh("x"), "transform", "--year", fmt.Sprint(year))
			return add(r, err)
		}},
		{"report", func() error {
			r, err := orgqaStep("orgqa report", orgqa, wh("x"), "report", "--year", fmt.Sprint(year), "--output", out("x"))
			return add(r, err)
		}},
		{"ingest-csv", func() error {
			r, err := orgqaStep("orgqa ingest (csv)", orgqa, wh("c"), "ingest", "--input", csv)
			return add(r, err)
		}},
		{"run", func() error {
			r, err := orgqaStep("orgqa run (full, xlsx)", orgqa, wh("r"), "run", "--input", xlsx, "--output", out("r"))
			return add(r, err)
		}},
		{"run-again", func() error {
			r, err := orgqaStep("orgqa run (nothing new)", orgqa, wh("r"), "run", "--input", xlsx, "--output", out("r"))
			return add(r, err)
		}},
		{"peer", func() error { return add(peer(work, xlsx, year)) }},
		{"million-rejects", func() error {
			dir, err := millionRows(cache, year)
			if err != nil {
				return err
			}
			r, err := orgqaStep("orgqa run (1.000.000 bad rows)", orgqa, wh("m"), "run", "--input", dir, "--output", out("m"))
			if err == nil {
				rej, _ := query(orgqa, wh("m"), `SELECT count(*) FROM rejects`)
				r.note = "one report, " + rej + " rows rejected (a member code repeated); its rejects workbook and Parquet written"
			}
			return add(r, err)
		}},
	}
	for _, s := range steps {
		if !on(s.key) {
			continue
		}
		if err := s.run(); err != nil {
			return nil, "", "", err
		}
	}
	members, _ = query(orgqa, wh("r"), fmt.Sprintf(`SELECT count(*) FROM members WHERE report_year = %d`, year))
	m1, _ = query(orgqa, wh("r"), fmt.Sprintf(`SELECT value FROM mart_metrics WHERE level = 'province' AND metric = 'M1' AND year = %d`, year))
	return results, members, m1, nil
}

// dataset returns the cached data set, generating it with orgqa gen once.
func dataset(orgqa, cache, scale string, year int, format string) (string, error) {
	dir := filepath.Join(cache, fmt.Sprintf("%s-%d-seed1-%s", scale, year, format))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	fmt.Fprintf(os.Stderr, "bench: generating %s (%s, once; cached in %s)\n", scale, format, dir)
	cmd := exec.Command(orgqa, "gen", "--scale", scale, "--year", fmt.Sprint(year), "--format", format, "--seed", "1", "--output", dir)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("gen %s %s: %w", scale, format, err)
	}
	return dir, os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
}

// millionRows is one report of a small unit whose DangVien sheet holds
// 1.000.000 rows of one member (24 MB): every row after the first is
// rejected, the worst case for the rejects workbook and Parquet (cached).
func millionRows(cache string, year int) (string, error) {
	dir := filepath.Join(cache, fmt.Sprintf("million-%d", year))
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir, nil
	}
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bench: generating a report of 1.000.000 member rows (once; cached in %s)\n", dir)
	f := excelize.NewFile()
	defer f.Close()
	sheets := []struct {
		name string
		rows [][]any
	}{
		{"ThongTin", [][]any{{"Mã đơn vị báo cáo", "Tên đơn vị báo cáo", "Năm báo cáo"}, {"9901", "Đảng ủy xã Thử", year}}},
		{"DonVi", [][]any{{"Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"}, {"9901", "Đảng ủy xã Thử", "Tổ chức cơ sở đảng", nil}, {"990101", "Chi bộ 1", "Chi bộ", "9901"}}},
		{"DangVien", nil},
		{"GioiThieu", [][]any{{"Mã đảng viên", "Số giấy", "Ngày ký"}}},
		{"NhanXet", [][]any{{"Mã đảng viên", "Năm"}}},
		{"SinhHoat", [][]any{{"Mã chi bộ", "Ngày họp", "Loại", "Số đảng viên", "Số miễn sinh hoạt", "Có mặt"}}},
		{"KiemTra", [][]any{{"Mã vụ việc", "Hoạt động", "Loại", "Đối tượng", "Mã đối tượng"}}},
		{"KyLuat", [][]any{{"Đối tượng", "Mã đối tượng", "Hình thức", "Ngày quyết định"}}},
		{"XepLoai", [][]any{{"Đối tượng", "Mã", "Năm", "Xếp loại"}}},
	}
	for i, s := range sheets {
		if i == 0 {
			f.SetSheetName("Sheet1", s.name)
		} else if _, err := f.NewSheet(s.name); err != nil {
			return "", err
		}
		sw, err := f.NewStreamWriter(s.name)
		if err != nil {
			return "", err
		}
		rows := s.rows
		if s.name == "DangVien" {
			rows = [][]any{{"Mã đảng viên", "Họ và tên", "Mã chi bộ", "Đang công tác"}}
		}
		for r, row := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := sw.SetRow(cell, row); err != nil {
				return "", err
			}
		}
		if s.name == "DangVien" {
			row := []any{"DV-000001", "Nguyễn Văn An", "990101", "Có"}
			for r := 2; r <= 1_000_001; r++ {
				if err := sw.SetRow("A"+strconv.Itoa(r), row); err != nil {
					return "", err
				}
			}
		}
		if err := sw.Flush(); err != nil {
			return "", err
		}
	}
	if err := f.SaveAs(filepath.Join(dir, "bao-cao-9901.xlsx")); err != nil {
		return "", err
	}
	return dir, os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644)
}

// measure runs one child process and takes its wall time, CPU time and peak RSS.
func measure(step, name string, args ...string) (result, string, error) {
	r := result{step: step}
	cmd := exec.Command(name, args...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	machine, statErr := readCPUTicks()
	start := time.Now()
	err := cmd.Run()
	r.wall = time.Since(start)
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
			r.rssMiB = float64(ru.Maxrss) / 1024 // KiB on Linux
		}
	}
	if after, err := readCPUTicks(); err == nil && statErr == nil {
		r.others, r.steal = machine.during(after, r.cpu)
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 { // done, with rejected input
		err = nil
	}
	if err != nil {
		tail := stderr.String()
		if len(tail) > 2000 {
			tail = tail[len(tail)-2000:]
		}
		return r, stdout.String(), fmt.Errorf("%v\n%s", err, tail)
	}
	return r, stdout.String(), nil
}

// cpuTicks is the machine's CPU time so far, from the first line of
// /proc/stat, in clock ticks: busy (user, nice, system; guest time is within
// user) and steal. Interrupts' time (irq, softirq) is no process's and is
// left out: a step's own work causes most of it, and its rusage does not
// count it (the floor's 13 s on a quiet machine hold 1,3 s of softirq).
type cpuTicks struct{ busy, steal int64 }

// clockTick is the unit of /proc/stat: USER_HZ, 100 on every Linux
// architecture's user interface whatever the kernel's own HZ.
const clockTick = 10 * time.Millisecond

func readCPUTicks() (cpuTicks, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTicks{}, err
	}
	return parseCPUTicks(string(b))
}

func parseCPUTicks(stat string) (cpuTicks, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return cpuTicks{}, fmt.Errorf("/proc/stat: no cpu line with steal time: %q", line)
	}
	var v [8]int64
	for i := range v {
		n, err := strconv.ParseInt(f[i+1], 10, 64)
		if err != nil {
			return cpuTicks{}, fmt.Errorf("/proc/stat: %q: %w", line, err)
		}
		v[i] = n
	}
	// user nice system idle iowait irq softirq steal
	return cpuTicks{busy: v[0] + v[1] + v[2], steal: v[7]}, nil
}

// during is what the machine spent between c and after beside a child that
// took own of CPU: the other processes' CPU time (never below 0: the ticks
// are coarser than rusage) and the steal.
func (c cpuTicks) during(after cpuTicks, own time.Duration) (others, steal time.Duration) {
	others = time.Duration(after.busy-c.busy)*clockTick - own
	return max(others, 0), time.Duration(after.steal-c.steal) * clockTick
}

// loadAverage is /proc/loadavg's three load averages ("" where there is none).
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// orgqaStep runs an orgqa command and takes the rows it read from its run record.
func orgqaStep(step, orgqa, wh string, args ...string) (result, error) {
	r, _, err := measure(step, orgqa, append(args, "--warehouse", wh, "--log-level", "warn")...)
	if err != nil {
		return r, err
	}
	rows, err := query(orgqa, wh, `SELECT coalesce(sum(rows_read), 0) FROM load_manifest WHERE outcome = 'loaded'`)
	if err != nil {
		return r, err
	}
	r.rows, _ = strconv.ParseInt(rows, 10, 64)
	last, _ := query(orgqa, wh, `SELECT outcome || ' ' || coalesce(files_loaded, 0) || '/' || coalesce(files_skipped, 0) FROM runs ORDER BY run_id DESC LIMIT 1`)
	r.note = "run " + last + " files new/unchanged; rows = data rows in the warehouse"
	if args[0] == "transform" || args[0] == "report" {
		r.note = "rows = data rows in the warehouse"
	}
	return r, nil
}

// query runs one query through orgqa query and returns the single value.
func query(orgqa, wh, q string) (string, error) {
	b, err := exec.Command(orgqa, "query", "--warehouse", wh, q).Output()
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return "", fmt.Errorf("query %q: no value", q)
	}
	return lines[1], nil
}

// peer times the pandas/openpyxl script when Debian's packages are there.
func peer(work, xlsx string, year int) (result, error) {
	r := result{step: "peer: pandas + openpyxl, M1"}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import pandas, openpyxl").Run(); err != nil {
		r.skipped = "skipped: install Debian's python3-pandas and python3-openpyxl to compare"
		fmt.Fprintln(os.Stderr, "bench: peer", r.skipped)
		return r, nil
	}
	script := filepath.Join(work, "peer_m1.py")
	if err := os.WriteFile(script, peerScript, 0o644); err != nil {
		return r, err
	}
	r, out, err := measure(r.step, py, script, xlsx, fmt.Sprint(year))
	if err != nil {
		return r, err
	}
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "rows "); ok {
			r.rows, _ = strconv.ParseInt(v, 10, 64)
		}
		if v, ok := strings.CutPrefix(line, "M1 "); ok {
			r.note = "DangVien and GioiThieu only; M1 = " + v
		}
	}
	return r, nil
}

// floorRows is the floor: excelize's row iterator with raw values, one
// goroutine, every sheet of every workbook, nothing validated or loaded.
func floorRows(dir string) (int64, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
	var rows int64
	for _, path := range files {
		f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
		if err != nil {
			return 0, err
		}
		for _, sh := range f.GetSheetList() {
			it, err := f.Rows(sh)
			if err != nil {
				return 0, err
			}
			for it.Next() {
				if _, err := it.Columns(); err != nil {
					return 0, err
				}
				rows++
			}
			it.Close()
		}
		f.Close()
	}
	return rows, nil
}

func rowsPerSec(r result) float64 {
	if r.wall <= 0 || r.rows == 0 {
		return 0
	}
	return float64(r.rows) / r.wall.Seconds()
}

// figures are a row's ratio to the floor and share of the full run, as
// numbers (0: none); faster: the ratio is the floor's time over the row's
// (an ingest), else the row's over the floor's (a run).
type figures struct {
	ratio, share float64
	faster       bool
}

// rowFigures computes each result's figures against the floor and the full
// run of the same round.
func rowFigures(results []result) []figures {
	var floor float64
	var floorWall, full time.Duration
	for _, r := range results {
		if r.floorFor {
			floor, floorWall = rowsPerSec(r), r.wall
		}
		if r.step == "orgqa run (full, xlsx)" {
			full = r.wall
		}
	}
	figs := make([]figures, len(results))
	for i, r := range results {
		if r.skipped != "" {
			continue
		}
		switch rps := rowsPerSec(r); {
		case floor > 0 && strings.Contains(r.step, "ingest"):
			figs[i].ratio, figs[i].faster = rps/floor, true // issue 18's goal: ≥ 4x
		case floorWall > 0 && strings.HasPrefix(r.step, "orgqa run"):
			figs[i].ratio = r.wall.Seconds() / floorWall.Seconds() // goals: full ≤ 0,5x, nothing new ≤ 0,05x
		}
		if full > 0 && (strings.HasSuffix(r.step, "transform") || strings.HasSuffix(r.step, "report")) {
			figs[i].share = r.wall.Seconds() / full.Seconds()
		}
	}
	return figs
}

// medians is each step's median over the rounds (wall and CPU time; peak RSS
// the highest), with the median of its ratios, and the rounds' wall times in
// its note.
func medians(rounds [][]result) ([]result, []figures) {
	first := rounds[0]
	out := make([]result, len(first))
	figs := make([]figures, len(first))
	all := make([][]figures, len(rounds))
	for k, rs := range rounds {
		all[k] = rowFigures(rs)
	}
	for i, r := range first {
		out[i] = r
		if r.skipped != "" {
			continue
		}
		var walls, cpus, others, steals, ratios, shares []float64
		var spread []string
		for k, rs := range rounds {
			walls = append(walls, rs[i].wall.Seconds())
			cpus = append(cpus, rs[i].cpu.Seconds())
			others = append(others, rs[i].others.Seconds())
			steals = append(steals, rs[i].steal.Seconds())
			ratios = append(ratios, all[k][i].ratio)
			shares = append(shares, all[k][i].share)
			out[i].rssMiB = max(out[i].rssMiB, rs[i].rssMiB)
			spread = append(spread, fmt.Sprintf("%.2f", rs[i].wall.Seconds()))
		}
		out[i].wall = time.Duration(median(walls) * float64(time.Second))
		out[i].cpu = time.Duration(median(cpus) * float64(time.Second))
		out[i].others = time.Duration(median(others) * float64(time.Second))
		out[i].steal = time.Duration(median(steals) * float64(time.Second))
		figs[i] = figures{ratio: median(ratios), share: median(shares), faster: all[0][i].faster}
		out[i].note = "wall s by round: " + strings.Join(spread, ", ") + "; " + r.note
	}
	return out, figs
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// cells formats a result as the table's columns (Vietnamese-neutral figures: the
// table is for developers and analysts reading a terminal).
func cells(r result, f figures) []string {
	if r.skipped != "" {
		row := []string{r.step}
		for range header[1 : len(header)-1] {
			row = append(row, "-")
		}
		return append(row, r.skipped)
	}
	ratio, share := "", ""
	switch {
	case f.ratio > 0 && f.faster:
		ratio = fmt.Sprintf("%.2fx faster", f.ratio)
	case f.ratio > 0:
		ratio = fmt.Sprintf("%.3fx the time", f.ratio)
	}
	if f.share > 0 {
		share = fmt.Sprintf("%.1f%%", 100*f.share)
	}
	return []string{r.step, fmt.Sprint(r.rows), fmt.Sprintf("%.0f", rowsPerSec(r)), fmt.Sprintf("%.2f", r.wall.Seconds()),
		fmt.Sprintf("%.2f", r.cpu.Seconds()), fmt.Sprintf("%.0f", r.rssMiB), ratio, share,
		fmt.Sprintf("%.2f", r.others.Seconds()), fmt.Sprintf("%.2f", r.steal.Seconds()), r.note}
}

// "others' CPU s" and "steal s": what the rest of the machine took meanwhile
// (see result)
var header = []string{"step", "rows", "rows/s", "wall s", "CPU s", "peak RSS MiB", "x floor", "of full run", "others' CPU s", "steal s", "note"}

// printTable prints results as a table; figs are their figures (nil: from
// the results themselves, one round).
func printTable(w io.Writer, title string, results []result, figs []figures) {
	if figs == nil {
		figs = rowFigures(results)
	}
	fmt.Fprintln(w, title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for i, r := range results {
		fmt.Fprintln(tw, strings.Join(cells(r, figs[i]), "\t"))
	}
	tw.Flush()
}

func printMarkdown(w io.Writer, title string, results []result, figs []figures) {
	if figs == nil {
		figs = rowFigures(results)
	}
	fmt.Fprintf(w, "%s\n\n| %s |\n|%s\n", title, strings.Join(header, " | "), strings.Repeat("---|", len(header)))
	for i, r := range results {
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells(r, figs[i]), " | "))
	}
}

func countFiles(dir, ext string) string {
	m, _ := filepath.Glob(filepath.Join(dir, "*"+ext))
	return fmt.Sprint(len(m))
}
