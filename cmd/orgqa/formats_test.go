package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOfficeFormatsSameMetrics runs the whole night on one report as excelize
// wrote it, laid out as an official form (openpyxl), and saved by LibreOffice
// as .xls and .ods: the metrics and the assessment are the same.
func TestOfficeFormatsSameMetrics(t *testing.T) {
	files := map[string]string{
		"plain": filepath.Join("..", "..", "testdata", "libreoffice", "excelize-0100-2025.xlsx"),
		"form":  filepath.Join("..", "..", "testdata", "layouts", "all.xlsx"),
		"xls":   filepath.Join("..", "..", "testdata", "layouts", "libreoffice-all.xls"),
		"ods":   filepath.Join("..", "..", "testdata", "layouts", "libreoffice-all.ods"),
	}
	dumps := map[string]string{}
	for name, src := range files {
		dir := t.TempDir()
		in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
		os.MkdirAll(in, 0o755)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(in, "bao-cao"+filepath.Ext(src)), b, 0o644)
		code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		db := openWarehouse(t, wh)
		var lines []string
		for _, q := range []string{
			`SELECT * FROM mart_metrics ORDER BY ALL`,
			`SELECT * FROM mart_org_assessment ORDER BY ALL`,
		} {
			rows, err := db.Query(q)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			for rows.Next() {
				rows.Scan(ptrs...)
				var parts []string
				for i, c := range cols {
					if strings.HasSuffix(c, "_at") || strings.Contains(c, "load_id") || c == "run_id" {
						continue
					}
					parts = append(parts, c+"="+strings.TrimSpace(strings.ReplaceAll(fmtAny(vals[i]), "\n", " ")))
				}
				lines = append(lines, strings.Join(parts, " "))
			}
			rows.Close()
		}
		if len(lines) < 10 {
			t.Fatalf("%s: %d metric rows", name, len(lines))
		}
		dumps[name] = strings.Join(lines, "\n")
	}
	for _, name := range []string{"form", "xls", "ods"} {
		if dumps[name] != dumps["plain"] {
			a, b := strings.Split(dumps["plain"], "\n"), strings.Split(dumps[name], "\n")
			for i := 0; i < len(a) && i < len(b); i++ {
				if a[i] != b[i] {
					t.Fatalf("%s: first difference at line %d:\nplain: %s\n%s: %s", name, i, a[i], name, b[i])
				}
			}
			t.Fatalf("%s: %d lines, plain %d", name, len(b), len(a))
		}
	}
}

func fmtAny(v any) string {
	if v == nil {
		return "∅"
	}
	return fmt.Sprint(v)
}
