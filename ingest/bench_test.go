package ingest

import (
	"context"
	"path/filepath"
	"testing"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// BenchmarkLoadDemo loads the demo data set (6 workbooks, about 32.000 rows) into
// a fresh warehouse per iteration and reports rows per second.
func BenchmarkLoadDemo(b *testing.B) {
	for _, format := range []string{"xlsx", "csv"} {
		b.Run(format, func(b *testing.B) {
			in := b.TempDir()
			if err := gen.WriteSet(gen.Config{Scale: gen.Scales["demo"], Year: 2025, Seed: 1}, in, format, nil); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			rows := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				w, err := warehouse.Open(ctx, filepath.Join(b.TempDir(), "w.duckdb"), warehouse.Options{})
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				sum, err := quietLoader(w).LoadDir(ctx, in)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				w.Close(ctx, false)
				b.StartTimer()
				rows = 0
				for _, f := range sum.Files {
					rows += f.Read
				}
			}
			b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
