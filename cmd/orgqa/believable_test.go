package main

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
)

// TestDemoProvinceIsBelievable: on the demo province (orgqa gen, as make demo
// runs it) the first page a leader reads looks like a real province — between
// 2% and 25% of organizations with a metric at red, at most 25% capped below
// HTXS — every flag the assessment can raise appears, and every cap names the
// rule that imposes it.
func TestDemoProvinceIsBelievable(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["demo"], Year: 2025, Seed: 1})
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", filepath.Join(dir, "out"), "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	db := openWarehouse(t, wh)
	var orgs, red, capped int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE red_metrics IS NOT NULL), count(*) FILTER (WHERE max_rating <> 'htxs')
		FROM mart_org_assessment WHERE year = 2025`).Scan(&orgs, &red, &capped); err != nil {
		t.Fatal(err)
	}
	if orgs < 50 || red*50 < orgs || red*4 > orgs || capped*4 > orgs {
		t.Errorf("%d organizations, %d with a metric at red, %d capped: want 2–25%% red and at most 25%% capped", orgs, red, capped)
	}
	text := strings.Join(rowsText(t, db, "", `SELECT coalesce(reasons, '') FROM mart_org_assessment WHERE year = 2025`), "\n")
	for _, flag := range []string{
		"Tổ chức bị kỷ luật trong năm: tối đa KHT (QĐ 124-QĐ/TW)",
		"chi bộ trực thuộc bị kỷ luật trong năm: tối đa HTT (QĐ 366-QĐ/TW, Điều 11)",
		"cao hơn mức quy định cho phép",
		"vượt mức 20% (HD 21-HD/BTCTW",
		"Chi bộ sinh hoạt đủ 12 tháng",
		"dưới mức",
		"đảng viên bị kỷ luật trong năm: xem xét khi đánh giá",
	} {
		if !strings.Contains(text, flag) {
			t.Errorf("no organization of the demo shows %q", flag)
		}
	}
	// every cap: "…: tối đa X (rule)"
	capped2 := rowsText(t, db, "", `SELECT coalesce(caps, '') FROM mart_org_assessment WHERE year = 2025 AND max_rating <> 'htxs'`)
	named := regexp.MustCompile(`: tối đa (KHT|HT|HTT) \([^)]+\)$`)
	for _, caps := range capped2 {
		if caps == "" {
			t.Errorf("a capped organization without the cap's reason")
		}
		for _, c := range strings.Split(caps, "; ") {
			if !named.MatchString(c) {
				t.Errorf("cap %q does not name its rule", c)
			}
		}
	}
	if codes := rowsText(t, db, "", `SELECT reasons FROM mart_org_assessment WHERE regexp_matches(reasons, '\bM[0-9]+\b')`); len(codes) > 0 {
		t.Errorf("reasons name metrics by code: %v", codes[0])
	}

	// readable in print: a sheet printed one page wide holds at most about 200
	// characters of columns (≥ 8 pt on A4 landscape); a wider one prints over
	// several pages wide
	f, err := excelize.OpenFile(workbookPath(filepath.Join(dir, "out"), 2025))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		dim, _ := f.GetSheetDimension(sh)
		_, last, _ := strings.Cut(dim, ":")
		lastCol, _, err := excelize.SplitCellName(last)
		if err != nil {
			continue
		}
		n, _ := excelize.ColumnNameToNumber(lastCol)
		width := 0.0
		for c := 1; c <= n; c++ {
			name, _ := excelize.ColumnNumberToName(c)
			w, _ := f.GetColWidth(sh, name)
			width += w
		}
		layout, _ := f.GetPageLayout(sh)
		pages := 1
		if layout.FitToWidth != nil {
			pages = *layout.FitToWidth
		}
		if width/float64(pages) > 200 {
			t.Errorf("sheet %s: %.0f characters of columns printed %d page(s) wide", sh, width, pages)
		}
	}
}
