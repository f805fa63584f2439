package night

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	in, e, out := libreOfficeInbox(t, dir, 9, nil), testEnv(t, dir), filepath.Join(dir, "out")
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
	w := readOnly(t, e.WarehousePath)
	checkLibreOfficeRows(t, w)
	runs := lastRuns(t, w, 10)
	var got []string
	for _, r := range runs {
		got = append(got, string(r.Outcome))
	}
	if len(got) != 3 || got[0] != "failed" || got[1] != "no_change" || got[2] != "succeeded" && got[2] != "rejected" {
		t.Errorf("history, newest first: %v", got)
	}
}

// testEnv is an Env of the default configuration on dir/w.duckdb, its log
// discarded.
func testEnv(t *testing.T, dir string) *Env {
	t.Helper()
	cfg, err := config.Default()
	if err != nil {
		t.Fatal(err)
	}
	return &Env{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Models: orgsql.Models, Tests: orgsql.Tests,
		WarehousePath: filepath.Join(dir, "w.duckdb"), Config: cfg}
}

// readOnly opens the warehouse at path read-only, closed when the test ends.
func readOnly(t *testing.T, path string) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), path, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background(), false) })
	return w
}

// lastRuns reads the last n runs of the run history, newest first.
func lastRuns(t *testing.T, w *warehouse.Warehouse, n int) []history.Run {
	t.Helper()
	runs, err := history.Last(context.Background(), w.DB, n)
	if err != nil {
		t.Fatal(err)
	}
	return runs
}

// TestOutOfMemorySaysWhatToDo: a step DuckDB could not build within the
// memory limit fails with DuckDB's error and what the operator can do, in the
// error the command prints and in the run history. (Three units' transform
// runs out of memory at 20 MB, in mart_trend; it builds at 48 MB.)
func TestOutOfMemorySaysWhatToDo(t *testing.T) {
	dir := t.TempDir()
	in, e := libreOfficeInbox(t, dir, 9, nil), testEnv(t, dir)
	ctx := context.Background()
	if err := e.Ingest(ctx, in, false); err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	e.MemoryLimit = "20MB"
	err := e.Transform(ctx, 0)
	const hint = "(DuckDB needed more memory than --memory-limit 20MB gives it: run again with a larger limit)"
	if err == nil || !strings.Contains(err.Error(), "Out of Memory Error") || !strings.HasSuffix(err.Error(), hint) {
		t.Fatalf("transform at 20MB: %v, want DuckDB's out of memory error ending %q", err, hint)
	}
	w := readOnly(t, e.WarehousePath)
	checkLibreOfficeRows(t, w)
	runs := lastRuns(t, w, 1)
	if len(runs) != 1 || runs[0].Outcome != "failed" || !strings.HasSuffix(runs[0].Error, hint) {
		t.Errorf("the run history's last run: %+v, want failed with the hint", runs)
	}
	// the same night at the least limit orgqa takes builds
	e.MemoryLimit = warehouse.MinMemoryLimit
	if err := e.Transform(ctx, 0); err != nil {
		t.Errorf("transform at %s: %v", warehouse.MinMemoryLimit, err)
	}
}

// TestCappedStepsRunAgainAtTheLimit: a step that runs out of memory at its
// cap (buildMemoryLimit) runs again at --memory-limit: the night succeeds,
// says so in its log and its history, and writes what a night without the
// cap writes, byte for byte. (Three units' transform runs out of memory at
// 20 MB and builds at 48 MB, see TestOutOfMemorySaysWhatToDo.)
func TestCappedStepsRunAgainAtTheLimit(t *testing.T) {
	dir := t.TempDir()
	in := libreOfficeInbox(t, dir, 9, nil)
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	night := func(name, limit string) (out, logged string) {
		wasLimit, wasRows := buildMemoryLimit, concurrentReportRows
		// the report in turns, as a nation's: the cap is for that report
		buildMemoryLimit, concurrentReportRows = limit, -1
		defer func() { buildMemoryLimit, concurrentReportRows = wasLimit, wasRows }()
		var log bytes.Buffer
		e := testEnv(t, dir)
		e.WarehousePath, e.MemoryLimit = filepath.Join(dir, name+".duckdb"), "192MB"
		e.Log, e.Now = slog.New(slog.NewTextHandler(&log, nil)), func() time.Time { return now }
		out = filepath.Join(dir, name)
		if _, err := e.Run(context.Background(), RunOptions{Input: in, Output: out}); err != nil && !errors.Is(err, ErrRejected) {
			t.Fatalf("%s night, cap %s: %v", name, limit, err)
		}
		runs := lastRuns(t, readOnly(t, e.WarehousePath), 1)
		again := map[string]bool{}
		for _, st := range runs[0].Steps {
			again[st.Name] = st.Figures["again_at_memory_limit"] == true
		}
		want := limit == "20MB"
		if again["transform"] != want || again["report"] != want {
			t.Errorf("%s night, cap %s: the history says run again: %v, want %v for the transform and the report", name, limit, again, want)
		}
		return out, log.String()
	}
	plain, plainLog := night("plain", "128MB")
	capped, cappedLog := night("capped", "20MB")
	const warning = `msg="out of memory at the step's cap: running it again at --memory-limit" step=`
	for _, step := range []string{"transform", "report"} {
		if !strings.Contains(cappedLog, warning+step) {
			t.Errorf("capped at 20MB: the log does not say the %s ran again:\n%s", step, cappedLog)
		}
	}
	if strings.Contains(plainLog, warning) {
		t.Errorf("capped at 128MB: a step ran again:\n%s", plainLog)
	}
	// the same outputs: the workbook and every Parquet file
	files := []string{filepath.Join("excel", "latest", WorkbookName(2025))}
	err := filepath.WalkDir(filepath.Join(plain, "parquet"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(plain, p)
			files = append(files, rel)
		}
		return err
	})
	if err != nil || len(files) != 8 {
		t.Fatalf("the plain night's outputs: %v, %v", files, err)
	}
	for _, f := range files {
		a, err := os.ReadFile(filepath.Join(plain, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(capped, f))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between the night run again and the plain one", f)
		}
	}
}

// TestIngestUnderTheMemoryCap: a night's ingest runs with DuckDB's memory
// capped (loadMemoryLimit), and its transform with the warehouse's own limit
// again; a warehouse opened below the cap keeps its own limit throughout.
func TestIngestUnderTheMemoryCap(t *testing.T) {
	dir := t.TempDir()
	in, small := libreOfficeInbox(t, dir, 9, nil), testEnv(t, dir)
	// as DuckDB prints 192MB, 96MB and 64MB
	for _, c := range []struct{ limit, ingest, transform string }{
		{"192MB", "91.5 MiB", "122.0 MiB"}, // the transform's own cap: buildMemoryLimit
		{"64MB", "61.0 MiB", "61.0 MiB"},
	} {
		e := *small
		e.WarehousePath, e.MemoryLimit = filepath.Join(dir, c.limit+".duckdb"), c.limit
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

// TestReportAtOnceWritesWhatTakingTurnsWrites: the report writes the Parquet
// files on a second connection while it writes the workbooks (a year with
// few metric and rejected rows), and the files are byte for byte those it
// writes taking turns (a year with many of either); a Parquet file that
// cannot be written fails the report either way.
func TestReportAtOnceWritesWhatTakingTurnsWrites(t *testing.T) {
	dir := t.TempDir()
	in := libreOfficeInbox(t, dir, 9, func(i int, rep *gen.Report) {
		if i == 1 { // rows to reject: the report also writes a workbook back to this unit
			rep.Members[3].CellCode = "9999"
			rep.Meetings[2].Present = rep.Meetings[2].Members + 5
		}
	})
	now := time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)
	var logged bytes.Buffer
	e := testEnv(t, dir)
	e.Log, e.Now = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug})), func() time.Time { return now }
	ctx := context.Background()
	if _, err := e.Run(ctx, RunOptions{Input: in, Output: filepath.Join(dir, "out")}); err != nil && !errors.Is(err, ErrRejected) {
		t.Fatal(err)
	}
	w, err := warehouse.Open(ctx, e.WarehousePath, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx, false)
	checkLibreOfficeRows(t, w)
	// write writes the report under root with the limits given, and says
	// whether it wrote the Parquet files beside the workbooks
	write := func(root string, rows, rejects int64) (*ReportResult, bool, error) {
		wasRows, wasRejects := concurrentReportRows, concurrentReportRejects
		concurrentReportRows, concurrentReportRejects = rows, rejects
		defer func() { concurrentReportRows, concurrentReportRejects = wasRows, wasRejects }()
		logged.Reset()
		atOnce, err := e.atOnce(ctx, w, 2025)
		if err != nil {
			return nil, false, err
		}
		res, err := e.write(ctx, w, 2025, root, true, atOnce, true)
		return res, strings.Contains(logged.String(), "parquet_beside_workbooks=true"), err
	}
	atOnce := filepath.Join(dir, "at-once")
	res, beside, err := write(atOnce, 1_000_000, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	if !beside || len(res.Parquet) != 7 || len(res.Rejects) == 0 || len(res.Units) == 0 {
		t.Fatalf("at once (%v): %d Parquet files, %d rejects workbooks, %d unit workbooks", beside, len(res.Parquet), len(res.Rejects), len(res.Units))
	}
	// many metric rows, then many rejected rows: the two take turns
	for _, turns := range []struct {
		name          string
		rows, rejects int64
	}{{"turns-metrics", -1, 100_000}, {"turns-rejects", 1_000_000, 0}} {
		root := filepath.Join(dir, turns.name)
		if _, beside, err := write(root, turns.rows, turns.rejects); err != nil || beside {
			t.Fatalf("%s: beside %v, %v", turns.name, beside, err)
		}
		files := 0
		err = filepath.WalkDir(atOnce, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(atOnce, p)
			a, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(filepath.Join(root, rel))
			if err != nil {
				return err
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: %s differs: %d bytes at once, %d taking turns", turns.name, rel, len(a), len(b))
			}
			files++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 + len(res.Parquet) + len(res.Units) + len(res.Rejects); files < want {
			t.Errorf("%d files written, want at least %d", files, want)
		}
	}
	for _, limit := range []int64{1_000_000, -1} {
		root := filepath.Join(dir, fmt.Sprint("no-parquet", limit))
		if err := os.MkdirAll(root, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "parquet"), nil, 0o644); err != nil { // a file where the folder goes
			t.Fatal(err)
		}
		if _, _, err := write(root, limit, 100_000); err == nil || !strings.Contains(err.Error(), "parquet") {
			t.Errorf("limit %d: a Parquet folder that cannot be made gave %v", limit, err)
		}
	}
}

// TestTransformOnOneThreadBuildsWhatTwoBuild: a small year is transformed on
// one DuckDB thread, a large one on DuckDB's threads (oneThreadTransformRows);
// every table the models build holds the same rows either way.
func TestTransformOnOneThreadBuildsWhatTwoBuild(t *testing.T) {
	dir := t.TempDir()
	in, e := libreOfficeInbox(t, dir, 5, nil), testEnv(t, dir)
	var logged bytes.Buffer
	e.Log = slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	if err := e.Ingest(ctx, in, false); err != nil {
		t.Fatal(err)
	}
	// transform builds the year with rows at most limit on one thread, and
	// returns the threads the log says it used
	transform := func(limit int64) string {
		t.Helper()
		was := oneThreadTransformRows
		oneThreadTransformRows = limit
		defer func() { oneThreadTransformRows = was }()
		logged.Reset()
		if err := e.Transform(ctx, 2025); err != nil {
			t.Fatal(err)
		}
		i := strings.Index(logged.String(), "one_thread=")
		if i < 0 {
			t.Fatalf("no threads logged:\n%s", logged.String())
		}
		return strings.Fields(logged.String()[i:])[0]
	}
	if got := transform(-1); got != "one_thread=false" {
		t.Fatalf("below every year: %s", got)
	}
	ref := filepath.Join(dir, "two-threads.duckdb")
	b, err := os.ReadFile(e.WarehousePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ref, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if got := transform(1_800_000); got != "one_thread=true" {
		t.Fatalf("a small year at the default limit: %s", got)
	}
	w, err := warehouse.Open(ctx, e.WarehousePath, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(ctx, false)
	checkLibreOfficeRows(t, w)
	// one connection: the ATTACH and each USE hold for it. DuckDB 1.1 binds
	// a view's tables in the current database, not the view's: ref's views
	// are read with ref in use, into temporary tables
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var self string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&self); err != nil {
		t.Fatal(err)
	}
	exec(fmt.Sprintf("ATTACH '%s' AS ref (READ_ONLY)", ref))
	tables, err := warehouse.Column[string](ctx, conn, `SELECT table_name FROM information_schema.tables
		WHERE table_catalog = current_database() AND table_schema = 'main'
		AND (table_name LIKE 'int\_%' ESCAPE '\' OR table_name LIKE 'mart\_%' ESCAPE '\')
		ORDER BY table_name`)
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 20 {
		t.Fatalf("only %d int_ and mart_ tables and views: %v", len(tables), tables)
	}
	for _, table := range tables {
		exec("USE ref")
		exec(fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE two_threads AS FROM ref.main.%s`, table))
		exec(fmt.Sprintf(`USE %q`, self))
		var n, onlyOne, onlyTwo int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT (SELECT count(*) FROM %[1]s),
			(SELECT count(*) FROM (SELECT * FROM %[1]s EXCEPT ALL SELECT * FROM two_threads)),
			(SELECT count(*) FROM (SELECT * FROM two_threads EXCEPT ALL SELECT * FROM %[1]s))`, table)).Scan(&n, &onlyOne, &onlyTwo); err != nil {
			t.Fatal(err)
		}
		if onlyOne != 0 || onlyTwo != 0 {
			t.Errorf("%s: %d rows built on one thread only, %d on two only (of %d)", table, onlyOne, onlyTwo, n)
		}
		if n == 0 && (table == "mart_metrics" || table == "int_facts" || table == "mart_org_assessment" || table == "int_members") {
			t.Errorf("%s is empty: nothing compared", table)
		}
	}
}

// libreOfficeInbox writes under dir/in the small generated set of seed (each
// report edited by edit, when given), but for unit 0100, whose report is one
// LibreOffice saved: title rows, a blank row above each header, a Tổng cộng
// row under DangVien; its sheets hold 313 data rows (excelize's GetRows,
// counted as ingest's heldRows counts them). It returns the folder.
func libreOfficeInbox(t *testing.T, dir string, seed uint64, edit func(i int, rep *gen.Report)) string {
	t.Helper()
	in := filepath.Join(dir, "in")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	set := gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: seed}
	for i := 0; i < set.Scale.Units; i++ {
		rep := gen.Generate(set, i)
		if rep.UnitCode == "0100" {
			continue
		}
		if edit != nil {
			edit(i, rep)
		}
		if _, err := rep.WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "libreoffice", "libreoffice-0100-2025.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "libreoffice-0100-2025.xlsx"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return in
}

// checkLibreOfficeRows: the load of LibreOffice's report read the 313 data
// rows its file holds, each accepted or rejected.
func checkLibreOfficeRows(t *testing.T, w *warehouse.Warehouse) {
	t.Helper()
	var read, accepted, rejected int
	if err := w.DB.QueryRow(`SELECT rows_read, rows_accepted, rows_rejected FROM load_manifest
			WHERE outcome = 'loaded' AND reporting_unit = '0100'`).Scan(&read, &accepted, &rejected); err != nil {
		t.Fatal(err)
	}
	if read != 313 || accepted+rejected != read {
		t.Fatalf("LibreOffice's report: %d read, %d accepted + %d rejected; its file holds 313 data rows", read, accepted, rejected)
	}
}
