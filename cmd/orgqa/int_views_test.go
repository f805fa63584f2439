package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// intViews are the int_ models kept as views (README: the warehouse's tables).
var intViews = []string{"int_comments", "int_disciplines", "int_inspections", "int_letters", "int_letters_signed",
	"int_meetings", "int_member_213", "int_member_at", "int_members", "int_ratings"}

// TestIntViewsReplaceTheirTables: the int_ models the transform keeps as
// views hold, read in a later session (through the params the transform
// kept), the members the domain's rules count, from the loaded rows alone;
// an older warehouse's tables of those names become the views at its next
// transform, and every int_ and mart_ object then holds what a new
// warehouse's holds. An ingest after the transform shows in the views (they
// read what is loaded), not in the marts. Unit 0100 sends the report
// LibreOffice saved.
func TestIntViewsReplaceTheirTables(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 8})
	sendLibreOfficeReport(t, in)
	fresh, old := filepath.Join(dir, "fresh.duckdb"), filepath.Join(dir, "old.duckdb")
	cliOK(t, "ingest", "--input", in, "--warehouse", fresh)
	cliOK(t, "transform", "--warehouse", fresh, "--year", "2025")
	checkLibreOfficeRead(t, fresh)
	copyFile(t, fresh, old)

	// the views against the loaded rows, as domain.md §4 counts them
	db, done := openBriefly(t, fresh)
	for view, want := range map[string]string{
		"int_members": `SELECT count(*) FROM members WHERE report_year = 2025`,
		// each member of the year placed once
		"int_member_at": `SELECT count(DISTINCT member_code) FROM members WHERE report_year = 2025`,
		// counted in the year, working, under Giới thiệu (also when blank) or Miễn
		"int_member_213": `SELECT count(*) FROM members WHERE report_year = 2025 AND working
			AND coalesce(scheme_213, 'gioi_thieu') IN ('gioi_thieu', 'mien')
			AND (status IS NULL OR status = 'dang_sinh_hoat' OR status_date > DATE '2025-12-31')`,
	} {
		got, exp := queryRows(t, db, `SELECT count(*) FROM `+view), queryRows(t, db, want)
		if got[0] != exp[0] || exp[0] == "0" {
			t.Errorf("%s: %s rows, the loaded rows hold %s", view, got[0], exp[0])
		}
	}
	done()

	kinds := func(wh string) string {
		t.Helper()
		db, done := openBriefly(t, wh)
		defer done()
		return strings.Join(queryRows(t, db, `SELECT table_name || ' ' || table_type FROM information_schema.tables
			WHERE table_schema = 'main' AND list_contains(['`+strings.Join(intViews, "', '")+`'], table_name) ORDER BY 1`), "\n")
	}
	var want []string
	for _, v := range intViews {
		want = append(want, v+" VIEW")
	}
	if got := kinds(fresh); got != strings.Join(want, "\n") {
		t.Fatalf("a new warehouse's int_ views:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}

	// the older warehouse: these were tables of the same rows, and neither
	// params nor latest_first was kept
	w, err := warehouse.Open(context.Background(), old, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db = w.DB
	for _, v := range intViews {
		for _, q := range []string{
			fmt.Sprintf(`CREATE TABLE %s_was AS FROM %s`, v, v),
			fmt.Sprintf(`DROP VIEW %s`, v),
			fmt.Sprintf(`ALTER TABLE %s_was RENAME TO %s`, v, v),
		} {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
	}
	for _, q := range []string{`DROP TABLE params`, `DROP MACRO latest_first`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := w.Close(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	tables := strings.ReplaceAll(strings.Join(want, "\n"), " VIEW", " BASE TABLE")
	if got := kinds(old); got != tables {
		t.Fatalf("the older warehouse:\n%s", got)
	}
	objects := func(wh string) map[string][]string {
		t.Helper()
		db, done := openBriefly(t, wh)
		defer done()
		out := map[string][]string{}
		for _, name := range queryRows(t, db, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'
			AND (table_name LIKE 'int\_%' ESCAPE '\' OR table_name LIKE 'mart\_%' ESCAPE '\' OR table_name = 'params')`) {
			out[name] = queryRows(t, db, `SELECT * FROM `+name+` ORDER BY ALL`)
		}
		return out
	}
	cliOK(t, "transform", "--warehouse", old, "--year", "2025")
	if got := kinds(old); got != strings.Join(want, "\n") {
		t.Fatalf("the older warehouse after its transform:\n%s\nwant\n%s", got, strings.Join(want, "\n"))
	}
	now, ref := objects(old), objects(fresh)
	if len(now) != len(ref) || len(ref) < 20 {
		t.Fatalf("%d int_/mart_ objects after the transform, %d in a new warehouse", len(now), len(ref))
	}
	for name, rows := range ref {
		if strings.Join(now[name], "\n") != strings.Join(rows, "\n") {
			t.Errorf("%s: %d rows, %d in a new warehouse: %s", name, len(now[name]), len(rows), firstDiff(strings.Join(rows, "\n"), strings.Join(now[name], "\n")))
		}
	}

	// an ingest with no transform after it: the views read the new rows, the marts keep theirs
	more := filepath.Join(dir, "more")
	writeReports(t, more, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 9})
	cliOK(t, "ingest", "--input", more, "--warehouse", fresh)
	after := objects(fresh)
	if strings.Join(after["int_members"], "\n") == strings.Join(ref["int_members"], "\n") {
		t.Error("int_members did not change with the new reports")
	}
	if strings.Join(after["mart_org_assessment"], "\n") != strings.Join(ref["mart_org_assessment"], "\n") {
		t.Error("mart_org_assessment changed without a transform")
	}
}
