package main

import (
	"math"
	"path/filepath"
	"testing"

	"orgqa/internal/gen"
)

// TestTrendAcrossTheReform loads 2024 (district committees) and 2025 (commune
// committees whose DonVi rows carry their district's code), transforms both, and
// checks that mart_trend lines the years up: the province directly, and district
// 0100 against the sum of its three communes.
func TestTrendAcrossTheReform(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, filepath.Join(in, "2024"), "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2024, Seed: 5})
	communes := writeReports(t, filepath.Join(in, "2025"), "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 6})
	for _, r := range communes {
		if r.Units[0].OldCode != "0100" {
			t.Fatalf("commune %s has old code %q, want the district 0100", r.UnitCode, r.Units[0].OldCode)
		}
	}
	for _, year := range []string{"2024", "2025"} {
		if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh, "--year", year); code != exitOK {
			t.Fatalf("run %s: exit %d\n%s", year, code, stderr)
		}
	}
	db := openWarehouse(t, wh)
	type row struct{ prev, cur, change float64 }
	get := func(level, unit, metric string) (row, string) {
		var r row
		var units string
		if err := db.QueryRow(`SELECT previous_value, current_value, change, current_units FROM mart_trend
			WHERE year = 2025 AND level = ? AND unit_code = ? AND metric = ?`, level, unit, metric).Scan(&r.prev, &r.cur, &r.change, &units); err != nil {
			t.Fatalf("%s %s %s: %v", level, unit, metric, err)
		}
		return r, units
	}
	value := func(year int, level, unit, metric string) float64 {
		var v float64
		if err := db.QueryRow(`SELECT value FROM mart_metrics WHERE year = ? AND level = ? AND unit_code = ? AND metric = ?`,
			year, level, unit, metric).Scan(&v); err != nil {
			t.Fatalf("%d %s %s %s: %v", year, level, unit, metric, err)
		}
		return v
	}
	for _, metric := range []string{"M1", "M9", "M13_kiem_tra"} {
		p, _ := get("province", "TINH", metric)
		if p.prev != value(2024, "province", "TINH", metric) || p.cur != value(2025, "province", "TINH", metric) ||
			math.Abs(p.change-(p.cur-p.prev)) > 1e-9 {
			t.Errorf("province %s: trend %+v, marts %v -> %v", metric, p, value(2024, "province", "TINH", metric), value(2025, "province", "TINH", metric))
		}
	}
	d, units := get("reporting_unit", "0100", "M1")
	var num, den float64
	db.QueryRow(`SELECT sum(numerator), sum(denominator) FROM mart_metrics WHERE year = 2025 AND level = 'reporting_unit' AND metric = 'M1'`).Scan(&num, &den)
	if units != "0100, 0101, 0102" || d.prev != value(2024, "reporting_unit", "0100", "M1") || d.cur != math.Round(1000*num/den)/1000 {
		t.Errorf("district 0100 M1: trend %+v over %q; want 2024's %v beside the communes' %v/%v",
			d, units, value(2024, "reporting_unit", "0100", "M1"), num, den)
	}
}
