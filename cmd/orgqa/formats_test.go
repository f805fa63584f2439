package main

import (
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
		// what a run, a load or a clock sets is left out: the rest must match
		keep := `COLUMNS(c -> c NOT LIKE '%_at' AND c NOT LIKE '%load_id%' AND c <> 'run_id')`
		var lines []string
		for _, table := range []string{"mart_metrics", "mart_org_assessment"} {
			lines = append(lines, rowsText(t, db, table, `SELECT CAST(`+keep+` AS VARCHAR) FROM `+table+` ORDER BY ALL`)...)
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

// TestUnreadInboxFilesReachTheBoard: a Word file and a misnamed CSV in the
// inbox are in the manifest and on the leadership workbook's data-quality
// sheet, each with what to do; the report beside them loads.
func TestUnreadInboxFilesReachTheBoard(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "layouts", "libreoffice-all.ods"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(in, "bao-cao-0100.ods"), b, 0o644)
	os.WriteFile(filepath.Join(in, "cong-van.docx"), []byte("PK\x03\x04 not really"), 0o644)
	os.WriteFile(filepath.Join(in, "0100-2025-DangVien.csv"), []byte("a,b\n"), 0o644)
	code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected { // the misnamed CSV is a file not loaded
		t.Fatalf("exit %d, want %d\n%s", code, exitRejected, stderr)
	}
	db := openWarehouse(t, wh)
	got := strings.Join(rowsText(t, db, "", `SELECT concat_ws(' ', outcome, source_kind, regexp_replace(source_path, '.*/', '')) AS l FROM load_manifest ORDER BY regexp_replace(source_path, '.*/', '')`), "\n")
	want := "failed csv 0100-2025-DangVien.csv\nloaded ods bao-cao-0100.ods\nignored other cong-van.docx"
	if got != want {
		t.Errorf("manifest:\n%s\nwant\n%s", got, want)
	}
	db.Close()
	book := dumpWorkbook(t, filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx"))
	for _, line := range []string{"cong-van.docx |  | Không phải tệp báo cáo (định dạng .docx)", "0100-2025-DangVien.csv |  | Tên tệp CSV phải có dạng"} {
		if !strings.Contains(book, line) {
			t.Errorf("the data-quality sheet does not list %q", line)
		}
	}
}
