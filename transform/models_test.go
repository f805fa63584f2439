package transform

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"orgqa/internal/warehouse"
	orgsql "orgqa/sql"
)

func files(kv ...string) fstest.MapFS {
	m := fstest.MapFS{}
	for i := 0; i < len(kv); i += 2 {
		m[kv[i]] = &fstest.MapFile{Data: []byte(kv[i+1])}
	}
	return m
}

func TestLoadOrdersByDependency(t *testing.T) {
	fsys := files(
		"c.sql", "-- model: c\n-- depends: b, a\nSELECT 1;",
		"a.sql", "-- model: a\n-- depends: src\nSELECT 1;",
		"b.sql", "-- model: b\n-- builds: b, b2\n-- depends: a\n-- what b is for\nSELECT 1;",
		"d.sql", "-- model: d\n-- depends: b2\nSELECT 1;",
	)
	models, err := Load(fsys, []string{"src"})
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, m := range models {
		pos[m.Name] = i
	}
	for _, edge := range [][2]string{{"a", "b"}, {"b", "c"}, {"a", "c"}, {"b", "d"}} {
		if pos[edge[0]] > pos[edge[1]] {
			t.Errorf("%s runs after %s, which reads it", edge[0], edge[1])
		}
	}
}

func TestLoadRefusesBadModels(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"cycle", files("a.sql", "-- model: a\n-- depends: b\n", "b.sql", "-- model: b\n-- depends: a\n"), "dependency cycle: a -> b -> a"},
		{"unknown", files("a.sql", "-- model: a\n-- depends: nowhere\n"), `a.sql: depends on "nowhere"`},
		{"no header", files("a.sql", "SELECT 1;"), `a.sql: no "-- model: NAME" header`},
		{"no depends", files("a.sql", "-- model: a\nSELECT 1;"), `no "-- depends:" header`},
		{"wrong file", files("a.sql", "-- model: b\n-- depends:\n"), `model "b" must live in b.sql`},
		{"built twice", files("a.sql", "-- model: a\n-- builds: t\n-- depends:\n", "b.sql", "-- model: b\n-- builds: t\n-- depends:\n"), "t is also built by a.sql"},
		{"rebuilds a source", files("a.sql", "-- model: a\n-- builds: src\n-- depends:\n"), "src is a source table"},
		{"bad name", files("a.sql", "-- model: a\n-- depends: x;drop\n"), `"x;drop" is not a table name`},
		{"twice", files("a.sql", "-- model: a\n-- depends:\n-- depends: src\n"), `a.sql:3: "depends" given twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.fsys, []string{"src"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load: %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

func TestEmbeddedModelsLoad(t *testing.T) {
	models, err := Load(orgsql.Models, Sources())
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	var names []string
	for i, m := range models {
		pos[m.Name] = i
		names = append(names, m.Name)
	}
	for _, edge := range [][2]string{{"int_metrics", "mart_org_assessment"}, {"mart_org_assessment", "mart_metrics"}, {"mart_metrics", "mart_trend"}} {
		if pos[edge[0]] >= pos[edge[1]] {
			t.Errorf("%s must run before %s; order: %v", edge[0], edge[1], names)
		}
	}
}

// A model that fails leaves the marts of the previous run as they were.
func TestFailingModelLeavesPreviousMarts(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	log := quietLog()
	good := files(
		"int_a.sql", "-- model: int_a\n-- depends: params\nCREATE OR REPLACE TABLE int_a AS SELECT year FROM params;",
		"mart_b.sql", "-- model: mart_b\n-- depends: int_a\nCREATE OR REPLACE TABLE mart_b AS SELECT year * 10 AS v FROM int_a;",
	)
	models, err := Load(good, []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	p2024, err := Defaults(2024)
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(ctx, w.DB, models, nil, p2024, log); err != nil {
		t.Fatal(err)
	}
	broken := files(
		"int_a.sql", "-- model: int_a\n-- depends: params\nCREATE OR REPLACE TABLE int_a AS SELECT year FROM params;",
		"mart_b.sql", "-- model: mart_b\n-- depends: int_a\nCREATE OR REPLACE TABLE mart_b AS SELECT no_such_column FROM int_a;",
	)
	models, err = Load(broken, []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	p2025, err := Defaults(2025)
	if err != nil {
		t.Fatal(err)
	}
	err = Run(ctx, w.DB, models, nil, p2025, log)
	if err == nil || !strings.Contains(err.Error(), "model mart_b (mart_b.sql)") {
		t.Fatalf("Run: %v, want an error naming mart_b", err)
	}
	var a, b int
	if err := w.DB.QueryRow(`SELECT (SELECT year FROM int_a), (SELECT v FROM mart_b)`).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	if a != 2024 || b != 20240 {
		t.Errorf("after a failed run: int_a = %d, mart_b = %d; want the 2024 run's 2024 and 20240", a, b)
	}
}

// tempWarehouse is a fresh warehouse file in the test's temporary folder,
// closed when the test ends.
func tempWarehouse(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background(), false) })
	return w
}

func quietLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// TestRunWritesItsRowsToTheFile: in a working copy, where DuckDB's log may
// grow to 1 GiB, the transform's commit writes what it built into the
// database file (warehouse.CommitToFile), not into the log for the
// checkpoint after the step to write again.
func TestRunWritesItsRowsToTheFile(t *testing.T) {
	ctx := context.Background()
	w, err := warehouse.Begin(ctx, filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Discard()
	const rows = 200000
	models, err := Load(files("int_a.sql", fmt.Sprintf("-- model: int_a\n-- depends: params\n"+
		"CREATE OR REPLACE TABLE int_a AS SELECT range AS i, 'đơn vị ' || range AS s, year FROM range(%d), params;", rows)), []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	runYear(t, w, models, 2025)
	var n int
	if err := w.DB.QueryRow(`SELECT count(*) FROM int_a WHERE year = 2025`).Scan(&n); err != nil || n != rows {
		t.Fatalf("int_a: %d rows (%v), want %d", n, err, rows)
	}
	fi, err := os.Stat(w.Path + ".wal")
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	if err == nil && fi.Size() >= rows {
		t.Errorf("the log holds %d bytes after the transform built %d rows: they were logged, not written to the file", fi.Size(), rows)
	}
}

// runYear runs models for year with the embedded rules and no data tests.
func runYear(t *testing.T, w *warehouse.Warehouse, models []Model, year int) {
	t.Helper()
	p, err := Defaults(year)
	if err != nil {
		t.Fatal(err)
	}
	if err := Run(context.Background(), w.DB, models, nil, p, quietLog()); err != nil {
		t.Fatal(err)
	}
}
