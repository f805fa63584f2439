package main

import (
	"bufio"
	"database/sql"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestHandBuiltFixture runs the job on testdata/fixture, a reporting unit written
// by hand, and checks the metrics against testdata/fixture/expected.txt, whose
// values were worked out by hand with the reasoning beside them. Every metric the
// mart holds for the reporting unit must have a line there.
func TestHandBuiltFixture(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	src := filepath.Join("..", "..", "testdata", "fixture")
	files, _ := filepath.Glob(filepath.Join(src, "*.csv"))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		os.WriteFile(filepath.Join(in, filepath.Base(f)), b, 0o644)
	}
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d (the fixture has no bad rows)\n%s", code, stderr)
	}
	db := openWarehouse(t, wh)

	f, err := os.Open(filepath.Join(src, "expected.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	covered := map[string]bool{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 6 {
			t.Fatalf("expected.txt:%d: want 6 fields, got %q", n, line)
		}
		level, unit, metric := fs[0], fs[1], fs[2]
		if level == "reporting_unit" {
			covered[metric] = true
		}
		var num, den, val sql.NullFloat64
		err := db.QueryRow(`SELECT numerator, denominator, value FROM mart_metrics WHERE year = 2025 AND level = ? AND unit_code = ? AND metric = ?`,
			level, unit, metric).Scan(&num, &den, &val)
		if err != nil {
			t.Errorf("expected.txt:%d: %s %s %s: %v", n, level, unit, metric, err)
			continue
		}
		for i, got := range []sql.NullFloat64{num, den, val} {
			want := fs[3+i]
			part := []string{"numerator", "denominator", "value"}[i]
			if want == "-" {
				if got.Valid {
					t.Errorf("expected.txt:%d: %s %s %s: %s %v, want null", n, level, unit, metric, part, got.Float64)
				}
				continue
			}
			w, err := strconv.ParseFloat(want, 64)
			if err != nil {
				t.Fatalf("expected.txt:%d: %q: %v", n, want, err)
			}
			if !got.Valid || math.Abs(got.Float64-w) > 1e-9 {
				t.Errorf("expected.txt:%d: %s %s %s: %s %v (valid %v), want %v", n, level, unit, metric, part, got.Float64, got.Valid, w)
			}
		}
	}
	rows, err := db.Query(`SELECT DISTINCT metric FROM mart_metrics WHERE year = 2025 AND level = 'reporting_unit' ORDER BY metric`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var m string
		rows.Scan(&m)
		if !covered[m] {
			t.Errorf("metric %s has no hand-worked line for the reporting unit in expected.txt", m)
		}
	}
	rows.Close()

	var max, reasons string
	if err := db.QueryRow(`SELECT max_rating, reasons FROM mart_org_assessment WHERE year = 2025 AND org_code = '0901001'`).Scan(&max, &reasons); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Tỷ lệ có giấy giới thiệu 80,0%, dưới mức 90%", "Chi bộ sinh hoạt đủ 12 tháng 50,0%, dưới mức 80%",
		"Sinh hoạt chuyên đề theo quý 37,5%, dưới mức 75%", "Đảng viên HTXS bằng 50,0% số đảng viên HTT, vượt mức 20% (HD 21-HD/BTCTW (2019))",
		"1 đảng viên bị kỷ luật trong năm: xem xét khi đánh giá"} {
		if !strings.Contains(reasons, want) {
			t.Errorf("0901001's reasons lack %q:\n%s", want, reasons)
		}
	}
	if max != "htxs" || strings.Contains(reasons, "tối đa") {
		t.Errorf("0901001: max %s, reasons %q; under 366-QĐ/TW neither a member's discipline nor a red metric caps it", max, reasons)
	}
	var who, rating string
	if err := db.QueryRow(`SELECT full_name, rating FROM mart_comment_rating_conflicts WHERE year = 2025`).Scan(&who, &rating); err != nil || who != "Bùi Thị Lan" || rating != "htt" {
		t.Errorf("M6 lists %q rated %q, %v; want Bùi Thị Lan, htt", who, rating, err)
	}
}
