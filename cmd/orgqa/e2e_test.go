package main

import (
	"bytes"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
	"orgqa/transform"
)

// runCLI runs orgqa in-process, as cron would run the binary.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(args, &out, &errb)
	return code, out.String(), errb.String()
}

// openWarehouse opens a warehouse file read-only for checking, and closes it with the test.
// openBriefly opens the warehouse read-only until done is called: a process
// holding it keeps another process's night from writing it in place.
func openBriefly(t *testing.T, path string) (db *sql.DB, done func()) {
	t.Helper()
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return w.DB, func() { w.Close(context.Background(), false) }
}

func openWarehouse(t *testing.T, path string) *sql.DB {
	t.Helper()
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background(), false) })
	return w.DB
}

// testScale is small enough to run in seconds and large enough to hold every edge
// case the generator makes (checked in requireEdgeCases).
var testScale = gen.Scale{Name: "test", Units: 4, OrgsPerUnit: 7, CellsPerOrg: 3, MembersPerCell: 20}

// cliOK runs the CLI in-process and fails the test unless it exits 0.
func cliOK(t *testing.T, args ...string) {
	t.Helper()
	if code, _, stderr := runCLI(t, args...); code != exitOK {
		t.Fatalf("%v: exit %d\n%s", args, code, stderr)
	}
}

// sendLibreOfficeReport puts in dir, in place of unit 0100's generated 2025
// report, the one LibreOffice saved (testdata/libreoffice: title rows, a
// blank row above each header, a Tổng cộng row; 313 data rows).
func sendLibreOfficeReport(t *testing.T, dir string) {
	t.Helper()
	generated, err := filepath.Glob(filepath.Join(dir, "*0100*"))
	if err != nil || len(generated) != 1 {
		t.Fatalf("the generated 2025 report of 0100: %v %v", generated, err)
	}
	if err := os.Remove(generated[0]); err != nil {
		t.Fatal(err)
	}
	copyFile(t, filepath.Join("..", "..", "testdata", "libreoffice", "libreoffice-0100-2025.xlsx"), filepath.Join(dir, "libreoffice-0100-2025.xlsx"))
}

// checkLibreOfficeRead checks that the warehouse wh read the 313 data rows
// LibreOffice's report holds, each accepted or rejected.
func checkLibreOfficeRead(t *testing.T, wh string) {
	t.Helper()
	db, done := openBriefly(t, wh)
	defer done()
	lo := queryRows(t, db, `SELECT rows_read || ' ' || (rows_accepted + rows_rejected) FROM load_manifest
		WHERE outcome = 'loaded' AND source_path LIKE '%libreoffice-0100-2025.xlsx'`)
	if strings.Join(lo, "; ") != "313 313" {
		t.Fatalf("LibreOffice's report: read, accepted + rejected = %v; its file holds 313 data rows", lo)
	}
}

// writeReports generates a data set into dir and returns its records.
func writeReports(t *testing.T, dir, format string, cfg gen.Config) []*gen.Report {
	t.Helper()
	var reps []*gen.Report
	if err := gen.WriteSet(cfg, dir, format, func(r *gen.Report) { reps = append(reps, r) }); err != nil {
		t.Fatal(err)
	}
	return reps
}

// requireEdgeCases makes sure the data set exercises the counting rules that are
// easy to get wrong, so a passing comparison means something.
func requireEdgeCases(t *testing.T, reps []*gen.Report, y int) {
	t.Helper()
	yEnd := day(y, 12, 31)
	found := map[string]bool{}
	for _, r := range reps {
		for _, m := range r.Members {
			if m.StatusDate != nil && m.StatusDate.After(yEnd) && m.Status != "" {
				found["member leaving after 31/12"] = true
			}
			if m.StatusDate != nil && m.StatusDate.Equal(yEnd) && m.Status != gen.StatusActive {
				found["member gone on 31/12 exactly"] = true
			}
			if m.StatusDate != nil && !m.StatusDate.After(yEnd) {
				found["member gone before 31/12"] = true
			}
			if m.Working == "Có" && m.Scheme == "" {
				found["blank Diện 213"] = true
			}
			if m.Scheme == gen.SchemeExcused {
				found["excused member"] = true
			}
		}
		for _, l := range r.Letters {
			if l.Signed.Equal(yEnd) {
				found["letter signed on 31/12 exactly"] = true
			}
			if l.Signed.After(yEnd) {
				found["letter signed after the year"] = true
			}
		}
		for _, c := range r.Comments {
			if c.Year == y-1 {
				found["last year's comment"] = true
			}
			if c.Received != nil && c.Received.Equal(day(y, 12, 15)) && c.Year == y {
				found["comment received on the cut-off day"] = true
			}
			if c.Conclusion == "Chưa tốt" {
				found["Chưa tốt comment"] = true
			}
			if c.Received != nil && c.Received.After(day(y, 12, 15)) && c.Year == y {
				found["comment received after the cut-off"] = true
			}
		}
		for _, m := range r.Meetings {
			if m.Date.Year() == y-1 {
				found["last year's meeting"] = true
			}
			if m.Kind == "Kết hợp" {
				found["combined meeting"] = true
			}
		}
		for _, in := range r.Inspections {
			if in.Start == nil && in.Concluded != nil {
				found["inspection without a start date"] = true
			}
			if in.Start != nil && in.Start.Year() == y-1 {
				found["inspection begun last year"] = true
			}
		}
		for _, u := range r.Units {
			if u.ValidTo != nil {
				found["dissolved cell"] = true
			}
		}
		if len(r.Disciplines) > 0 {
			found["discipline"] = true
		}
	}
	for _, want := range []string{"member leaving after 31/12", "member gone before 31/12", "blank Diện 213", "excused member",
		"letter signed after the year", "last year's comment", "Chưa tốt comment", "comment received after the cut-off",
		"last year's meeting", "combined meeting", "inspection without a start date", "inspection begun last year",
		"dissolved cell", "discipline", "member gone on 31/12 exactly", "letter signed on 31/12 exactly",
		"comment received on the cut-off day"} {
		if !found[want] {
			t.Errorf("test data has no %s: the comparison would not exercise that rule", want)
		}
	}
}

type martRow struct {
	name     string
	num, den sql.NullFloat64
	value    sql.NullFloat64
}

func readMart(t *testing.T, db *sql.DB, year int) map[mkey]martRow {
	t.Helper()
	rows, err := db.Query(`SELECT level, unit_code, unit_name, metric, numerator, denominator, value FROM mart_metrics WHERE year = ?`, year)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[mkey]martRow{}
	for rows.Next() {
		var k mkey
		var r martRow
		var name sql.NullString
		if err := rows.Scan(&k.level, &k.unit, &name, &k.metric, &r.num, &r.den, &r.value); err != nil {
			t.Fatal(err)
		}
		r.name = name.String
		if _, dup := out[k]; dup {
			t.Errorf("mart_metrics holds %v twice", k)
		}
		out[k] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunMetricsMatchHandCount runs the nightly job on generated workbooks and CSV
// sets and checks every metric of every unit at every level against the values
// worked out from the generator's records.
func TestRunMetricsMatchHandCount(t *testing.T) {
	// 2022: the rule set of HD 21-HD/BTCTW, whose caps read the members' ratings
	for _, tc := range []struct {
		format string
		year   int
	}{{"xlsx", 2025}, {"csv", 2025}, {"xlsx", 2022}} {
		format, year := tc.format, tc.year
		t.Run(fmt.Sprint(format, year), func(t *testing.T) {
			dir := t.TempDir()
			in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "data", "orgqa.duckdb")
			reps := writeReports(t, in, format, gen.Config{Scale: testScale, Year: year, Seed: 42})
			requireEdgeCases(t, reps, year)

			code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh, "--log-level", "warn")
			if code != exitOK {
				t.Fatalf("run exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
			}
			db := openWarehouse(t, wh)
			got := readMart(t, db, year)
			rules, err := transform.DefaultRules()
			if err != nil {
				t.Fatal(err)
			}
			rs, err := rules.ForYear(year)
			if err != nil {
				t.Fatal(err)
			}
			want := expectMetrics(reps, year, rs)
			compareMetrics(t, want, got)
		})
	}
}

func compareMetrics(t *testing.T, want *expectation, got map[mkey]martRow) {
	t.Helper()
	// every unit of every level, with every metric of its level
	wantRows := 0
	for u, name := range want.units {
		for _, m := range metricsOf(u[0], want.graded) {
			wantRows++
			k := mkey{u[0], u[1], m}
			g, ok := got[k]
			if !ok {
				t.Errorf("%v: missing from mart_metrics", k)
				continue
			}
			if g.name != name {
				t.Errorf("%v: unit_name %q, want %q", k, g.name, name)
			}
			f := frac{}
			if w := want.metrics[k]; w != nil {
				f = *w
			}
			if g.num.Float64 != f.num {
				t.Errorf("%v: numerator %v, want %v", k, g.num.Float64, f.num)
			}
			switch {
			case nullParts(m):
				if g.num.Valid || g.den.Valid {
					t.Errorf("%v: numerator %v denominator %v, want both null", k, g.num, g.den)
				}
			case countMetric(m) || m == "M4":
				if g.den.Valid {
					t.Errorf("%v: a count has denominator %v, want null", k, g.den.Float64)
				}
			case g.den.Float64 != f.den:
				t.Errorf("%v: denominator %v, want %v", k, g.den.Float64, f.den)
			}
			v, ok := want.valueAt(k, f)
			if ok != g.value.Valid || ok && math.Abs(v-g.value.Float64) > 1e-9 {
				t.Errorf("%v: value %v (valid %v), want %v (valid %v)", k, g.value.Float64, g.value.Valid, v, ok)
			}
		}
	}
	if len(got) != wantRows {
		var extra []string
		for k := range got {
			if _, ok := want.units[[2]string{k.level, k.unit}]; !ok {
				extra = append(extra, k.level+"/"+k.unit)
			}
		}
		sort.Strings(extra)
		t.Errorf("mart_metrics has %d rows, want %d; units not expected: %s", len(got), wantRows, strings.Join(extra, ", "))
	}
	// the comparison must have covered real, non-zero figures
	for _, k := range []mkey{{"province", provinceCode, "M1"}, {"province", provinceCode, "M5"}, {"province", provinceCode, "M12"},
		{"province", provinceCode, "M13_kiem_tra"}, {"province", provinceCode, "M14_per1000"}, {"province", provinceCode, "M9"}} {
		if f := want.metrics[k]; f == nil || f.num == 0 {
			t.Errorf("%v: expected a non-zero numerator in the test data", k)
		}
	}
}

// TestRunTwiceIsIdempotent re-runs the job on the same folder: nothing is loaded
// again and the marts are the same.
func TestRunTwiceIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2024, Seed: 3})
	for i := 0; i < 2; i++ {
		if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, stderr)
		} else if i == 1 && !strings.Contains(stderr, "loaded=0 skipped=3") {
			t.Errorf("second run loaded something again:\n%s", stderr)
		}
	}
	db := openWarehouse(t, wh)
	var loads, members, metrics int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM load_manifest), (SELECT count(*) FROM members),
		(SELECT count(*) FROM mart_metrics WHERE year = 2024)`).Scan(&loads, &members, &metrics); err != nil {
		t.Fatal(err)
	}
	var genMembers int
	for i := 0; i < 3; i++ {
		genMembers += len(gen.Generate(gen.Config{Scale: gen.Scales["small"], Year: 2024, Seed: 3}, i).Members)
	}
	if loads != 3 || members != genMembers || metrics == 0 {
		t.Errorf("after two runs: %d loads (want 3), %d members (want %d), %d metric rows", loads, members, genMembers, metrics)
	}
}

func TestUsageErrorsExitTwo(t *testing.T) {
	for _, args := range [][]string{{"run", "--no-such-flag"}, {"bogus"}, {"gen", "--scale", "galactic"}, {"ingest", "extra-arg"}} {
		if code, _, stderr := runCLI(t, args...); code != exitUsage {
			t.Errorf("orgqa %s: exit %d, want %d\n%s", strings.Join(args, " "), code, exitUsage, stderr)
		}
	}
}

func TestMain(m *testing.M) {
	if os.Getenv("ORGQA_AS_CLI") == "1" { // the test binary run as orgqa itself (crash_test.go)
		os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
	}
	time.Local = time.FixedZone("ICT", 7*3600) // Vietnam's clock: dates must not move a day
	// every sheet any test loads is read by the fast reader and by excelize,
	// and must read the same (ingest/xlsxfast.go); benchmarks measure the
	// reader as it runs in production
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Setenv("ORGQA_VERIFY_XLSX", "1")
	}
	code := m.Run()
	for _, f := range afterTests {
		f()
	}
	os.Exit(code)
}

// afterTests clean up what tests share (crash_test.go's nightly data).
var afterTests []func()

// smallWarehouse is a warehouse with a small generated province ingested.
func smallWarehouse(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	wh := filepath.Join(dir, "w.duckdb")
	writeReports(t, filepath.Join(dir, "in"), "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 5})
	if code, _, stderr := runCLI(t, "ingest", "--input", filepath.Join(dir, "in"), "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	return wh
}

func TestQueryPrintsValues(t *testing.T) {
	wh := smallWarehouse(t)
	code, out, stderr := runCLI(t, "query", "--warehouse", wh,
		"SELECT 0.28::DECIMAL(8,2) AS d, (-1.5)::DECIMAL(4,1) AS n, DATE '2025-03-05' AS day, NULL AS x, count(*) > 0 AS any_units FROM units")
	if code != exitOK {
		t.Fatalf("query: exit %d\n%s", code, stderr)
	}
	if want := "d\tn\tday\tx\tany_units\n0.28\t-1.5\t2025-03-05\tNULL\ttrue\n"; out != want {
		t.Errorf("query printed %q, want %q", out, want)
	}
}

// TestMemoryLimitTooSmallIsRefused: a --memory-limit that is not a size, or
// below the least orgqa's steps work in, is a usage error before anything is
// opened (at 8 MB DuckDB aborted the process on the transform's first
// statement out of memory, with no message and no run in the history).
func TestMemoryLimitTooSmallIsRefused(t *testing.T) {
	dir := t.TempDir()
	wh := filepath.Join(dir, "w.duckdb")
	for flag, want := range map[string]string{
		"8MB":  "--memory-limit 8MB is below 64MB",
		"60MB": "--memory-limit 60MB is below 64MB",
		"lots": `--memory-limit "lots" is not a size`,
	} {
		code, _, stderr := runCLI(t, "transform", "--warehouse", wh, "--memory-limit", flag)
		if code != exitUsage || !strings.Contains(stderr, want) {
			t.Errorf("--memory-limit %s: exit %d, %q, want exit %d and %q", flag, code, stderr, exitUsage, want)
		}
	}
	if _, err := os.Stat(wh); !os.IsNotExist(err) {
		t.Errorf("a refused limit opened the warehouse: %v", err)
	}
}

// TestReadOnlyCommandsKeepTheMemoryLimit: a query an analyst runs is held to
// --memory-limit as a run is (default 192MB; it was DuckDB's default, 80% of the machine: an
// ORDER BY over a national mart took 5,4 GB).
func TestReadOnlyCommandsKeepTheMemoryLimit(t *testing.T) {
	wh := smallWarehouse(t)
	for flag, want := range map[string]string{"": "183.1 MiB", "300MB": "286.1 MiB"} {
		args := []string{"query", "--warehouse", wh, "SELECT current_setting('memory_limit')"}
		if flag != "" {
			args = append(args, "--memory-limit", flag)
		}
		code, out, stderr := runCLI(t, args...)
		if code != exitOK || strings.TrimSpace(strings.TrimPrefix(out, "current_setting('memory_limit')\n")) != want {
			t.Errorf("--memory-limit %q: exit %d, %q, want %s\n%s", flag, code, out, want, stderr)
		}
	}
}
