package main

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	"orgqa/internal/config"
	"orgqa/internal/gen"
	"orgqa/internal/night"
	"orgqa/internal/warehouse"
	orgsql "orgqa/sql"
)

// BenchmarkTransform builds every model for a year on a loaded warehouse. A query
// plan gone wrong (a nested-loop join over the facts) shows here first: at the
// province scale it once took 103 s against 2,4 s.
func BenchmarkTransform(b *testing.B) {
	for _, scale := range []string{"small", "demo"} {
		b.Run(scale, func(b *testing.B) {
			dir := b.TempDir()
			if err := gen.WriteSet(gen.Config{Scale: gen.Scales[scale], Year: 2025, Seed: 1}, filepath.Join(dir, "in"), "csv", nil); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			cfg, err := config.Default()
			if err != nil {
				b.Fatal(err)
			}
			n := &night.Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Models: orgsql.Models, Tests: orgsql.Tests,
				WarehousePath: filepath.Join(dir, "w.duckdb"), Config: cfg}
			w, err := warehouse.Open(ctx, n.WarehousePath, warehouse.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close(ctx, false)
			if _, err := n.Load(ctx, w, filepath.Join(dir, "in"), false); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, _, err := n.Build(ctx, w, 2025); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
