package ingest

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// benchData returns a generated data set of the scale named by ORGQA_BENCH_SCALE
// (default demo), cached under the temp folder between runs.
func benchData(b *testing.B, format string) string {
	b.Helper()
	scale := os.Getenv("ORGQA_BENCH_SCALE")
	if scale == "" {
		scale = "demo"
	}
	sc, ok := gen.Scales[scale]
	if !ok {
		b.Fatalf("ORGQA_BENCH_SCALE=%q: no such scale", scale)
	}
	dir := filepath.Join(os.TempDir(), "orgqa-bench", scale+"-2025-seed1-"+format)
	if _, err := os.Stat(filepath.Join(dir, ".complete")); err == nil {
		return dir
	}
	os.RemoveAll(dir)
	if err := gen.WriteSet(gen.Config{Scale: sc, Year: 2025, Seed: 1}, dir, format, nil); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".complete"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return dir
}

// peakRSSMiB is the process's peak resident memory (Linux), DuckDB's included.
func peakRSSMiB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// BenchmarkExcelizeFloor is the floor ingest is measured against: excelize's
// row iterator with raw values on one goroutine over the same workbooks, every
// sheet, every row, no validation and no loading.
func BenchmarkExcelizeFloor(b *testing.B) {
	benchReadRows(b, func(_ *workbookFast, _ string, ex *excelize.Rows) sheetRows { return ex })
}

// BenchmarkFastReader is the floor's loop with orgqa's own sheet reader
// (xlsxfast.go) in place of excelize's row iterator.
func BenchmarkFastReader(b *testing.B) {
	fellBack := 0
	benchReadRows(b, func(wb *workbookFast, sheet string, ex *excelize.Rows) sheetRows {
		it := newFastRows(wb, sheet, ex)
		return &countFallback{it, &fellBack}
	})
	b.ReportMetric(float64(fellBack)/float64(b.N), "sheets-fell-back")
}

// countFallback counts the sheets the fast reader handed to excelize, on Close.
type countFallback struct {
	*fastRows
	n *int
}

func (c *countFallback) Close() error {
	if c.FellBack() {
		*c.n++
	}
	return c.fastRows.Close()
}

// benchReadRows reads every row of every sheet of the data set, one goroutine,
// through the iterator rows makes of excelize's.
func benchReadRows(b *testing.B, rows func(wb *workbookFast, sheet string, ex *excelize.Rows) sheetRows) {
	dir := benchData(b, "xlsx")
	files, _ := filepath.Glob(filepath.Join(dir, "*.xlsx"))
	n := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, path := range files {
			f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true})
			if err != nil {
				b.Fatal(err)
			}
			wb := &workbookFast{path: path, f: f}
			for _, sh := range f.GetSheetList() {
				ex, err := f.Rows(sh)
				if err != nil {
					b.Fatal(err)
				}
				it := rows(wb, sh, ex)
				for it.Next() {
					if _, err := it.Columns(); err != nil {
						b.Fatal(err)
					}
					n++
				}
				it.Close()
			}
			wb.close()
			f.Close()
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
}

// BenchmarkLoad loads the data set into a fresh warehouse per iteration: reading,
// matching, validating, rejecting and loading, one transaction per report.
// The -streamed variants read each report only when its turn comes, for the
// difference reading ahead makes (see prefetch.go).
func BenchmarkLoad(b *testing.B) {
	for _, variant := range []string{"xlsx", "csv", "xlsx-streamed", "csv-streamed"} {
		format, streamed := strings.CutSuffix(variant, "-streamed")
		b.Run(variant, func(b *testing.B) {
			in := benchData(b, format)
			ctx := context.Background()
			rows := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				// a working copy, as orgqa ingest and run load into (see warehouse.Begin)
				w, err := warehouse.Begin(ctx, filepath.Join(b.TempDir(), "w.duckdb"), warehouse.Options{MemoryLimit: "192MB"}) // orgqa's default
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				l := quietLoader(w)
				l.NoPrefetch = streamed
				sum, err := l.LoadDir(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				w.Discard()
				b.StartTimer()
				rows = 0
				for _, f := range sum.Files {
					rows += f.Read
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(peakRSSMiB(), "peak-RSS-MiB")
		})
	}
}
