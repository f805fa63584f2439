package reports

import (
	"context"
	"database/sql"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/warehouse"
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

	f, err := orgSheets(ctx, w.DB)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
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

// TestOrgSheetInBatches: the organizations' rows are asked for a few at a
// time (orgSheetBatch), and the sheet is the same as when they come in one
// query: every organization once, in the Vietnamese order of their names
// (codes given in the reverse order, so the codes' order is not it).
func TestOrgSheetInBatches(t *testing.T) {
	ctx := context.Background()
	w := tempWarehouse(t)
	letters := []string{"A", "Ă", "Â", "B", "C", "D", "Đ", "E", "Ê", "G", "H", "I", "K", "L", "M", "N", "O", "Ô", "Ơ", "P",
		"Q", "R", "S", "T", "U", "Ư", "V", "X", "Y"}
	if _, err := w.DB.Exec(`CREATE TABLE mart_metrics AS
		SELECT 2025 AS year, 'org' AS level, printf('O%02d', 40 - i) AS unit_code, 'Tổ chức ' || l AS unit_name, 'RU' AS parent_code,
		       m AS metric, i::DOUBLE AS numerator, 40.0::DOUBLE AS denominator, round(i / 40, 3)::DOUBLE AS value
		FROM (SELECT unnest(s) AS l, generate_subscripts(s, 1) AS i FROM (SELECT `+warehouse.ListParam+` AS s)),
		     (VALUES ('M1'), ('M2'), ('M7')) v(m)
		UNION ALL SELECT 2025, 'reporting_unit', 'RU', 'Đơn vị', 'TINH', 'M1', 1, 2, 0.5`, warehouse.ListArg(letters)); err != nil {
		t.Fatal(err)
	}
	sheet := func(batch int) [][]string {
		old := orgSheetBatch
		orgSheetBatch = batch
		defer func() { orgSheetBatch = old }()
		f, err := orgSheets(ctx, w.DB)
		if err != nil {
			t.Fatalf("batches of %d: %v", batch, err)
		}
		defer f.Close()
		rows, err := f.GetRows("Tổ chức cơ sở đảng")
		if err != nil {
			t.Fatal(err)
		}
		return rows[firstData-1:]
	}
	whole, batched := sheet(len(letters)), sheet(4)
	if len(batched) != len(letters) {
		t.Fatalf("%d rows in batches of 4, want %d", len(batched), len(letters))
	}
	for i, r := range batched {
		if want := "Tổ chức " + letters[i]; r[3] != want || strings.Join(r, "|") != strings.Join(whole[i], "|") {
			t.Errorf("row %d in batches of 4: %q; want %s, as in one query: %q", i+1, r, want, whole[i])
		}
	}
}

// orgSheets is a new workbook with the organizations' sheets of 2025 written
// into it (writeOrgs, the whole province).
func orgSheets(ctx context.Context, db *sql.DB) (*excelize.File, error) {
	f := excelize.NewFile()
	st, err := newStyles(f)
	if err == nil {
		err = writeOrgs(ctx, db, f, st, 2025, "", newViOrder(), "")
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
