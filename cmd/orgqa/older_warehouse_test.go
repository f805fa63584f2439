package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/ingest"
)

// gunzipTo writes the gzip file src, unpacked, to dst.
func gunzipTo(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWarehouseWithSourcesOnEveryRow takes a warehouse the orgqa of df5e540
// wrote (testdata/warehouses: three reports, one withdrawn), whose loaded
// rows each carried their file, its hash and the sheet's name, through the
// usual night with nothing new: the columns move to load_sources, and every
// row, loaded or withdrawn, still has exactly the file, hash and sheet it had.
// Restoring the withdrawn report afterwards puts its rows back.
func TestWarehouseWithSourcesOnEveryRow(t *testing.T) {
	dir := t.TempDir()
	wh, in := filepath.Join(dir, "w.duckdb"), filepath.Join(dir, "in")
	gunzipTo(t, filepath.Join("..", "..", "testdata", "warehouses", "orgqa-df5e540.duckdb.gz"), wh)
	os.MkdirAll(in, 0o755)

	// each table's rows, provenance first, as the older warehouse holds them
	// and as the migrated one gives them through load_sources
	type table struct{ name, cols string }
	var tables []table
	colsOf := map[string]string{}
	for _, s := range ingest.Contract {
		var cols []string
		for _, c := range s.Columns {
			cols = append(cols, "t."+c.Name)
		}
		colsOf[s.Table] = strings.Join(cols, ", ")
		for _, name := range []string{s.Table, "withdrawn_" + s.Table} {
			tables = append(tables, table{name, colsOf[s.Table]})
		}
	}
	const lead = "t.load_id, t.reporting_unit, t.report_year, %s.source_file, %s.source_sha256, %s.source_sheet, t.source_row, "
	before := map[string][]string{}
	db, done := openBriefly(t, wh)
	for _, tb := range tables {
		before[tb.name] = queryRows(t, db, "SELECT "+strings.ReplaceAll(lead, "%s", "t")+tb.cols+" FROM "+tb.name+" t ORDER BY ALL")
	}
	done()
	if n := len(before["members"]) + len(before["withdrawn_members"]); n != 287 || len(before["withdrawn_members"]) == 0 {
		t.Fatalf("the older warehouse holds %d members (%d withdrawn); want 287, some withdrawn", n, len(before["withdrawn_members"]))
	}

	args := []string{"run", "--input", in, "--output", filepath.Join(dir, "out"), "--warehouse", wh}
	if code, _, stderr := runCLI(t, args...); code != exitOK || strings.Contains(stderr, "decided_read_only") {
		t.Fatalf("the night on the older warehouse: exit %d (or decided read-only)\n%s", code, stderr)
	}
	db, done = openBriefly(t, wh)
	if left := queryRows(t, db, `SELECT table_name || '.' || column_name FROM duckdb_columns()
		WHERE column_name IN ('source_file', 'source_sha256', 'source_sheet') AND table_name NOT IN ('rejects', 'withdrawn_rejects', 'load_sources')`); len(left) > 0 {
		t.Errorf("columns left on the rows: %v", left)
	}
	for _, tb := range tables {
		got := queryRows(t, db, "SELECT "+strings.ReplaceAll(lead, "%s", "s")+tb.cols+" FROM "+tb.name+" t JOIN load_sources s ON s.load_id = t.load_id AND s.table_name = '"+
			strings.TrimPrefix(tb.name, "withdrawn_")+"' ORDER BY ALL")
		if strings.Join(got, "\n") != strings.Join(before[tb.name], "\n") {
			t.Errorf("%s: %d rows before, %d after: %s", tb.name, len(before[tb.name]), len(got),
				firstDiff(strings.Join(before[tb.name], "\n"), strings.Join(got, "\n")))
		}
	}
	if dup := queryRows(t, db, `SELECT count(*) FROM (SELECT load_id, table_name FROM load_sources GROUP BY ALL HAVING count(*) > 1)`); dup[0] != "0" {
		t.Errorf("%s sheets of a load listed twice in load_sources", dup[0])
	}
	done()

	if code, stdout, stderr := runCLI(t, "files", "restore", "--load", "3", "--warehouse", wh); code != exitOK || !strings.Contains(stdout, "Restored load 3") {
		t.Fatalf("restore on the migrated warehouse: exit %d\n%s\n%s", code, stdout, stderr)
	}
	db, done = openBriefly(t, wh)
	defer done()
	got := queryRows(t, db, "SELECT "+strings.ReplaceAll(lead, "%s", "s")+colsOf["members"]+
		" FROM members t JOIN load_sources s ON s.load_id = t.load_id AND s.table_name = 'members' WHERE t.load_id = 3 ORDER BY ALL")
	if strings.Join(got, "\n") != strings.Join(before["withdrawn_members"], "\n") {
		t.Errorf("restored members differ from the withdrawn ones: %s", firstDiff(strings.Join(before["withdrawn_members"], "\n"), strings.Join(got, "\n")))
	}
}
