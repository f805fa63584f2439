package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestLibreOfficeWorkbooks loads reports saved by LibreOffice and the same
// reports as excelize wrote them: every table must hold the same rows.
func TestLibreOfficeWorkbooks(t *testing.T) {
	for _, unit := range []string{"0100", "0101"} {
		t.Run(unit, func(t *testing.T) {
			dump := map[string]string{}
			for _, author := range []string{"excelize", "libreoffice"} {
				dir := t.TempDir()
				src := filepath.Join("..", "testdata", "libreoffice", author+"-"+unit+"-2025.xlsx")
				b, err := os.ReadFile(src)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(dir, "report.xlsx"), b, 0o644)
				w := openTestWarehouse(t)
				sum, err := quietLoader(w).LoadDir(context.Background(), dir)
				if err != nil {
					t.Fatal(err)
				}
				if f := sum.Files[0]; f.Outcome != Loaded || f.Rejected != 0 || f.Read < 100 {
					t.Fatalf("%s: outcome %s, read %d, rejected %d, %v", author, f.Outcome, f.Read, f.Rejected, f.Err)
				}
				var all []string
				for _, s := range Contract {
					cols := []string{"source_sheet", "source_row"}
					for _, c := range s.Columns {
						cols = append(cols, c.Name)
					}
					rows, err := w.DB.Query("SELECT " + strings.Join(cols, " || '|' || ") + " FROM (SELECT " +
						strings.Join(castAll(cols), ", ") + " FROM " + s.Table + ") ORDER BY source_row")
					if err != nil {
						t.Fatal(err)
					}
					for rows.Next() {
						var line string
						rows.Scan(&line)
						all = append(all, s.Table+": "+line)
					}
					rows.Close()
				}
				dump[author] = strings.Join(all, "\n")
			}
			if dump["excelize"] != dump["libreoffice"] {
				a, b := strings.Split(dump["excelize"], "\n"), strings.Split(dump["libreoffice"], "\n")
				for i := 0; i < len(a) && i < len(b); i++ {
					if a[i] != b[i] {
						t.Fatalf("first difference at line %d:\nexcelize:    %s\nlibreoffice: %s", i, a[i], b[i])
					}
				}
				t.Fatalf("excelize %d rows, libreoffice %d rows", len(a), len(b))
			}
		})
	}
}

// castAll renders columns as text, NULL as ∅, so rows compare as strings.
func castAll(cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = "coalesce(CAST(" + c + " AS VARCHAR), '∅') AS " + c
	}
	return out
}
