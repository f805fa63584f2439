package reports

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/ingest"
	"orgqa/internal/vnfmt"
)

// RejectsWorkbook is one reporting unit's list of rejected rows, to send back.
type RejectsWorkbook struct {
	Unit     string
	Path     string
	Problems int
}

// rejectLine is one problem: a cell of a rejected row, or a whole file.
type rejectLine struct {
	file, sheet, column, header, value, reason string
	row                                        sql.NullInt64
}

// RejectsDir is where a year's rejects workbooks go.
func RejectsDir(outDir string, year int) string {
	return filepath.Join(outDir, "excel", "tra-lai", fmt.Sprint(year))
}

// WriteRejects writes, for every reporting unit with rejected rows or files in
// the year, a workbook in Vietnamese listing each problem, sorted by sheet (in
// contract order) and row, under RejectsDir. Workbooks left from an earlier run
// for units that are now clean are removed, so nothing stale is sent back.
func WriteRejects(ctx context.Context, db *sql.DB, year int, outDir string, now time.Time) ([]RejectsWorkbook, error) {
	order := []string{}
	for i, s := range ingest.Contract {
		order = append(order, fmt.Sprintf("WHEN '%s' THEN %d", s.Name, i))
	}
	rows, err := db.QueryContext(ctx, `
		WITH units AS (
			SELECT reporting_unit, any_value(declared_unit_name) AS unit_name FROM file_info WHERE report_year = ? GROUP BY ALL
		), latest AS (
			SELECT reporting_unit, max(finished_at) AS loaded_at FROM load_manifest
			WHERE report_year = ? AND outcome = 'loaded' GROUP BY ALL
		)
		SELECT r.reporting_unit, coalesce(u.unit_name, r.reporting_unit), r.source_file, r.sheet, r.source_row,
		       coalesce(r.column_letter, ''), coalesce(r.column_header, ''), coalesce(r.value, ''), r.reason,
		       CASE r.sheet `+strings.Join(order, " ")+` ELSE 99 END AS sheet_order
		FROM rejects r LEFT JOIN units u USING (reporting_unit)
		WHERE r.report_year = ?
		UNION ALL
		-- a file of the unit that could not be loaded at all, unless a newer report of it loaded
		SELECT m.reporting_unit, coalesce(u.unit_name, m.reporting_unit), m.source_path, '', NULL, '', '', '',
		       coalesce(m.message, 'Không nạp được tệp'), -1
		FROM load_manifest m LEFT JOIN units u USING (reporting_unit) LEFT JOIN latest l USING (reporting_unit)
		WHERE m.report_year = ? AND m.outcome = 'failed' AND m.reporting_unit IS NOT NULL
		  AND (l.loaded_at IS NULL OR m.finished_at > l.loaded_at)
		ORDER BY 1, 10, 5, 6`, year, year, year, year)
	if err != nil {
		return nil, fmt.Errorf("rejects: %w", err)
	}
	type unitLines struct {
		name  string
		lines []rejectLine
	}
	byUnit := map[string]*unitLines{}
	var units []string
	for rows.Next() {
		var unit, name string
		var l rejectLine
		var ord int
		if err := rows.Scan(&unit, &name, &l.file, &l.sheet, &l.row, &l.column, &l.header, &l.value, &l.reason, &ord); err != nil {
			rows.Close()
			return nil, err
		}
		u := byUnit[unit]
		if u == nil {
			u = &unitLines{name: name}
			byUnit[unit] = u
			units = append(units, unit)
		}
		u.lines = append(u.lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	dir := RejectsDir(outDir, year)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []RejectsWorkbook
	written := map[string]bool{}
	for _, unit := range units {
		u := byUnit[unit]
		name := fmt.Sprintf("loi-du-lieu-%s-%d.xlsx", safeFileName(unit), year)
		path := filepath.Join(dir, name)
		if err := writeRejectsBook(path, unit, u.name, year, u.lines, now); err != nil {
			return out, fmt.Errorf("rejects %s: %w", unit, err)
		}
		written[name] = true
		out = append(out, RejectsWorkbook{Unit: unit, Path: path, Problems: len(u.lines)})
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "loi-du-lieu-*.xlsx"))
	for _, p := range stale {
		if !written[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// safeFileName keeps a unit code usable as part of a file name: codes come from
// the units' own files, so anything but letters, digits, - and _ is replaced.
func safeFileName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
		if b.Len() >= 40 {
			break
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}

func writeRejectsBook(path, unit, unitName string, year int, lines []rejectLine, now time.Time) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	const sh = "Lỗi dữ liệu"
	if err := f.SetSheetName("Sheet1", sh); err != nil {
		return err
	}
	cols := []struct {
		header string
		width  float64
	}{{"STT", 6}, {"Tệp", 30}, {"Sheet", 12}, {"Dòng", 7}, {"Cột", 6}, {"Tiêu đề cột", 22}, {"Giá trị", 26}, {"Lý do", 60}}
	files := map[string]bool{}
	for _, l := range lines {
		files[filepath.Base(l.file)] = true
	}
	title := fmt.Sprintf("DANH SÁCH DỮ LIỆU BỊ TỪ CHỐI NĂM %d", year)
	sub := fmt.Sprintf("%s (mã %s): %s lỗi trong %s tệp. Đề nghị đơn vị sửa các ô dưới đây và gửi lại báo cáo. Lập ngày %s.",
		unitName, unit, vnfmt.Int(int64(len(lines))), vnfmt.Int(int64(len(files))), vnfmt.Date(now))
	if err := sheetTitle(f, sh, st, title, "H"); err != nil {
		return err
	}
	if err := f.SetCellStr(sh, "A2", sub); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A2", "H2"); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A2", "H2", st.subtitle); err != nil {
		return err
	}
	for i, c := range cols {
		cell, _ := excelize.CoordinatesToCellName(i+1, 4)
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetCellStr(sh, cell, c.header); err != nil {
			return err
		}
		if err := f.SetColWidth(sh, col, col, c.width); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sh, "A4", "H4", st.header); err != nil {
		return err
	}
	for i, l := range lines {
		r := 5 + i
		var row any
		if l.row.Valid {
			row = l.row.Int64
		}
		sheet := l.sheet
		if sheet == "" {
			sheet = "(cả tệp)"
		}
		// values from input are written as text cells, never as formulas
		vals := []any{i + 1, filepath.Base(l.file), sheet, row, l.column, l.header, l.value, l.reason}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sh, cell, &vals); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, fmt.Sprintf("H%d", r), st.text); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell, fmt.Sprintf("A%d", r), st.center); err != nil {
			return err
		}
	}
	last := 4 + len(lines)
	if err := f.SetSheetDimension(sh, fmt.Sprintf("A1:H%d", last)); err != nil {
		return err
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 4, TopLeftCell: "A5", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := f.AutoFilter(sh, fmt.Sprintf("A4:H%d", last), nil); err != nil {
		return err
	}
	if err := printSetup(f, sh, "$4:$4"); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: title, Creator: "Ban Tổ chức Tỉnh ủy", Created: now.UTC().Format(time.RFC3339)}); err != nil {
		return err
	}
	return saveAtomic(f, path)
}
