package reports

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"orgqa/ingest"
	"orgqa/internal/vnfmt"
)

// RejectsWorkbook is one reporting unit's list of rejected rows, to send back.
type RejectsWorkbook struct {
	Unit     string
	Path     string
	Problems int
	// Marked is the unit's own workbook with its problems marked (marked.go),
	// "" when its report cannot be marked, NotMarked saying why
	Marked, NotMarked string
	// Unmarkable: the report is of a kind never marked (a CSV set, an .xls
	// or .ods file, a report in parts), so there is nothing to warn of
	Unmarkable bool
}

// RejectsDir is where a year's rejects workbooks go.
func RejectsDir(outDir string, year int) string {
	return filepath.Join(outDir, "excel", "tra-lai", fmt.Sprint(year))
}

// rejectLinesSQL is every problem of the year ($1), one row each: a cell of a
// rejected row, a file that could not be loaded (unless a newer report of its
// unit loaded), a note the unit must act on. Columns: unit, file, sheet, row,
// column, header, value, reason, and the sheet's place in the contract.
func rejectLinesSQL() string {
	order := []string{}
	for i, s := range ingest.Contract {
		order = append(order, fmt.Sprintf("WHEN '%s' THEN %d", s.Name, i))
	}
	return `
		WITH latest AS (
			SELECT reporting_unit, max(finished_at) AS loaded_at FROM load_manifest
			WHERE report_year = $1 AND outcome = 'loaded' GROUP BY ALL
		)
		SELECT r.reporting_unit AS unit, r.source_file AS file, r.sheet, r.source_row AS row,
		       coalesce(r.column_letter, '') AS col, coalesce(r.column_header, '') AS header,
		       coalesce(r.value, '') AS value,
		       r.reason, CASE r.sheet ` + strings.Join(order, " ") + ` ELSE 99 END AS sheet_order
		FROM rejects r WHERE r.report_year = $1
		UNION ALL
		SELECT m.reporting_unit, m.source_path, '', NULL, '', '', '', coalesce(m.message, 'Không nạp được tệp'), -2
		FROM load_manifest m LEFT JOIN latest l USING (reporting_unit)
		WHERE m.report_year = $1 AND m.outcome = 'failed' AND m.reporting_unit IS NOT NULL
		  AND (l.loaded_at IS NULL OR m.finished_at > l.loaded_at)
		UNION ALL
		-- a note for another unit (whose organization this report also listed) names this file in its text
		SELECT coalesce(n.for_unit, m.reporting_unit), CASE WHEN n.for_unit IS NULL THEN m.source_path ELSE '' END,
		       '', NULL, '', '', '', n.note, -1
		FROM load_notes n JOIN load_manifest m USING (load_id)
		WHERE m.report_year = $1 AND m.outcome = 'loaded'
		UNION ALL
		-- a file refused whole that also held this unit's report (ThongTin naming several units)
		SELECT n.for_unit, m.source_path, '', NULL, '', '', '', n.note, -2
		FROM load_notes n JOIN load_manifest m USING (load_id) LEFT JOIN latest l ON l.reporting_unit = n.for_unit
		WHERE m.report_year = $1 AND m.outcome = 'failed' AND n.for_unit IS NOT NULL
		  AND (l.loaded_at IS NULL OR m.finished_at > l.loaded_at)`
}

// WriteRejects writes, for every reporting unit with rejected rows or files in
// the year (or a note it must act on), a workbook in Vietnamese listing each
// problem, sorted by sheet (in contract order) and row, under RejectsDir. Each
// unit's lines stream from DuckDB into excelize's StreamWriter, continuing on
// a new sheet past Excel's row limit, so memory does not grow with problems.
// Workbooks left from an earlier run for units that are now clean are removed,
// so nothing stale is sent back.
func WriteRejects(ctx context.Context, db *sql.DB, year int, outDir string, now time.Time) ([]RejectsWorkbook, error) {
	lines := rejectLinesSQL()
	rows, err := db.QueryContext(ctx, `
		WITH lines AS (`+lines+`),
		names AS (SELECT reporting_unit AS unit, min(declared_unit_name) AS unit_name FROM file_info WHERE report_year = $1 GROUP BY ALL)
		SELECT unit, coalesce(any_value(n.unit_name), unit), count(*), count(DISTINCT nullif(file, ''))
		FROM lines LEFT JOIN names n USING (unit) GROUP BY unit ORDER BY unit`, year)
	if err != nil {
		return nil, fmt.Errorf("rejects: %w", err)
	}
	var units []rejectsUnit
	for rows.Next() {
		var u rejectsUnit
		if err := rows.Scan(&u.code, &u.name, &u.lines, &u.files); err != nil {
			rows.Close()
			return nil, err
		}
		units = append(units, u)
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
	for _, u := range units {
		name := fmt.Sprintf("loi-du-lieu-%s-%d.xlsx", UnitFileKey(u.code), year)
		path := filepath.Join(dir, name)
		lr, err := db.QueryContext(ctx, `SELECT file, sheet, row, col, header, value, reason FROM (`+lines+`)
			WHERE unit = $2 ORDER BY sheet_order, row NULLS FIRST, col, reason, value, file`, year, u.code)
		if err != nil {
			return out, fmt.Errorf("rejects %s: %w", u.code, err)
		}
		err = writeRejectsBook(path, u, year, lr, now)
		lr.Close()
		if err != nil {
			return out, fmt.Errorf("rejects %s: %w", u.code, err)
		}
		written[name] = true
		marked, not, err := writeMarked(ctx, db, u.code, year, dir)
		if err != nil {
			return out, fmt.Errorf("marked copy %s: %w", u.code, err)
		}
		if marked != "" {
			written[filepath.Base(marked)] = true
		}
		out = append(out, RejectsWorkbook{Unit: u.code, Path: path, Problems: int(u.lines), Marked: marked, NotMarked: not.why, Unmarkable: not.unmarkable})
	}
	stale, _ := filepath.Glob(filepath.Join(dir, "loi-du-lieu-*.xlsx"))
	markedStale, _ := filepath.Glob(filepath.Join(dir, "danh-dau-*.xlsx"))
	stale = append(stale, markedStale...)
	for _, p := range stale {
		if !written[filepath.Base(p)] {
			if err := os.Remove(p); err != nil {
				return out, err
			}
		}
	}
	return out, nil
}

// rejectsUnit is one unit's return workbook: its problems and files.
type rejectsUnit struct {
	code, name   string
	lines, files int64
}

// rejectsSheet is the sheet name of the k-th sheet (from 1) of a rejects workbook.
func rejectsSheet(k int) string {
	if k == 1 {
		return "Lỗi dữ liệu"
	}
	return fmt.Sprintf("Lỗi dữ liệu (%d)", k)
}

const rejectsHeaderRow = 4

func writeRejectsBook(path string, u rejectsUnit, year int, lines *sql.Rows, now time.Time) error {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	cols := []struct {
		header string
		width  float64
	}{{"STT", 6}, {"Tệp", 30}, {"Sheet", 12}, {"Dòng", 7}, {"Cột", 6}, {"Tiêu đề cột", 22}, {"Giá trị", 26}, {"Lý do", 60}}
	title := fmt.Sprintf("DANH SÁCH DỮ LIỆU BỊ TỪ CHỐI NĂM %d", year)
	sub := fmt.Sprintf("%s (mã %s): %s lỗi trong %s tệp. Đề nghị đơn vị sửa các ô dưới đây và gửi lại báo cáo. Lập ngày %s.",
		u.name, u.code, vnfmt.Int(u.lines), vnfmt.Int(u.files), vnfmt.Date(now))
	perSheet := int64(maxSheetRows - rejectsHeaderRow)
	sheets := int((u.lines + perSheet - 1) / perSheet)
	n := int64(0) // lines written
	for k := 1; k <= max(sheets, 1); k++ {
		sh := rejectsSheet(k)
		if k == 1 {
			if err := f.SetSheetName("Sheet1", sh); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sh); err != nil {
			return err
		}
		count := min(perSheet, u.lines-n)
		last := rejectsHeaderRow + int(count)
		// set before the StreamWriter, which would drop them after
		if err := f.SetSheetDimension(sh, fmt.Sprintf("A1:H%d", last)); err != nil {
			return err
		}
		if count > 0 {
			if err := f.AutoFilter(sh, fmt.Sprintf("A%d:H%d", rejectsHeaderRow, last), nil); err != nil {
				return err
			}
		}
		if err := printSetup(f, sh, fmt.Sprintf("$%d:$%d", rejectsHeaderRow, rejectsHeaderRow)); err != nil {
			return err
		}
		sw, err := f.NewStreamWriter(sh)
		if err != nil {
			return err
		}
		for i, c := range cols {
			if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
				return err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: rejectsHeaderRow, TopLeftCell: fmt.Sprintf("A%d", rejectsHeaderRow+1), ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		styled := func(style int, first any) []any {
			out := make([]any, len(cols))
			for i := range out {
				out[i] = excelize.Cell{StyleID: style}
			}
			out[0] = excelize.Cell{StyleID: style, Value: first}
			return out
		}
		t := title
		if sheets > 1 {
			t = fmt.Sprintf("%s (phần %d/%d)", title, k, sheets)
		}
		if err := sw.SetRow("A1", styled(st.title, t), excelize.RowOpts{Height: 24}); err != nil {
			return err
		}
		if err := sw.SetRow("A2", styled(st.subtitle, sub)); err != nil {
			return err
		}
		header := make([]any, len(cols))
		for i, c := range cols {
			header[i] = excelize.Cell{StyleID: st.header, Value: c.header}
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", rejectsHeaderRow), header); err != nil {
			return err
		}
		vals := make([]any, len(cols))
		for r := int64(0); r < count; r++ {
			if !lines.Next() {
				if err := lines.Err(); err != nil {
					return err
				}
				return fmt.Errorf("%d problems counted, %d listed", u.lines, n)
			}
			var file, sheet, col, header, value, reason string
			var row sql.NullInt64
			if err := lines.Scan(&file, &sheet, &row, &col, &header, &value, &reason); err != nil {
				return err
			}
			n++
			var rowNum any
			if row.Valid {
				rowNum = row.Int64
			}
			if sheet == "" {
				sheet = "(cả tệp)"
			}
			// values from input are text cells, never formulas
			if file != "" {
				file = filepath.Base(file)
			}
			for i, v := range []any{n, file, sheet, rowNum, col, header, value, reason} {
				style := st.noteText // wrapped, top-aligned: reasons are sentences
				if i == 0 {
					style = st.center
				}
				vals[i] = excelize.Cell{StyleID: style, Value: v}
			}
			// as tall as the longest wrapped cell: LibreOffice does not grow the
			// rows of a workbook it opens, and Excel does not either for a
			// stream-written sheet
			lines := 1.0
			for _, c := range []struct {
				text  string
				width float64
			}{{value, cols[6].width}, {reason, cols[7].width}, {header, cols[5].width}, {file, cols[1].width}} {
				lines = max(lines, math.Ceil(float64(utf8.RuneCountInString(c.text))/(c.width*1.1)))
			}
			if err := sw.SetRow(fmt.Sprintf("A%d", rejectsHeaderRow+1+int(r)), vals, excelize.RowOpts{Height: min(15*lines+2, 409)}); err != nil {
				return err
			}
		}
		if err := sw.MergeCell("A1", "H1"); err != nil {
			return err
		}
		if err := sw.MergeCell("A2", "H2"); err != nil {
			return err
		}
		if err := sw.Flush(); err != nil {
			return err
		}
	}
	if lines.Next() {
		return fmt.Errorf("more problems listed than the %d counted", u.lines)
	}
	if err := lines.Err(); err != nil {
		return err
	}
	if err := f.SetDocProps(&excelize.DocProperties{Title: title, Creator: "Ban Tổ chức Tỉnh ủy", Created: now.UTC().Format(time.RFC3339)}); err != nil {
		return err
	}
	return saveAtomic(f, path)
}
