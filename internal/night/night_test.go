package night

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"orgqa/internal/config"
	"orgqa/internal/gen"
	"orgqa/internal/history"
	"orgqa/internal/warehouse"
	orgsql "orgqa/sql"
)

// TestNightWithoutTheCLI drives nights through the library: the first builds
// and publishes, the second finds nothing new, a --year without reports is a
// *YearError and publishes nothing; each is in the run history.
func TestNightWithoutTheCLI(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 9}, in, "xlsx", nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Models: orgsql.Models, Tests: orgsql.Tests,
		WarehousePath: filepath.Join(dir, "w.duckdb"), Config: cfg}
	ctx := context.Background()
	res, err := e.Run(ctx, RunOptions{Input: in, Output: out})
	if err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	if res.NoChange || res.Publication == nil || len(res.Publication.Workbooks) != 1 {
		t.Fatalf("first night: %+v", res)
	}
	if _, err := os.Stat(WorkbookPath(out, 2025)); err != nil {
		t.Fatal(err)
	}
	res, err = e.Run(ctx, RunOptions{Input: in, Output: out})
	if err != nil || !res.NoChange || res.SinceRun != 1 {
		t.Fatalf("second night: %+v %v", res, err)
	}
	var ye *YearError
	if _, err := e.Run(ctx, RunOptions{Input: in, Output: out, Year: 2024}); !errors.As(err, &ye) || ye.Year != 2024 || len(ye.Have) != 1 {
		t.Fatalf("--year 2024: %v", err)
	}
	if _, err := os.Stat(WorkbookPath(out, 2024)); !os.IsNotExist(err) {
		t.Errorf("a workbook for 2024: %v", err)
	}
	w, err := warehouse.Open(ctx, e.WarehousePath, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx, false)
	runs, err := history.Last(ctx, w.DB, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, string(r.Outcome))
	}
	if len(got) != 3 || got[0] != "failed" || got[1] != "no_change" || got[2] != "succeeded" && got[2] != "rejected" {
		t.Errorf("history, newest first: %v", got)
	}
}

// TestIngestUnderTheMemoryCap: a night's ingest runs with DuckDB's memory
// capped (loadMemoryLimit), and its transform with the warehouse's own limit
// again; a warehouse opened below the cap keeps its own limit throughout.
func TestIngestUnderTheMemoryCap(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 9}, in, "xlsx", nil); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	// as DuckDB prints 192MB, 96MB and 64MB
	for _, c := range []struct{ limit, ingest, transform string }{
		{"192MB", "91.5 MiB", "183.1 MiB"},
		{"64MB", "61.0 MiB", "61.0 MiB"},
	} {
		e := &Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Models: orgsql.Models, Tests: orgsql.Tests,
			WarehousePath: filepath.Join(dir, c.limit+".duckdb"), Config: cfg, MemoryLimit: c.limit}
		limit := func(s *Session) string {
			var v string
			if err := s.W.DB.QueryRowContext(s.Work, `SELECT current_setting('memory_limit')`).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		err := e.Session(context.Background(), "run", filepath.Join(dir, "out-"+c.limit), func(s *Session) error {
			if _, err := s.Ingest(in, false); err != nil && !errors.Is(err, ErrRejected) {
				return err
			}
			if during := limit(s); during != c.ingest {
				t.Errorf("opened at %s: after the ingest DuckDB's memory_limit is %s, want %s", c.limit, during, c.ingest)
			}
			if _, err := s.Transform(0); err != nil {
				return err
			}
			if got := limit(s); got != c.transform {
				t.Errorf("opened at %s: after the transform DuckDB's memory_limit is %s, want %s", c.limit, got, c.transform)
			}
			return nil
		})
		if err != nil && !errors.Is(err, ErrRejected) {
			t.Fatal(err)
		}
	}
}
