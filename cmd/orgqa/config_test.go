package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/internal/gen"
	"orgqa/transform"
)

// TestConfigChangesFlagsWithoutRebuild transforms the same warehouse with the
// embedded rules and then with a config file that lowers M1's thresholds: the
// M1 grades change, nothing else is rebuilt, and both runs record their config.
func TestConfigChangesFlagsWithoutRebuild(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: testScale, Year: 2025, Seed: 42})
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	notGreen := func() (int, int) {
		db := openWarehouse(t, wh)
		defer db.Close()
		var n, total int
		if err := db.QueryRow(`SELECT count(*) FILTER (WHERE value <> 1), count(*) FROM mart_metrics
			WHERE year = 2025 AND level = 'org' AND metric = 'M18_M1'`).Scan(&n, &total); err != nil {
			t.Fatal(err)
		}
		return n, total
	}
	if code, _, stderr := runCLI(t, "transform", "--warehouse", wh); code != exitOK {
		t.Fatalf("transform: exit %d\n%s", code, stderr)
	}
	before, total := notGreen()
	if before == 0 || total == 0 {
		t.Fatalf("with the default rules %d of %d organizations are not green on M1; the test needs some", before, total)
	}

	rules, err := transform.DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(filepath.Join("..", "..", "transform", "rules.json"))
	lowered := strings.ReplaceAll(string(raw), `"M1":   {"better": "higher", "green": 0.95, "amber": 0.9,`, `"M1":   {"better": "higher", "green": 0.0, "amber": 0.0,`)
	if lowered == string(raw) {
		t.Fatal("rules.json has no M1 threshold to change")
	}
	cfg := filepath.Join(dir, "rules.json")
	os.WriteFile(cfg, []byte(lowered), 0o644)
	if code, _, stderr := runCLI(t, "transform", "--warehouse", wh, "--config", cfg); code != exitOK {
		t.Fatalf("transform --config: exit %d\n%s", code, stderr)
	}
	if after, _ := notGreen(); after != 0 {
		t.Errorf("after lowering M1's thresholds %d organizations are still not green on M1", after)
	}

	db := openWarehouse(t, wh)
	rows, err := db.Query(`SELECT rule_set, config_sha256 FROM transform_runs WHERE year = 2025 ORDER BY run_at`)
	if err != nil {
		t.Fatal(err)
	}
	var runs []string
	for rows.Next() {
		var set, sha string
		rows.Scan(&set, &sha)
		runs = append(runs, set+" "+sha)
	}
	rows.Close()
	if len(runs) != 2 || runs[0] != "366-QĐ/TW "+rules.SHA256() || runs[0] == runs[1] || !strings.HasPrefix(runs[1], "366-QĐ/TW ") {
		t.Errorf("recorded runs %q: want the embedded config, then the file's", runs)
	}

	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(strings.Replace(string(raw), `"to_year": 2022`, `"to_year": 2024`, 1)), 0o644)
	if code, _, stderr := runCLI(t, "transform", "--warehouse", wh, "--config", bad); code != exitFailed || !strings.Contains(stderr, "overlaps") {
		t.Errorf("an overlapping config: exit %d, want %d with the reason\n%s", code, exitFailed, stderr)
	}
}
