package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orgqa/internal/gen"
)

// dumpWarehouse is every table's rows, sorted, as text.
func dumpWarehouse(t *testing.T, l *Loader) string {
	t.Helper()
	tables := []string{"load_manifest", "rejects", "legacy_conversions"}
	for _, s := range Contract {
		tables = append(tables, s.Table)
	}
	return dumpTables(t, l.DB, tables, "")
}

// dumpTables is the rows of tables, sorted, as text; exclude is a column list
// left out of every table ("" for none).
func dumpTables(t *testing.T, db *sql.DB, tables []string, exclude string) string {
	t.Helper()
	var b strings.Builder
	cols := "*"
	if exclude != "" {
		cols = "* EXCLUDE (" + exclude + ")"
	}
	for _, tbl := range tables {
		rows, err := db.Query(fmt.Sprintf(`SELECT %s FROM %s ORDER BY ALL`, cols, tbl))
		if err != nil {
			t.Fatal(err)
		}
		names, _ := rows.Columns()
		vals, ptrs := make([]any, len(names)), make([]any, len(names))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		fmt.Fprintf(&b, "== %s\n", tbl)
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// mixedInbox is a folder of what a night meets: generated workbooks (seed)
// and CSV sets (seed+1), the messy workbook with a bad row of each kind, and a
// file that is no workbook.
func mixedInbox(t *testing.T, seed uint64) string {
	t.Helper()
	dir := t.TempDir()
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: seed}, filepath.Join(dir, "xlsx"), "xlsx", nil); err != nil {
		t.Fatal(err)
	}
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2024, Seed: seed + 1}, filepath.Join(dir, "csv"), "csv", nil); err != nil {
		t.Fatal(err)
	}
	messyBook().write(t, filepath.Join(dir, "bao cao.xlsx"))
	os.WriteFile(filepath.Join(dir, "hong.xlsx"), []byte("not a workbook"), 0o644)
	return dir
}

// TestPrefetchLoadsTheSame loads one folder — generated workbooks and CSV sets,
// the messy workbook with a bad row of each kind, a broken file, a report loaded
// before, a corrected export — with the reader going ahead and without: the
// warehouses must hold the same rows, rejects and manifest.
func TestPrefetchLoadsTheSame(t *testing.T) {
	dir := mixedInbox(t, 47)
	fixed := time.Date(2026, 12, 2, 1, 30, 0, 0, time.UTC)
	load := func(noPrefetch bool) string {
		w := openTestWarehouse(t)
		l := quietLoader(w)
		l.Now, l.NoPrefetch = func() time.Time { return fixed }, noPrefetch
		for night := 0; night < 2; night++ { // the second night skips what the first loaded
			if _, err := l.LoadDir(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
		}
		return dumpWarehouse(t, l)
	}
	streamed, ahead := load(true), load(false)
	if streamed != ahead {
		a, b := strings.Split(streamed, "\n"), strings.Split(ahead, "\n")
		for i := range a {
			if i >= len(b) || a[i] != b[i] {
				t.Fatalf("read ahead, the warehouse differs at line %d:\nstreamed: %s\nahead:    %s", i+1, a[i], b[min(i, len(b)-1)])
			}
		}
		t.Fatal("read ahead, the warehouse holds more rows")
	}
	if !strings.Contains(ahead, "Mã đảng viên trùng với dòng 2") || strings.Count(ahead, "\n") < 1000 {
		t.Error("the comparison saw too little: the data set did not load")
	}
}

// TestPrefetchBound: a report bigger than the read-ahead bound is streamed.
func TestPrefetchBound(t *testing.T) {
	dir := t.TempDir()
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 49}, dir, "csv", nil); err != nil {
		t.Fatal(err)
	}
	srcs, _, err := Discover(dir)
	if err != nil || len(srcs) == 0 {
		t.Fatal(srcs, err)
	}
	h, _ := hashSource(srcs[0])
	rr, err := openReport(srcs[0], h.files, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.close()
	if readAhead(rr) == nil {
		t.Fatal("a small report was not read ahead")
	}
	wide := &memSheet{rows: make([][]string, prefetchCells/10+1)}
	for i := range wide.rows {
		wide.rows[i] = make([]string, 10)
	}
	big := &reportReader{sheets: map[*SheetSpec]*sheetSource{SheetByName("DangVien"): {open: wide.open}}}
	if readAhead(big) != nil {
		t.Error("a report over the bound was held in memory")
	}
}
