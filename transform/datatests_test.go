package transform

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"orgqa/ingest"
	orgsql "orgqa/sql"
)

func TestEmbeddedDataTestsLoad(t *testing.T) {
	tests, err := LoadTests(orgsql.Tests)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]bool{}
	for _, d := range tests {
		kinds[strings.SplitN(d.Name, "_", 2)[0]] = true
		if d.Title == "" {
			t.Errorf("%s has no title", d.Name)
		}
	}
	for _, k := range []string{"unique", "not", "accepted", "relationships", "shares", "province"} {
		if !kinds[k] {
			t.Errorf("no %s test among %d", k, len(tests))
		}
	}
}

func TestDataTestDeclarations(t *testing.T) {
	for name, tc := range map[string]struct {
		files fstest.MapFS
		want  string
	}{
		"bad generic":  {files("tests/tests.txt", "error unique mart_metrics | t"), "tests/tests.txt:1"},
		"bad severity": {files("tests/x.sql", "-- test: x\n-- severity: fatal\n-- title: t\nSELECT 1"), "must be error or warn"},
		"no title":     {files("tests/x.sql", "-- test: x\n-- severity: warn\nSELECT 1"), "no \"-- title:\""},
		"wrong name":   {files("tests/x.sql", "-- test: y\n-- severity: warn\n-- title: t\nSELECT 1"), `want a "-- test: x" header`},
		"twice":        {files("tests/tests.txt", "warn unique t(a) | t\nwarn unique t(a) | u"), "also declared"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := LoadTests(tc.files); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("LoadTests: %v, want %q", err, tc.want)
			}
		})
	}
}

// An error-severity test that fails stops the transform: the marts stay as
// they were, and the error names the test and shows rows. A warning is kept.
func TestDataTestsGateTheRun(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	log := quietLog()
	p, _ := Defaults(2025)
	models, err := Load(files("mart_x.sql", "-- model: mart_x\n-- depends: params\nCREATE OR REPLACE TABLE mart_x AS SELECT * FROM (VALUES (1, 'a'), (2, 'b'), (2, 'c')) t(k, v);"), []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	warnOnly, _ := LoadTests(files("tests/tests.txt", "warn unique mart_x(k) | Khoá trùng"))
	if err := Run(ctx, w.DB, models, warnOnly, p, log); err != nil {
		t.Fatalf("a warning failed the run: %v", err)
	}
	var n int
	var sample string
	if err := w.DB.QueryRow(`SELECT failures, sample FROM data_test_results WHERE test = 'unique_mart_x_k'`).Scan(&n, &sample); err != nil || n != 1 || !strings.Contains(sample, "k=2") {
		t.Errorf("warning recorded as %d, %q, %v", n, sample, err)
	}

	models2, _ := Load(files("mart_x.sql", "-- model: mart_x\n-- depends: params\nCREATE OR REPLACE TABLE mart_x AS SELECT * FROM (VALUES (3, 'd'), (3, 'e')) t(k, v);"), []string{"params"})
	strict, _ := LoadTests(files("tests/tests.txt", "error unique mart_x(k) | Khoá trùng"))
	err = Run(ctx, w.DB, models2, strict, p, log)
	var dte *DataTestError
	if !errors.As(err, &dte) || !strings.Contains(err.Error(), "data test unique_mart_x_k (tests/tests.txt:1) failed on 1 rows, e.g. k=3 copies=2") {
		t.Fatalf("Run: %v, want the failing test named with its rows", err)
	}
	if err := w.DB.QueryRow(`SELECT count(*) FROM mart_x WHERE k = 3`).Scan(&n); err != nil || n != 0 {
		t.Errorf("the failed run's rows are in the mart (%d, %v)", n, err)
	}
}

// A failing test whose rows name an organization says which reports list it,
// with their files: the operator knows whose report to look at. The report is
// loaded by ingest from a LibreOffice-written workbook, so its file is found
// through load_sources as analysts would find it.
func TestFailingTestNamesTheReports(t *testing.T) {
	ctx := context.Background()
	in := t.TempDir()
	src, err := os.ReadFile(filepath.Join("..", "testdata", "libreoffice", "libreoffice-0100-2025.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "bao-cao-0100.xlsx"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	w := tempWarehouse(t)
	log := quietLog()
	if sum, err := (&ingest.Loader{DB: w.DB, Log: log}).LoadDir(ctx, in); err != nil || len(sum.Files) != 1 || sum.Files[0].Outcome != ingest.Loaded {
		t.Fatalf("ingest: %+v, %v", sum, err)
	}
	var org string
	if err := w.DB.QueryRow(`SELECT min(unit_code) FROM units WHERE unit_level = 'co_so'`).Scan(&org); err != nil {
		t.Fatal(err)
	}
	p, _ := Defaults(2025)
	models, _ := Load(files("mart_x.sql", "-- model: mart_x\n-- depends: params\nCREATE OR REPLACE TABLE mart_x AS SELECT '"+org+"' AS org_code FROM range(2);"), []string{"params"})
	strict, _ := LoadTests(files("tests/tests.txt", "error unique mart_x(org_code) | Khoá trùng"))
	err = Run(ctx, w.DB, models, strict, p, log)
	if want := "the rows come from the reports of unit 0100 (" + filepath.Join(in, "bao-cao-0100.xlsx") + ")"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Run: %v\nwant it to say %q", err, want)
	}
}

// A unique test on a table bigger than uniquePartRows is checked in parts
// (the national mart_metrics grouped at once ran out of memory inside the
// transform's transaction). Split or not, it finds the same copies: here 40
// keys twice and one three times among 5.000 rows, checked in 5 parts of
// about 1.000 rows and in one.
func TestUniqueTestInParts(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	log := quietLog()
	p, _ := Defaults(2025)
	// keys 0..4958 once each, then 0..39 again and 7 a third time: 5.000 rows
	models, err := Load(files("mart_x.sql", `-- model: mart_x
-- depends: params
CREATE OR REPLACE TABLE mart_x AS
SELECT 'u' || (i % 7) AS unit_code, 'M' || i AS metric FROM range(4959) r(i)
UNION ALL SELECT 'u' || (i % 7), 'M' || i FROM range(40) r(i)
UNION ALL SELECT 'u0', 'M7';`), []string{"params"})
	if err != nil {
		t.Fatal(err)
	}
	tests, _ := LoadTests(files("tests/tests.txt", "warn unique mart_x(unit_code, metric) | Khoá trùng"))
	defer func(n int64) { uniquePartRows = n }(uniquePartRows)
	for _, part := range []int64{1_000, 1_000_000} {
		uniquePartRows = part
		if err := Run(ctx, w.DB, models, tests, p, log); err != nil {
			t.Fatalf("parts of %d rows: %v", part, err)
		}
		var n int
		var sample string
		if err := w.DB.QueryRow(`SELECT failures, sample FROM data_test_results WHERE test = 'unique_mart_x_unit_code_metric'`).Scan(&n, &sample); err != nil {
			t.Fatal(err)
		}
		if n != 40 || strings.Count(sample, "copies=") != 3 {
			t.Errorf("parts of %d rows: %d keys with copies (want 40), sample %q", part, n, sample)
		}
		if !strings.Contains(sample, "copies=2") {
			t.Errorf("parts of %d rows: sample %q shows no copies", part, sample)
		}
	}
	// and the three copies of M7 are found, whichever part holds them
	uniquePartRows = 1_000
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	n, failing, err := failures(ctx, conn, tests[0])
	if err != nil || n != 40 {
		t.Fatalf("failures: %d, %v", n, err)
	}
	if !strings.Contains(failing, "% 5 =") {
		t.Errorf("5.000 rows in parts of 1.000 were not checked in 5 parts: %s", failing)
	}
	var copies int
	if err := conn.QueryRowContext(ctx, "SELECT copies FROM ("+failing+") WHERE unit_code = 'u0' AND metric = 'M7'").Scan(&copies); err != nil || copies != 3 {
		t.Errorf("M7 of u0: %d copies, %v; want 3", copies, err)
	}
}
