package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// TestPivotInPartsAgreesWithOneGrouping builds a pivot of more columns than
// one part holds from random long rows (units lacking some metrics, values,
// names and parents left empty, one metric in two columns, a cast), and
// compares it with the one grouping of filtered aggregates it replaces,
// written out here. DuckDB's threads are as they were after it, also when
// the pivot fails.
func TestPivotInPartsAgreesWithOneGrouping(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	db := w.DB
	rng := rand.New(rand.NewSource(7))
	const units, metrics = 300, 2*pivotPart + 5
	var rows []string
	for u := 0; u < units; u++ {
		name, parent := fmt.Sprintf("'Chi bộ %d'", u), fmt.Sprintf("'RU%d'", u%7)
		if u%29 == 0 {
			name = "NULL"
		}
		if u%31 == 0 {
			parent = "NULL"
		}
		for m := 0; m < metrics; m++ {
			if rng.Intn(10) < 3 { // this unit lacks this metric
				continue
			}
			value := fmt.Sprint(rng.Intn(1000)) + ".5"
			if rng.Intn(10) == 0 {
				value = "NULL"
			}
			rows = append(rows, fmt.Sprintf("(2025, 'org', 'U%d', %s, %s, 'M%02d', %d, %d, %s)",
				u, name, parent, m, rng.Intn(50), rng.Intn(50)+50, value))
		}
	}
	// units with the first part's metrics only: nothing to join in the others
	for u := units; u < units+3; u++ {
		for m := 0; m < 4; m++ {
			rows = append(rows, fmt.Sprintf("(2025, 'org', 'U%d', 'Chi bộ %d', 'RU1', 'M%02d', 1, 2, 0.5)", u, u, m))
		}
	}
	// another level and another year, which the base leaves out
	rows = append(rows, "(2025, 'cell', 'U1', 'x', 'U1', 'M00', 1, 1, 99)", "(2024, 'org', 'U1', 'x', 'RU1', 'M00', 1, 1, 99)")
	execAll(t, db, martMetrics, "INSERT INTO mart_metrics VALUES "+strings.Join(rows, ", "))
	var cols []pivotCol
	var want []string
	for m := 0; m < metrics; m++ {
		metric := fmt.Sprintf("M%02d", m)
		cols = append(cols, pivotCol{agg: "max(value)", metric: metric, as: metric})
		want = append(want, fmt.Sprintf(`max(value) FILTER (WHERE metric = '%s') AS "%s"`, metric, metric))
	}
	cols = append(cols, pivotCol{agg: "max(denominator)", metric: "M03", as: "M03 den"},
		pivotCol{agg: "max(value)", cast: "INTEGER", metric: "M05", as: "M05 int"})
	want = append(want, `max(denominator) FILTER (WHERE metric = 'M03') AS "M03 den"`,
		`(max(value) FILTER (WHERE metric = 'M05'))::INTEGER AS "M05 int"`)
	if len(cols) <= 2*pivotPart {
		t.Fatalf("%d columns: the test needs more than two parts", len(cols))
	}

	if _, err := db.Exec("SET threads = 2"); err != nil {
		t.Fatal(err)
	}
	drop, err := pivotTable(ctx, db, "got", "SELECT * FROM mart_metrics WHERE year = ? AND level = ?",
		[]string{"any_value(unit_name) AS unit_name", "min(parent_code) AS parent_code"}, cols, 2025, "org")
	if err != nil {
		t.Fatal(err)
	}
	threadsAre(t, db, 2)
	if _, err := db.Exec(`CREATE TEMP TABLE want AS SELECT unit_code, any_value(unit_name) AS unit_name,
		min(parent_code) AS parent_code, ` + strings.Join(want, ", ") + `
		FROM mart_metrics WHERE year = 2025 AND level = 'org' GROUP BY unit_code`); err != nil {
		t.Fatal(err)
	}
	var nGot, nWant, missing, extra int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM got), (SELECT count(*) FROM want),
		(SELECT count(*) FROM (FROM want EXCEPT ALL FROM got)), (SELECT count(*) FROM (FROM got EXCEPT ALL FROM want))`).
		Scan(&nGot, &nWant, &missing, &extra); err != nil {
		t.Fatal(err)
	}
	if nGot != units+3 || nWant != units+3 || missing != 0 || extra != 0 {
		t.Fatalf("pivot: %d rows, one grouping %d (of %d units); %d rows missing, %d extra", nGot, nWant, units+3, missing, extra)
	}
	var gotCols, wantCols string
	for name, dst := range map[string]*string{"got": &gotCols, "want": &wantCols} {
		if err := db.QueryRow(`SELECT string_agg(column_name || ' ' || data_type, ', ' ORDER BY column_index)
			FROM duckdb_columns() WHERE table_name = ?`, name).Scan(dst); err != nil {
			t.Fatal(err)
		}
	}
	if gotCols != wantCols {
		t.Fatalf("columns:\n got  %s\n want %s", gotCols, wantCols)
	}

	drop()
	var left int
	if err := db.QueryRow(`SELECT count(*) FROM duckdb_tables() WHERE table_name = 'got'`).Scan(&left); err != nil || left != 0 {
		t.Errorf("after drop, %d tables named got (%v)", left, err)
	}

	// a pivot that fails still gives the threads back
	bad := append(cols, pivotCol{agg: "max(value)", cast: "NO_SUCH_TYPE", metric: "M00", as: "bad"})
	if _, err := pivotTable(ctx, db, "bad", "SELECT * FROM mart_metrics", nil, bad); err == nil {
		t.Fatal("a pivot with an unknown type built")
	}
	threadsAre(t, db, 2)
}

// threadsAre fails the test unless DuckDB runs on n threads.
func threadsAre(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	var got int
	if err := db.QueryRow("SELECT current_setting('threads')::INTEGER").Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != n {
		t.Fatalf("DuckDB runs on %d threads, %d expected", got, n)
	}
}
