package reports

import (
	"context"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestOrgSheetSplitsNeverTruncates lowers the row limit and writes 7
// organizations: they go on three sheets of at most 3 data rows, all of them.
func TestOrgSheetSplitsNeverTruncates(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	if _, err := w.DB.Exec(`CREATE TABLE mart_metrics AS
		SELECT 2025 AS year, 'org' AS level, printf('%03d', i) AS unit_code, 'Tổ chức ' || i AS unit_name, 'RU' AS parent_code,
		       'M1' AS metric, 1.0::DOUBLE AS numerator, 2.0::DOUBLE AS denominator, 0.5::DOUBLE AS value
		FROM range(7) t(i)
		UNION ALL SELECT 2025, 'reporting_unit', 'RU', 'Đơn vị', 'TINH', 'M1', 1, 2, 0.5`); err != nil {
		t.Fatal(err)
	}
	old := maxSheetRows
	maxSheetRows = firstData - 1 + 3
	defer func() { maxSheetRows = old }()

	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeOrgs(ctx, w.DB, f, st, 2025, "", newViOrder(), ""); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, sh := range []string{"Tổ chức cơ sở đảng", "Tổ chức cơ sở đảng (2)", "Tổ chức cơ sở đảng (3)"} {
		rows, err := f.GetRows(sh)
		if err != nil {
			t.Fatalf("%s: %v", sh, err)
		}
		if n := len(rows) - (firstData - 1); n < 1 || n > 3 {
			t.Errorf("%s has %d data rows, want 1 to 3", sh, n)
		}
		for _, r := range rows[firstData-1:] {
			seen[r[2]] = true
		}
	}
	if len(seen) != 7 {
		t.Errorf("the split sheets hold %d organizations, want all 7", len(seen))
	}
}
