package reports

import (
	"context"
	"database/sql"
	"fmt"
	"orgqa/internal/vnfmt"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// table writes a plain table from row r: a header row and data rows, returning
// the next free row. Values from input are written as text cells.
func table(f *excelize.File, sh string, st *styles, r int, header []string, rows [][]any, formats []cellFormat) (int, error) {
	hdr := make([]any, len(header))
	for i, h := range header {
		hdr[i] = h
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	cell, _ := excelize.CoordinatesToCellName(1, r)
	if err := f.SetSheetRow(sh, cell, &hdr); err != nil {
		return r, err
	}
	if err := f.SetCellStyle(sh, cell, fmt.Sprintf("%s%d", last, r), st.header); err != nil {
		return r, err
	}
	if err := f.SetRowHeight(sh, r, 32); err != nil {
		return r, err
	}
	r++
	for _, row := range rows {
		row := row
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sh, cell, &row); err != nil {
			return r, err
		}
		for i := range header {
			cf := fmtText
			if i < len(formats) {
				cf = formats[i]
			}
			c, _ := excelize.CoordinatesToCellName(i+1, r)
			if err := f.SetCellStyle(sh, c, c, st.byFormat[cf]); err != nil {
				return r, err
			}
		}
		r++
	}
	return r, nil
}

// sheetTitle writes a sheet's title in row 1, merged across to lastCol.
func sheetTitle(f *excelize.File, sh string, st *styles, title, lastCol string) error {
	if err := f.SetCellStr(sh, "A1", title); err != nil {
		return err
	}
	if err := f.MergeCell(sh, "A1", lastCol+"1"); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A1", lastCol+"1", st.title); err != nil {
		return err
	}
	return f.SetRowHeight(sh, 1, 24)
}

// attentionLevels name mart_org_assessment.severity for the priority list.
var attentionLevels = map[int]string{
	1: "Tối đa KHT theo quy định",
	2: "Tối đa HT theo quy định",
	3: "Không được xếp HTXS theo quy định",
	4: "Có dấu hiệu cần xem xét (mức đỏ)",
	5: "Cần theo dõi (mức vàng)",
}

// writeAttention is the priority list: the grassroots organizations the rules
// cap, then those with a metric at red (or the quota broken), then those at
// amber or with a note, each with its reporting unit and the reasons in words,
// so a leader reads the top of it and knows where to look.
func writeAttention(ctx context.Context, db *sql.DB, f *excelize.File, st *styles, year int, vi *viOrder, unit string) error {
	names := assessNames(ctx, db)
	rows, err := db.QueryContext(ctx, `SELECT a.reporting_unit, coalesce(fi.unit_name, a.reporting_unit), a.org_code, a.org_name,
			coalesce(a.red_names, ''), coalesce(a.amber_metrics, ''), upper(a.max_rating), coalesce(a.reasons, ''), a.severity
		FROM mart_org_assessment a
		LEFT JOIN (SELECT unit_code, any_value(unit_name) AS unit_name FROM mart_metrics
		           WHERE year = ? AND level = 'reporting_unit' GROUP BY unit_code) fi ON fi.unit_code = a.reporting_unit
		WHERE a.year = ? AND a.severity IS NOT NULL AND (? = '' OR a.reporting_unit = ?)`,
		year, year, unit, unit)
	if err != nil {
		return err
	}
	type line struct {
		unit, unitName, code, name, red, amber, max, reasons string
		severity                                             int
	}
	var lines []line
	count := map[int]int{}
	for rows.Next() {
		var l line
		if err := rows.Scan(&l.unit, &l.unitName, &l.code, &l.name, &l.red, &l.amber, &l.max, &l.reasons, &l.severity); err != nil {
			rows.Close()
			return err
		}
		if l.amber != "" && l.amber != "M12" { // the amber metrics in words, after the reasons
			var words []string
			for _, m := range strings.Split(l.amber, ", ") {
				if m == "M12" { // not inspected this year: the committee's work, not a flag
					continue
				}
				if n := names[m]; n != "" {
					m = n
				}
				words = append(words, m)
			}
			l.reasons = strings.TrimPrefix(l.reasons+"; Mức vàng: "+strings.Join(words, ", "), "; ")
		}
		count[l.severity]++
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	sort.Slice(lines, func(i, j int) bool {
		a, b := lines[i], lines[j]
		if a.severity != b.severity {
			return a.severity < b.severity
		}
		if c := cmpNamed(vi, a.unitName, a.unit, b.unitName, b.unit); c != 0 {
			return c < 0
		}
		return cmpNamed(vi, a.name, a.code, b.name, b.code) < 0
	})
	// streamed: a nation's list runs to tens of thousands of rows
	const sh = "Cần chú ý"
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	end := 5 + len(lines) // the row after the last
	if err := f.SetSheetDimension(sh, fmt.Sprintf("A1:G%d", max(end-1, 4))); err != nil {
		return err
	}
	if err := ratingColours(f, sh, []column{{}, {}, {}, {}, {}, {format: fmtRating}}, 5, end-1); err != nil {
		return err
	}
	if end > 5 {
		if err := f.AutoFilter(sh, fmt.Sprintf("A4:G%d", end-1), nil); err != nil {
			return err
		}
	}
	if err := printSetup(f, sh, "$4:$4"); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sh)
	if err != nil {
		return err
	}
	widths := []float64{5, 17, 20, 30, 20, 9, 62}
	for i, w := range widths {
		if err := sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 4, TopLeftCell: "A5", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	styled := func(style int, vals ...any) []any {
		out := make([]any, len(widths))
		for i := range out {
			var v any
			if i < len(vals) {
				v = vals[i]
			}
			out[i] = excelize.Cell{StyleID: style, Value: v}
		}
		return out
	}
	if err := sw.SetRow("A1", styled(st.title, fmt.Sprintf("TỔ CHỨC CƠ SỞ ĐẢNG CẦN CHÚ Ý NĂM %d", year)), excelize.RowOpts{Height: 24}); err != nil {
		return err
	}
	if err := sw.SetRow("A2", styled(st.subtitle, fmt.Sprintf("%s tổ chức cần chú ý, xếp theo mức độ: %s bị quy định giới hạn mức xếp loại, %s có dấu hiệu cần xem xét (mức đỏ), %s cần theo dõi (mức vàng). Cấp ủy quyết định xếp loại; đây là căn cứ để xem xét.",
		vnfmt.Int(int64(len(lines))), vnfmt.Int(int64(count[1]+count[2]+count[3])), vnfmt.Int(int64(count[4])), vnfmt.Int(int64(count[5])))), excelize.RowOpts{Height: 30}); err != nil {
		return err
	}
	if err := sw.SetRow("A4", styled(st.header, "STT", "Mức độ", "Đơn vị báo cáo", "Tổ chức cơ sở đảng", "Chỉ tiêu mức đỏ", "Xếp loại tối đa", "Lý do"), excelize.RowOpts{Height: 32}); err != nil {
		return err
	}
	// the texts wrap, and each row is as tall as its longest
	styles := []int{st.byFormat[fmtYesNo], st.noteText, st.noteText, st.noteText, st.noteText, st.byFormat[fmtRating], st.noteText}
	row := make([]any, len(widths))
	for i, l := range lines {
		texts := []string{"", attentionLevels[l.severity], l.unitName, l.name + " (" + l.code + ")", l.red, l.max, l.reasons}
		n := 1
		for k, text := range texts {
			if per := int(widths[k] * 1.1); k != 5 && text != "" {
				n = max(n, (utf8.RuneCountInString(text)+per-1)/per)
			}
		}
		for k, text := range texts {
			var v any = text
			if k == 0 {
				v = i + 1
			}
			row[k] = excelize.Cell{StyleID: styles[k], Value: v}
		}
		if err := sw.SetRow(fmt.Sprintf("A%d", 5+i), row, excelize.RowOpts{Height: float64(15*n + 3)}); err != nil {
			return err
		}
	}
	for _, m := range [][2]string{{"A1", "G1"}, {"A2", "G2"}} {
		if err := sw.MergeCell(m[0], m[1]); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// writeDataQuality is what came in: per reporting unit the files and rows
// received and rejected, files that could not be loaded, the units that did not
// report (notReported, as the cover found them), and the data tests' warnings.
func writeDataQuality(ctx context.Context, db *sql.DB, f *excelize.File, st *styles, year int, vi *viOrder, notReported []string) error {
	const sh = "Chất lượng dữ liệu"
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	if err := sheetTitle(f, sh, st, fmt.Sprintf("CHẤT LƯỢNG DỮ LIỆU NĂM %d", year), "G"); err != nil {
		return err
	}
	rows, err := db.QueryContext(ctx, `SELECT m.reporting_unit, coalesce(any_value(fi.declared_unit_name), m.reporting_unit),
			sum(len(m.files)) FILTER (WHERE m.outcome = 'loaded'), sum(m.rows_read) FILTER (WHERE m.outcome = 'loaded'),
			sum(m.rows_accepted) FILTER (WHERE m.outcome = 'loaded'), sum(m.rows_rejected) FILTER (WHERE m.outcome = 'loaded'),
			count(*) FILTER (WHERE m.outcome = 'failed')
		FROM load_manifest m LEFT JOIN file_info fi ON fi.load_id = m.load_id
		WHERE m.report_year = ? AND m.reporting_unit IS NOT NULL AND m.outcome IN ('loaded', 'failed')
		GROUP BY m.reporting_unit`, year)
	if err != nil {
		return err
	}
	type unitLine struct {
		code, name                            string
		files, read, accepted, rejected, fail sql.NullInt64
	}
	var units []unitLine
	for rows.Next() {
		var u unitLine
		if err := rows.Scan(&u.code, &u.name, &u.files, &u.read, &u.accepted, &u.rejected, &u.fail); err != nil {
			rows.Close()
			return err
		}
		units = append(units, u)
	}
	rows.Close()
	sort.Slice(units, func(i, j int) bool {
		return cmpNamed(vi, units[i].name, units[i].code, units[j].name, units[j].code) < 0
	})
	data := make([][]any, len(units))
	for i, u := range units {
		data[i] = []any{u.code, u.name, u.files.Int64, u.read.Int64, u.accepted.Int64, u.rejected.Int64, u.fail.Int64}
	}
	r, err := table(f, sh, st, 3, []string{"Mã đơn vị", "Đơn vị báo cáo", "Số tệp", "Dòng đã đọc", "Dòng nhận", "Dòng bị từ chối", "Tệp không nạp được"},
		data, []cellFormat{fmtText, fmtText, fmtCount, fmtCount, fmtCount, fmtCount, fmtCount})
	if err != nil {
		return err
	}

	// files that could not be loaded, whoever sent them
	rows, err = db.QueryContext(ctx, `SELECT source_path, coalesce(reporting_unit, ''), coalesce(message, '')
		FROM load_manifest WHERE `+notLoaded+` AND (report_year = ? OR report_year IS NULL) ORDER BY source_path`, year)
	if err != nil {
		return err
	}
	var failed [][]any
	for rows.Next() {
		var p, u, m string
		if err := rows.Scan(&p, &u, &m); err != nil {
			rows.Close()
			return err
		}
		failed = append(failed, []any{filepath.Base(p), u, m})
	}
	rows.Close()
	r++
	if len(failed) == 0 {
		failed = [][]any{{"Không có", "", ""}}
	}
	start := r
	if r, err = table(f, sh, st, r, []string{"Tệp không nạp được", "Đơn vị", "Lý do"}, failed, nil); err != nil {
		return err
	}
	widenLast(f, sh, st, start, r)

	// reports whose unit code was read as a known unit, or is a new unit
	rows, err = db.QueryContext(ctx, `SELECT m.reporting_unit, coalesce(fi.declared_unit_name, ''), m.source_path, m.unit_status, m.declared_unit
		FROM load_manifest m LEFT JOIN file_info fi ON fi.load_id = m.load_id
		WHERE m.report_year = ? AND m.outcome = 'loaded' AND m.unit_status IS NOT NULL ORDER BY m.reporting_unit, m.source_path`, year)
	if err != nil {
		return err
	}
	var codes [][]any
	for rows.Next() {
		var u, name, p, status, declared string
		if err := rows.Scan(&u, &name, &p, &status, &declared); err != nil {
			rows.Close()
			return err
		}
		note := fmt.Sprintf("Đơn vị mới: không có trong danh sách đơn vị báo cáo đã biết; tên trong tệp: %s", name)
		if status == "restored" {
			note = fmt.Sprintf("Tệp ghi mã %q, đã đọc là đơn vị %s", declared, u)
		}
		codes = append(codes, []any{u, filepath.Base(p), note})
	}
	rows.Close()
	if len(codes) == 0 {
		codes = [][]any{{"Không có", "", ""}}
	}
	r++
	start = r
	if r, err = table(f, sh, st, r, []string{"Mã đơn vị báo cáo cần xem lại", "Tệp", "Ghi chú"}, codes, nil); err != nil {
		return err
	}
	widenLast(f, sh, st, start, r)

	// units of last year that have not reported
	missing := [][]any{{"Không có", "", ""}}
	if len(notReported) > 0 {
		missing = missing[:0]
		for _, m := range notReported {
			missing = append(missing, []any{m, "", ""})
		}
	}
	r++
	start = r
	if r, err = table(f, sh, st, r, []string{"Đơn vị đã báo cáo năm trước nhưng chưa gửi năm nay", "", ""}, missing, nil); err != nil {
		return err
	}
	widenLast(f, sh, st, start, r)

	// the data tests' warnings
	rows, err = db.QueryContext(ctx, `SELECT coalesce(title, test), failures, coalesce(split_part(sample, chr(10), 1), '')
		FROM data_test_results WHERE year = ? ORDER BY failures DESC, test`, year)
	if err != nil {
		return err
	}
	var warns [][]any
	for rows.Next() {
		var title, sample string
		var n int64
		if err := rows.Scan(&title, &n, &sample); err != nil {
			rows.Close()
			return err
		}
		warns = append(warns, []any{title, n, sample})
	}
	rows.Close()
	if len(warns) == 0 {
		warns = [][]any{{"Không có cảnh báo: mọi kiểm tra dữ liệu đều đạt.", nil, ""}}
	}
	r++
	start = r
	if r, err = table(f, sh, st, r, []string{"Kiểm tra dữ liệu: cảnh báo", "Số trường hợp", "Ví dụ"}, warns, []cellFormat{fmtText, fmtCount, fmtText}); err != nil {
		return err
	}
	widenLast(f, sh, st, start, r)
	for col, w := range map[string]float64{"A": 44, "B": 30, "C": 12, "D": 13, "E": 13, "F": 14, "G": 16} {
		f.SetColWidth(sh, col, col, w)
	}
	f.SetSheetDimension(sh, fmt.Sprintf("A1:G%d", r-1))
	return printSetup(f, sh, "")
}

// writeInputFiles lists, from row r of the methodology sheet, the files the
// year's figures come from, with their sha256.
func writeInputFiles(ctx context.Context, db *sql.DB, f *excelize.File, sh string, st *styles, r, year int) (int, error) {
	rows, err := db.QueryContext(ctx, `SELECT reporting_unit, source_path, sha256, rows_accepted
		FROM load_manifest WHERE report_year = ? AND outcome = 'loaded' ORDER BY reporting_unit, source_path`, year)
	if err != nil {
		return r, err
	}
	defer rows.Close()
	var data [][]any
	for rows.Next() {
		var unit, path, sha string
		var n int64
		if err := rows.Scan(&unit, &path, &sha, &n); err != nil {
			return r, err
		}
		data = append(data, []any{unit, filepath.Base(path) + " (" + vnfmt.Int(n) + " dòng)", sha})
	}
	if err := rows.Err(); err != nil {
		return r, err
	}
	end, err := table(f, sh, st, r, []string{"Đơn vị", "Tệp dữ liệu đầu vào", "SHA-256"}, data, nil)
	// a long file name wraps in its column instead of running under the hash
	for i, d := range data {
		row := r + 1 + i
		f.SetCellStyle(sh, fmt.Sprintf("B%d", row), fmt.Sprintf("B%d", row), st.noteText)
		if n := (utf8.RuneCountInString(d[1].(string)) + 32) / 33; n > 1 {
			f.SetRowHeight(sh, row, float64(15*n+2))
		}
	}
	return end, err
}

// notLoaded selects the manifest's files the data-quality sheet lists as not
// loaded, and Tổng quan counts: failed, not a report, or superseded by a later
// report of the same unit and year. A report the operator withdrew is not
// listed: the outputs are those of a night without it (orgqa files lists it).
const notLoaded = `outcome IN ('failed', 'ignored', 'superseded')`

// widenLast lets the last column of a three-column table of the data-quality
// sheet (a reason, a note, an example) run over columns C to G, wrapped, each
// row as tall as its text: in column C alone a reason was a narrow ribbon in
// print.
func widenLast(f *excelize.File, sh string, st *styles, from, to int) {
	for r := from; r < to; r++ {
		c, g := fmt.Sprintf("C%d", r), fmt.Sprintf("G%d", r)
		text, _ := f.GetCellValue(sh, c)
		f.MergeCell(sh, c, g)
		style := st.noteText
		if r == from {
			style = st.header
		}
		f.SetCellStyle(sh, c, g, style)
		a, _ := f.GetCellValue(sh, fmt.Sprintf("A%d", r))
		lines := max(1, (utf8.RuneCountInString(text)+69)/70, (utf8.RuneCountInString(a)+47)/48)
		if r > from && lines > 1 {
			f.SetRowHeight(sh, r, float64(15*lines+3))
		}
	}
}
