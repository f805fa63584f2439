package main

import (
	"archive/zip"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
	"orgqa/internal/vnfmt"
)

var update = flag.Bool("update", false, "rewrite the golden files of the workbook tests")

// TestWorkbookGolden compares a canonical dump of the province workbook (cells,
// number formats, panes, merges, conditional formats, charts) made from a fixed
// generated data set with testdata/golden/province-small.txt. After an intended
// change: go test ./cmd/orgqa -run TestWorkbookGolden -update, and read the diff.
func TestWorkbookGolden(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 31})
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	got := dumpWorkbook(t, workbookPath(out, 2025))
	golden := filepath.Join("..", "..", "testdata", "golden", "province-small.txt")
	if *update {
		os.MkdirAll(filepath.Dir(golden), 0o755)
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Fatalf("workbook differs from %s at %s\n(run with -update after an intended change)", golden, firstDiff(string(want), got))
	}
}

var (
	sha256Text = regexp.MustCompile(`\b[0-9a-f]{64}\b`)
	chartTitle = regexp.MustCompile(`<a:t>([^<]*)</a:t>`)
	// excelize writes chart XML with or without the c: prefix
	chartRefs = regexp.MustCompile(`<(?:c:)?f>([^<]*)</(?:c:)?f>`)
	chartKind = regexp.MustCompile(`<(?:c:)?(barChart|bar3DChart|lineChart|pieChart|areaChart)>`)
	grouping  = regexp.MustCompile(`<(?:c:)?grouping val="([a-zA-Z]+)"`)
)

// dumpWorkbook is a workbook as text that changes only when what a reader sees changes.
func dumpWorkbook(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	today := vnfmt.Date(time.Now())
	mask := func(s string) string {
		return sha256Text.ReplaceAllString(strings.ReplaceAll(s, today, "<hôm nay>"), "<sha256>")
	}
	var b strings.Builder
	for _, sh := range f.GetSheetList() {
		dim, _ := f.GetSheetDimension(sh)
		panes, _ := f.GetPanes(sh)
		fmt.Fprintf(&b, "== sheet %s\ndimension %s; frozen %v at %d,%d\n", sh, dim, panes.Freeze, panes.XSplit, panes.YSplit)
		merged, _ := f.GetMergeCells(sh)
		var ms []string
		for _, m := range merged {
			ms = append(ms, m.GetStartAxis()+":"+m.GetEndAxis())
		}
		sort.Strings(ms)
		fmt.Fprintf(&b, "merged %s\n", strings.Join(ms, " "))
		cfs, _ := f.GetConditionalFormats(sh)
		var cs []string
		for rng, opts := range cfs {
			var types []string
			for _, o := range opts {
				types = append(types, o.Type+":"+o.MinColor+o.MaxColor+o.Value)
			}
			cs = append(cs, rng+"="+strings.Join(types, ","))
		}
		sort.Strings(cs)
		fmt.Fprintf(&b, "conditional %s\n", strings.Join(cs, " "))
		rows, _ := f.GetRows(sh, excelize.Options{RawCellValue: true})
		for i, r := range rows {
			fmt.Fprintf(&b, "%d: %s\n", i+1, mask(strings.Join(r, " | ")))
		}
		// the number formats of the first data row: what makes 85,5% and 1.296
		if len(rows) >= 6 {
			var nf []string
			for c := range rows[5] {
				cell, _ := excelize.CoordinatesToCellName(c+1, 6)
				id, _ := f.GetCellStyle(sh, cell)
				st, _ := f.GetStyle(id)
				if st != nil && st.CustomNumFmt != nil {
					nf = append(nf, cell+"="+*st.CustomNumFmt)
				}
			}
			fmt.Fprintf(&b, "number formats row 6: %s\n", strings.Join(nf, " "))
		}
	}
	// the charts, read from the package: kind, grouping, title, series references
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var charts []string
	for _, file := range z.File {
		if !strings.HasPrefix(file.Name, "xl/charts/chart") {
			continue
		}
		rc, _ := file.Open()
		x, _ := io.ReadAll(rc)
		rc.Close()
		s := string(x)
		desc := file.Name + ":"
		for _, m := range chartKind.FindAllStringSubmatch(s, -1) {
			desc += " " + m[1]
		}
		for _, m := range grouping.FindAllStringSubmatch(s, -1) {
			desc += " grouping=" + m[1]
		}
		for _, m := range chartTitle.FindAllStringSubmatch(s, -1) {
			desc += " title=" + m[1]
		}
		for _, m := range chartRefs.FindAllStringSubmatch(s, -1) {
			desc += " ref=" + strings.ReplaceAll(m[1], "&#39;", "'")
		}
		charts = append(charts, desc)
	}
	sort.Strings(charts)
	fmt.Fprintf(&b, "== charts (%d)\n%s\n", len(charts), strings.Join(charts, "\n"))
	return b.String()
}
