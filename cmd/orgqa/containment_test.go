package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// tinyReport is a report of one grassroots organization with one cell and two
// members, the second in a cell DonVi does not list (so the unit has a
// rejected row); every code starts with prefix, every name says the unit.
func tinyReport(code, prefix string) *gen.Report {
	org, cell := prefix+"-TC", prefix+"-CB1"
	birth := time.Date(1980, 5, 1, 0, 0, 0, 0, time.UTC)
	return &gen.Report{
		UnitCode: code, UnitName: "Đảng ủy " + code, Year: 2025, Author: "Văn phòng",
		Created: time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC),
		Units: []gen.Unit{
			{Code: org, Name: "Đảng bộ xã của " + code, Level: gen.LevelOrg},
			{Code: cell, Name: "Chi bộ 1 của " + code, Level: gen.LevelCell, Parent: org},
		},
		Members: []gen.Member{
			{Code: prefix + "-001", Name: "Đảng viên của " + code, Birth: birth, Gender: "Nam", CellCode: cell, Working: "Có"},
			{Code: prefix + "-002", Name: "Người sai của " + code, Birth: birth, Gender: "Nữ", CellCode: prefix + "-KHONG", Working: "Có"},
		},
	}
}

// TestCollidingUnitCodesGetTheirOwnWorkbooks: unit codes that clean to the
// same file name (01.01 and 01/01; two codes equal in their first 40
// characters) each get their own return and per-unit workbooks, holding their
// own data only, and stdout names exactly the files written.
func TestCollidingUnitCodesGetTheirOwnWorkbooks(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	long := strings.Repeat("0", 40)
	codes := map[string]string{"01.01": "A", "01/01": "B", long + "1": "C", long + "2": "D", "0101": "E"}
	for code, prefix := range codes {
		if _, err := tinyReport(code, prefix).WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh, "--per-unit")
	if code != exitRejected {
		t.Fatalf("run: exit %d, want %d\n%s", code, exitRejected, stderr)
	}
	for _, kind := range []string{"tra-lai", "don-vi"} {
		pattern := "*.xlsx"
		if kind == "tra-lai" {
			pattern = "loi-du-lieu-*.xlsx" // the lists; the marked copies (danh-dau-*) are the units' own files
		}
		books, _ := filepath.Glob(filepath.Join(out, "excel", "latest", kind, "2025", pattern))
		if len(books) != len(codes) {
			t.Fatalf("%s: %d workbooks for %d units: %v", kind, len(books), len(codes), books)
		}
		owner := map[string]string{}
		for _, b := range books {
			text := dumpWorkbook(t, b)
			var mine []string
			for c := range codes {
				// dumpWorkbook joins cells with " | ": a name ends at a space or a line's end
				if strings.Contains(text, "Đảng ủy "+c+" ") || strings.Contains(text, "Đảng ủy "+c+"\n") ||
					strings.Contains(text, "của "+c+" ") || strings.Contains(text, "của "+c+"\n") {
					mine = append(mine, c)
				}
			}
			if len(mine) != 1 {
				t.Errorf("%s names units %q; want exactly one", b, mine)
				continue
			}
			if prev, dup := owner[mine[0]]; dup {
				t.Errorf("unit %s has two workbooks: %s and %s", mine[0], prev, b)
			}
			owner[mine[0]] = b
			// stdout lists each rejects workbook as written (and counts the per-unit ones)
			if kind == "tra-lai" && !strings.Contains(stdout, filepath.Base(b)) {
				t.Errorf("stdout does not name %s:\n%s", filepath.Base(b), stdout)
			}
		}
	}
	if !strings.Contains(stdout, "5 workbooks in") {
		t.Errorf("stdout does not count the 5 per-unit workbooks:\n%s", stdout)
	}
	// a code already safe keeps its plain name
	if _, err := os.Stat(filepath.Join(out, "excel", "latest", "tra-lai", "2025", "loi-du-lieu-0101-2025.xlsx")); err != nil {
		t.Errorf("unit 0101's workbook: %v", err)
	}
}

// orgMetricsOf is the mart rows of the year for the units whose codes start with prefix.
func orgMetricsOf(t *testing.T, wh, prefix string) string {
	t.Helper()
	db := openWarehouse(t, wh)
	rows, err := db.Query(`SELECT level, unit_code, metric, numerator, denominator, value FROM mart_metrics
		WHERE year = 2025 AND level IN ('org', 'cell') AND unit_code LIKE ? || '%' ORDER BY ALL`, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var level, unit, metric string
		var num, den, val *float64
		rows.Scan(&level, &unit, &metric, &num, &den, &val)
		fmt.Fprintf(&b, "%s %s %s %v %v %v\n", level, unit, metric, deref(num), deref(den), deref(val))
	}
	return b.String()
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// TestTwoUnitsClaimingOneOrganization: unit 0202's report lists the
// organization and cell unit 0201's report (loaded first) already lists. The
// province is still published (exit 3, not 1), 0201's numbers are what they
// are without 0202's report, 0202's DonVi rows are rejected naming 0201 and
// its file, and 0201 is told in its return workbook.
func TestTwoUnitsClaimingOneOrganization(t *testing.T) {
	dir := t.TempDir()
	alone, both := filepath.Join(dir, "alone"), filepath.Join(dir, "both")
	for _, d := range []string{alone, both} {
		os.MkdirAll(d, 0o755)
		p, err := tinyReport("0201", "S").WriteXLSX(d)
		if err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-time.Hour)
		os.Chtimes(p, old, old) // loaded first
	}
	second := tinyReport("0202", "S") // the same organization and cell codes
	second.Members[0].Code, second.Members[1].Code = "T-001", "T-002"
	if _, err := second.WriteXLSX(both); err != nil {
		t.Fatal(err)
	}
	whAlone, whBoth := filepath.Join(dir, "alone.duckdb"), filepath.Join(dir, "both.duckdb")
	if code, _, stderr := runCLI(t, "run", "--input", alone, "--output", filepath.Join(dir, "out-alone"), "--warehouse", whAlone); code != exitRejected {
		t.Fatalf("run alone: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	code, _, stderr := runCLI(t, "run", "--input", both, "--output", out, "--warehouse", whBoth)
	if code != exitRejected {
		t.Fatalf("run with both: exit %d, want %d (published, with rejects)\n%s", code, exitRejected, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx")); err != nil {
		t.Fatalf("the province workbook was not published: %v", err)
	}
	if a, b := orgMetricsOf(t, whAlone, "S-"), orgMetricsOf(t, whBoth, "S-"); a != b || a == "" {
		t.Errorf("0201's metrics changed when 0202 claimed its organization:\nalone:\n%s\nwith 0202:\n%s", a, b)
	}
	tl := filepath.Join(out, "excel", "latest", "tra-lai", "2025")
	second0202 := dumpWorkbook(t, filepath.Join(tl, "loi-du-lieu-0202-2025.xlsx"))
	for _, want := range []string{`Mã đơn vị "S-TC" đã có trong báo cáo năm 2025 của đơn vị 0201 (tệp `, `Mã đơn vị "S-CB1" đã có`} {
		if !strings.Contains(second0202, want) {
			t.Errorf("0202's return workbook does not say %q:\n%s", want, second0202)
		}
	}
	first0201 := dumpWorkbook(t, filepath.Join(tl, "loi-du-lieu-0201-2025.xlsx"))
	if !strings.Contains(first0201, `Mã đơn vị "S-TC" của đơn vị cũng được đơn vị 0202 kê khai`) {
		t.Errorf("0201 is not told:\n%s", first0201)
	}
}

// TestFailedDataTestNamesTheReports: a warehouse loaded before ingest refused
// claimed organizations can still hold two units listing one; the transform's
// uniqueness test fails, and its error names both units and their files.
func TestFailedDataTestNamesTheReports(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	for code, prefix := range map[string]string{"0301": "S", "0302": "T"} {
		if _, err := tinyReport(code, prefix).WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitRejected {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	w, err := warehouse.Open(context.Background(), wh, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE units SET unit_code = replace(unit_code, 'T-', 'S-'), parent_code = replace(parent_code, 'T-', 'S-') WHERE reporting_unit = '0302'`,
		`UPDATE members SET cell_code = replace(cell_code, 'T-', 'S-') WHERE reporting_unit = '0302'`,
	} {
		if _, err := w.DB.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	w.Close(context.Background(), true)
	code, _, stderr := runCLI(t, "transform", "--warehouse", wh)
	if code != exitFailed {
		t.Fatalf("transform: exit %d, want %d\n%s", code, exitFailed, stderr)
	}
	for _, want := range []string{"data test unique_", "unit 0301 (", "unit 0302 ("} {
		if !strings.Contains(stderr, want) {
			t.Errorf("the error does not say %q:\n%s", want, stderr)
		}
	}
}

// TestSameInputSameBytes: the same input under the same ORGQA_NOW gives
// byte-identical workbooks, run after run — with two organizations of one
// name in one unit (a tie only the code breaks) and rejects to send back.
func TestSameInputSameBytes(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	os.MkdirAll(in, 0o755)
	r := tinyReport("0401", "S")
	birth := time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC)
	r.Units = append(r.Units, gen.Unit{Code: "S-TA", Name: r.Units[0].Name, Level: gen.LevelOrg},
		gen.Unit{Code: "S-CA1", Name: r.Units[1].Name, Level: gen.LevelCell, Parent: "S-TA"})
	r.Members = append(r.Members, gen.Member{Code: "S-003", Name: "Đảng viên ba", Birth: birth, Gender: "Nam", CellCode: "S-CA1", Working: "Có"})
	for _, rep := range []*gen.Report{r, tinyReport("0402", "T")} {
		if _, err := rep.WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 3}, in, "xlsx", nil); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGQA_NOW", "2026-01-20T08:00:00+07:00")
	sums := make([]map[string]string, 2)
	for i := range sums {
		out := filepath.Join(dir, fmt.Sprint("out", i))
		if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", filepath.Join(dir, fmt.Sprint("w", i, ".duckdb")), "--per-unit"); code != exitRejected {
			t.Fatalf("run %d: exit %d\n%s", i, code, stderr)
		}
		sums[i] = map[string]string{}
		latest := filepath.Join(out, "excel", "latest")
		filepath.WalkDir(latest+"/", func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := os.ReadFile(p)
				rel, _ := filepath.Rel(latest, p)
				sums[i][rel] = fmt.Sprintf("%x", sha256.Sum256(b))
			}
			return nil
		})
	}
	if len(sums[0]) < 5 {
		t.Fatalf("only %d workbooks: %v", len(sums[0]), sums[0])
	}
	for name, a := range sums[0] {
		if b := sums[1][name]; a != b {
			t.Errorf("%s differs between two runs of the same input", name)
		}
	}
}

// TestReportOnAnOlderWarehouse: a warehouse an orgqa before load_notes wrote
// (the table absent) still gets its return workbooks from a report run on it
// without an ingest first: every writing session brings the tables up to date.
func TestReportOnAnOlderWarehouse(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	if _, err := tinyReport("0601", "S").WriteXLSX(in); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", filepath.Join(dir, "first"), "--warehouse", wh); code != exitRejected {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	w, err := warehouse.Open(context.Background(), wh, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`DROP TABLE load_notes`); err != nil {
		t.Fatal(err)
	}
	w.Close(context.Background(), true)
	if code, _, stderr := runCLI(t, "report", "--output", out, "--warehouse", wh); code == exitFailed {
		t.Fatalf("report on a warehouse without load_notes: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "excel", "latest", "tra-lai", "2025", "loi-du-lieu-0601-2025.xlsx")); err != nil {
		t.Errorf("no return workbook: %v", err)
	}
}
