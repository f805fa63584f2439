package main

import (
	"path/filepath"
	"strings"
	"testing"

	"orgqa/internal/gen"
)

// TestMetricProperties checks, on a generated province in miniature, what must
// hold whatever the data: roll-ups are the sums of their parts, shares lie in
// 0–1, and every member counted in the year is counted once.
func TestMetricProperties(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	reps := writeReports(t, in, "csv", gen.Config{Scale: testScale, Year: 2025, Seed: 77})
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	db := openWarehouse(t, wh)
	check := func(name, query string) {
		t.Helper()
		// the comparison must compare something: the query without its HAVING has rows
		if i := strings.LastIndex(query, "HAVING"); i > 0 {
			var compared int
			if err := db.QueryRow("SELECT count(*) FROM (" + query[:i] + ")").Scan(&compared); err != nil || compared == 0 {
				t.Fatalf("%s: the check compares %d rows (%v)", name, compared, err)
			}
		}
		rows, err := db.Query(query)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		n := 0
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			if n < 5 {
				t.Errorf("%s: %v", name, vals)
			}
			n++
		}
		if n > 5 {
			t.Errorf("%s: and %d more", name, n-5)
		}
	}
	// summable metrics: everything but M7 (its cell form differs), medians and M18's grades
	const summable = `(SELECT metric FROM metric_catalog WHERE kind IN ('ratio', 'count', 'per1000', 'quotient') AND metric <> 'M7')`
	check("the province is not the sum of its reporting units", `
		SELECT p.metric, p.numerator, sum(r.numerator), p.denominator, sum(r.denominator)
		FROM mart_metrics p JOIN mart_metrics r ON r.year = p.year AND r.level = 'reporting_unit' AND r.metric = p.metric
		WHERE p.year = 2025 AND p.level = 'province' AND p.metric IN `+summable+`
		GROUP BY p.metric, p.numerator, p.denominator
		HAVING p.numerator <> sum(r.numerator) OR coalesce(p.denominator, 0) <> coalesce(sum(r.denominator), 0)`)
	check("a reporting unit is not the sum of its organizations", `
		SELECT r.unit_code, r.metric, r.numerator, sum(o.numerator), r.denominator, sum(o.denominator)
		FROM mart_metrics r JOIN mart_metrics o ON o.year = r.year AND o.level = 'org' AND o.parent_code = r.unit_code AND o.metric = r.metric
		WHERE r.year = 2025 AND r.level = 'reporting_unit' AND r.metric IN `+summable+`
		GROUP BY ALL
		HAVING r.numerator <> sum(o.numerator) OR coalesce(r.denominator, 0) <> coalesce(sum(o.denominator), 0)`)
	check("an organization is not the sum of its cells", `
		SELECT o.unit_code, o.metric, o.numerator, sum(c.numerator), o.denominator, sum(c.denominator)
		FROM mart_metrics o
		JOIN int_units u ON u.unit_level IN ('chi_bo', 'co_so') AND u.is_cell AND u.org_code = o.unit_code
		JOIN mart_metrics c ON c.year = o.year AND c.level = 'cell' AND c.unit_code = u.unit_code AND c.metric = o.metric
		WHERE o.year = 2025 AND o.level = 'org'
		  AND o.metric IN (SELECT metric FROM metric_catalog WHERE scope = 'all' AND kind IN ('ratio', 'count'))
		GROUP BY ALL
		HAVING o.numerator <> sum(c.numerator) OR coalesce(o.denominator, 0) <> coalesce(sum(c.denominator), 0)`)
	check("a share outside 0–1, or a part larger than its whole", `
		SELECT m.level, m.unit_code, m.metric, m.numerator, m.denominator, m.value FROM mart_metrics m
		JOIN metric_catalog c ON c.metric = m.metric AND c.kind = 'ratio'
		WHERE m.year = 2025 AND (m.value < 0 OR m.value > 1 OR m.numerator > m.denominator OR m.numerator < 0)`)
	check("a negative count, median or rate", `
		SELECT level, unit_code, metric, value FROM mart_metrics WHERE year = 2025 AND value < 0`)
	check("a grade or rating out of its range", `
		SELECT level, unit_code, metric, value FROM mart_metrics WHERE year = 2025 AND metric LIKE 'M18%'
		AND metric NOT IN ('M18_red', 'M18_capped')
		AND NOT (value IS NULL OR value BETWEEN 1 AND (CASE WHEN metric = 'M18_max_rating' THEN 4 ELSE 3 END))`)

	// every member counted in the year is counted once: the province's M14
	// denominator is the number of counted members in the reports
	counted := 0
	for _, r := range reps {
		for _, m := range r.Members {
			if m.Status == "" || m.Status == gen.StatusActive || m.StatusDate != nil && m.StatusDate.After(day(2025, 12, 31)) {
				counted++
			}
		}
	}
	var den float64
	var atOnce, distinct int
	if err := db.QueryRow(`SELECT denominator FROM mart_metrics WHERE year = 2025 AND level = 'province' AND metric = 'M14_per1000'`).Scan(&den); err != nil {
		t.Fatal(err)
	}
	db.QueryRow(`SELECT count(*), count(DISTINCT member_code) FROM int_member_at`).Scan(&atOnce, &distinct)
	if int(den) != counted || atOnce != distinct {
		t.Errorf("province counts %v members (want %d); int_member_at has %d rows for %d members", den, counted, atOnce, distinct)
	}
}
