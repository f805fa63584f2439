package reports

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/vnfmt"
)

// UnitWorkbooksDir is where a year's per-unit workbooks go.
func UnitWorkbooksDir(outDir string, year int) string {
	return filepath.Join(outDir, "excel", "don-vi", fmt.Sprint(year))
}

// WriteUnitWorkbooks writes, for every reporting unit of the year, a workbook to
// send down: its headline figures, its grassroots organizations, those needing
// attention, and the methodology.
func WriteUnitWorkbooks(ctx context.Context, db *sql.DB, year int, outDir string, now time.Time) ([]string, error) {
	units, err := queryRows(ctx, db, year, "reporting_unit", []column{{metric: "M1", part: "value"}}, "")
	if err != nil {
		return nil, err
	}
	applied, err := appliedRules(ctx, db, year)
	if err != nil {
		return nil, err
	}
	vi := newViOrder()
	var paths []string
	for _, u := range units {
		path := filepath.Join(UnitWorkbooksDir(outDir, year), fmt.Sprintf("tccs-%s-%d.xlsx", UnitFileKey(u.code), year))
		if err := writeUnitWorkbook(ctx, db, year, u, path, now, applied, vi); err != nil {
			return paths, fmt.Errorf("workbook of unit %s: %w", u.code, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writeUnitWorkbook(ctx context.Context, db *sql.DB, year int, u unitRow, path string, now time.Time, applied *rulesApplied, vi *viOrder) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	st.thresholds = applied.set.Thresholds
	hl, err := loadHeadline(ctx, db, year, "reporting_unit", u.code)
	if err != nil {
		return err
	}
	const cover = "Tổng quan"
	if err := f.SetSheetName("Sheet1", cover); err != nil {
		return err
	}
	title := fmt.Sprintf("CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG NĂM %d", year)
	if err := sheetTitle(f, cover, st, title, "B"); err != nil {
		return err
	}
	f.SetCellStr(cover, "A2", fmt.Sprintf("%s (mã %s). Số liệu lập ngày %s.", u.name, u.code, vnfmt.Date(now)))
	f.MergeCell(cover, "A2", "B2")
	f.SetCellStyle(cover, "A2", "B2", st.subtitle)
	rows := make([][]any, len(hl))
	formats := []cellFormat{fmtText, fmtText}
	for i, h := range hl {
		rows[i] = []any{h.label, nil}
		if h.value.Valid {
			rows[i][1] = h.value.Float64
		}
	}
	end, err := table(f, cover, st, 4, []string{"Chỉ tiêu chính của đơn vị", "Giá trị"}, rows, formats)
	if err != nil {
		return err
	}
	for i, h := range hl {
		c := fmt.Sprintf("B%d", 5+i)
		f.SetCellStyle(cover, c, c, st.byFormat[h.kind])
	}
	f.SetColWidth(cover, "A", "A", 62)
	f.SetColWidth(cover, "B", "B", 16)
	f.SetSheetDimension(cover, fmt.Sprintf("A1:B%d", end-1))
	if err := printSetup(f, cover, ""); err != nil {
		return err
	}
	subtitle := fmt.Sprintf("%s: các tổ chức cơ sở đảng trực thuộc. Số liệu lập ngày %s.", u.name, vnfmt.Date(now))
	if err := writeOrgs(ctx, db, f, st, year, subtitle, vi, u.code); err != nil {
		return err
	}
	if err := writeAttention(ctx, db, f, st, year, vi, u.code); err != nil {
		return err
	}
	if err := writeNotes(ctx, db, f, "Phương pháp", st, year, applied); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: title + " — " + u.name, Creator: "Ban Tổ chức Tỉnh ủy", Created: now.UTC().Format(time.RFC3339)}); err != nil {
		return err
	}
	return saveAtomic(f, path)
}
