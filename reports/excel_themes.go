package reports

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/vnfmt"
	"orgqa/transform"
)

// theme is a sheet of the province workbook: one row per reporting unit and the
// province, the columns of one part of the work, and a native chart.
type theme struct {
	sheet, title string
	keys         []string
	chart        chartSpec
}

type chartSpec struct {
	title   string
	series  []string // column keys plotted, one bar series each
	stacked bool     // 100% stacked (a mix)
}

var themes = []theme{
	{sheet: "Quy định 213", title: "THỰC HIỆN QUY ĐỊNH 213-QĐ/TW NĂM %d",
		keys:  []string{"M1.den", "M1.num", "M1", "M2", "M3", "M4", "M4_on_time", "M5", "M6"},
		chart: chartSpec{title: "Tỷ lệ có giấy giới thiệu và phiếu nhận xét về đúng hạn", series: []string{"M1", "M3"}}},
	{sheet: "Sinh hoạt chi bộ", title: "SINH HOẠT CHI BỘ NĂM %d",
		keys:  []string{"M7.den", "M7", "M8", "M9", "M9_above85", "M10", "M11_tot", "M11_kem"},
		chart: chartSpec{title: "Chi bộ sinh hoạt đủ 12 tháng và tỷ lệ đảng viên dự sinh hoạt", series: []string{"M7", "M9"}}},
	{sheet: "Kiểm tra, kỷ luật", title: "KIỂM TRA, GIÁM SÁT VÀ KỶ LUẬT NĂM %d",
		keys:  []string{"M12.den", "M12", "M13_kiem_tra", "M13_giam_sat", "M13_vi_pham", "M14.num", "M14_per1000"},
		chart: chartSpec{title: "Tổ chức cơ sở đảng được kiểm tra, giám sát", series: []string{"M12"}}},
	{sheet: "Xếp loại", title: "XẾP LOẠI CHẤT LƯỢNG NĂM %d",
		keys:  []string{"M15_dang_vien_htxs", "M15_dang_vien_htt", "M15_dang_vien_ht", "M15_dang_vien_kht", "M15_to_chuc_htxs", "M15_to_chuc_kht", "M16", "M16_breach", "M17", "M18_red"},
		chart: chartSpec{title: "Cơ cấu xếp loại đảng viên", series: []string{"M15_dang_vien_htxs", "M15_dang_vien_htt", "M15_dang_vien_ht", "M15_dang_vien_kht"}, stacked: true}},
}

// themeColumns are a theme's columns behind STT, Mã đơn vị and Đơn vị báo cáo.
func themeColumns(t theme) ([]column, error) {
	cols, err := columnsByKey(t.keys...)
	if err != nil {
		return nil, err
	}
	return append([]column{{header: "STT", width: 5}, {header: "Mã đơn vị", width: 9}, {header: "Đơn vị báo cáo", width: 30}}, cols...), nil
}

// writeTheme writes one theme sheet: reporting units in Vietnamese order, the
// province, colour scales on the shares, and a chart below the table.
func writeTheme(ctx context.Context, db *sql.DB, f *excelize.File, st *styles, year int, t theme, subtitle string, vi *viOrder) error {
	cols, err := themeColumns(t)
	if err != nil {
		return err
	}
	units, err := queryRows(ctx, db, year, "reporting_unit", cols, "")
	if err != nil {
		return err
	}
	province, err := queryRows(ctx, db, year, "province", cols, "")
	if err != nil {
		return err
	}
	sort.Slice(units, func(i, j int) bool {
		return cmpNamed(vi, units[i].name, units[i].code, units[j].name, units[j].code) < 0
	})
	if _, err := f.NewSheet(t.sheet); err != nil {
		return err
	}
	w := &sheetWriter{f: f, sheet: t.sheet, st: st, cols: cols}
	rows := make([][]any, 0, len(units))
	for i, u := range units {
		rows = append(rows, w.values([]any{i + 1, u.code, u.name}, u.vals))
	}
	var total []any
	if len(province) > 0 {
		total = w.values([]any{nil, nil, "Toàn tỉnh"}, province[0].vals)
	}
	w.beforeRows = func() error { return addChart(f, t.sheet, cols, t.chart, len(rows)) }
	return w.write(fmt.Sprintf(t.title, year), subtitle, rows, total)
}

// addChart puts a horizontal bar chart under a table: one bar per reporting
// unit, one series per plotted column.
func addChart(f *excelize.File, sh string, cols []column, spec chartSpec, n int) error {
	if n == 0 || len(spec.series) == 0 {
		return nil
	}
	last := firstData + n - 1
	catCol, _ := excelize.ColumnNumberToName(3) // Đơn vị báo cáo
	chart := &excelize.Chart{
		Type:   excelize.Bar,
		Title:  excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: spec.title, Font: &excelize.Font{Family: "Times New Roman", Size: 12, Bold: true}}}},
		Legend: excelize.ChartLegend{Position: "bottom"},
		// at most one A4 landscape page tall
		Dimension: excelize.ChartDimension{Width: 900, Height: uint(min(620, 160+22*n*max(1, len(spec.series)*2/3)))},
		XAxis:     excelize.ChartAxis{ReverseOrder: true, Font: excelize.Font{Family: "Times New Roman", Size: 9, Color: "000000"}},
		YAxis:     excelize.ChartAxis{MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}, Font: excelize.Font{Family: "Times New Roman", Size: 9, Color: "000000"}},
		PlotArea:  excelize.ChartPlotArea{ShowVal: false},
	}
	if spec.stacked {
		chart.Type = excelize.BarPercentStacked
	} else {
		// shares from 0 to 100%: an axis that starts at 70% exaggerates the gaps
		zero, one := 0.0, 1.0
		chart.YAxis.Minimum, chart.YAxis.Maximum = &zero, &one
	}
	for _, key := range spec.series {
		for i, c := range cols {
			if c.key != key {
				continue
			}
			colName, _ := excelize.ColumnNumberToName(i + 1)
			chart.Series = append(chart.Series, excelize.ChartSeries{
				Name:       fmt.Sprintf("'%s'!$%s$%d", sh, colName, headerRow), // the header cell: a literal shows as "Column F"
				Categories: fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sh, catCol, firstData, catCol, last),
				Values:     fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sh, colName, firstData, colName, last),
			})
		}
	}
	// the chart starts a printed page of its own, so a page break never cuts it
	if err := f.InsertPageBreak(sh, fmt.Sprintf("A%d", last+3)); err != nil {
		return err
	}
	anchor := fmt.Sprintf("B%d", last+4)
	return f.AddChart(sh, anchor, chart)
}

// thresholdColours fill a share green, amber or red by the rule set's limits
// for its metric — the grade M18 gives an organization — so 86,9% and 87,9%
// get the same colour when they are on the same side of a limit. A column
// whose metric has no limits is not coloured.
func thresholdColours(f *excelize.File, sh string, cols []column, limits map[string]transform.Threshold, from, to int) error {
	if to < from {
		return nil
	}
	fills := []string{"C6EFCE", "FFEB9C", "FFC7CE"} // green, amber, red
	var styles [3]int
	for i, c := range fills {
		style, err := f.NewConditionalStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{c}}})
		if err != nil {
			return err
		}
		styles[i] = style
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for i, c := range cols {
		t, ok := limits[c.metric]
		if !ok || c.part != "value" || c.format == fmtYesNo {
			continue
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		// the first rule that holds wins: green, then amber, then red
		rules := []excelize.ConditionalFormatOptions{
			{Type: "cell", Criteria: ">=", Value: num(t.Green), Format: &styles[0], StopIfTrue: true},
			{Type: "cell", Criteria: ">=", Value: num(t.Amber), Format: &styles[1], StopIfTrue: true},
			{Type: "cell", Criteria: "<", Value: num(t.Amber), Format: &styles[2], StopIfTrue: true},
		}
		if t.Better == "lower" {
			rules[0].Criteria, rules[1].Criteria, rules[2].Criteria = "<=", "<=", ">"
		}
		if t.Better == "higher" && t.Amber == 0 {
			rules = rules[:2] // never red
		}
		if err := f.SetConditionalFormat(sh, fmt.Sprintf("%s%d:%s%d", col, from, col, to), rules); err != nil {
			return err
		}
	}
	return nil
}

// ratingColours colour the highest-rating column: HTXS green … KHT red.
func ratingColours(f *excelize.File, sh string, cols []column, from, to int) error {
	if to < from {
		return nil
	}
	fills := map[string]string{"HTXS": "C6EFCE", "HTT": "E2EFDA", "HT": "FFEB9C", "KHT": "FFC7CE"}
	for i, c := range cols {
		if c.format != fmtRating {
			continue
		}
		col, _ := excelize.ColumnNumberToName(i + 1)
		var rules []excelize.ConditionalFormatOptions
		for _, level := range []string{"HTXS", "HTT", "HT", "KHT"} {
			style, err := f.NewConditionalStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fills[level]}}})
			if err != nil {
				return err
			}
			rules = append(rules, excelize.ConditionalFormatOptions{Type: "cell", Criteria: "==", Value: `"` + level + `"`, Format: &style})
		}
		if err := f.SetConditionalFormat(sh, fmt.Sprintf("%s%d:%s%d", col, from, col, to), rules); err != nil {
			return err
		}
	}
	return nil
}

// coverFacts are the cover sheet's figures.
type coverFacts struct {
	cutOff                   sql.NullTime
	units, orgs, cells       int
	members                  float64
	headline                 []headline
	missing                  []string // units that reported last year and not this one
	rejectedRows, failedFile int
}

type headline struct {
	label string
	value sql.NullFloat64
	kind  cellFormat
}

func loadCover(ctx context.Context, db *sql.DB, year int) (*coverFacts, error) {
	c := &coverFacts{}
	// the files not loaded are counted as the data-quality sheet lists them
	if err := db.QueryRowContext(ctx, `SELECT max(finished_at) FILTER (WHERE report_year = $1 AND outcome NOT IN ('withdrawn', 'superseded')), count(DISTINCT reporting_unit) FILTER (WHERE outcome = 'loaded'),
			coalesce(sum(rows_rejected) FILTER (WHERE outcome = 'loaded'), 0), count(*) FILTER (WHERE `+notLoaded+`)
		FROM load_manifest WHERE report_year = $1 OR report_year IS NULL`, year).Scan(&c.cutOff, &c.units, &c.rejectedRows, &c.failedFile); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, `SELECT
			coalesce(max(denominator) FILTER (WHERE metric = 'M12'), 0), coalesce(max(denominator) FILTER (WHERE metric = 'M7'), 0),
			coalesce(max(denominator) FILTER (WHERE metric = 'M14_per1000'), 0)
		FROM mart_metrics WHERE year = ? AND level = 'province'`, year).Scan(&c.orgs, &c.cells, &c.members); err != nil {
		return nil, err
	}
	hl, err := loadHeadline(ctx, db, year, "province", "")
	if err != nil {
		return nil, err
	}
	c.headline = hl
	// units of last year that no unit of this year stands for (by its code or old code)
	rows, err := db.QueryContext(ctx, `
		WITH claimed AS (
			SELECT reporting_unit AS code FROM load_manifest WHERE report_year = ? AND outcome = 'loaded'
			UNION SELECT old_code FROM units WHERE report_year = ? AND unit_code = reporting_unit AND old_code IS NOT NULL
		)
		SELECT DISTINCT m.reporting_unit || ' ' || coalesce(fi.declared_unit_name, '')
		FROM load_manifest m LEFT JOIN file_info fi ON fi.load_id = m.load_id
		WHERE m.report_year = ? AND m.outcome = 'loaded' AND m.reporting_unit NOT IN (SELECT code FROM claimed)
		ORDER BY 1`, year, year, year-1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		c.missing = append(c.missing, strings.TrimSpace(s))
	}
	return c, rows.Err()
}

// loadHeadline is the headline figures of one unit of a level ("" for the province).
func loadHeadline(ctx context.Context, db *sql.DB, year int, level, unit string) ([]headline, error) {
	var out []headline
	for _, h := range []struct {
		label, metric string
		kind          cellFormat
	}{
		{"Đảng viên đang công tác có giấy giới thiệu về nơi cư trú", "M1", fmtPct},
		{"Phiếu nhận xét của nơi cư trú về đúng hạn", "M3", fmtPct},
		{"Chi bộ sinh hoạt thường kỳ đủ 12 tháng", "M7", fmtPct},
		{"Tỷ lệ đảng viên dự sinh hoạt chi bộ", "M9", fmtPct},
		{"Tổ chức cơ sở đảng được kiểm tra, giám sát", "M12", fmtPct},
		{"Đảng viên bị kỷ luật trên 1.000 đảng viên", "M14_per1000", fmtRate},
		{"Đảng viên hoàn thành xuất sắc nhiệm vụ", "M15_dang_vien_htxs", fmtPct},
		{"Tổ chức cơ sở đảng có chỉ tiêu ở mức đỏ", "M18_red", fmtCount},
		{"Tổ chức cơ sở đảng không được xếp HTXS theo quy định", "M18_capped", fmtCount},
	} {
		hl := headline{label: h.label, kind: h.kind}
		err := db.QueryRowContext(ctx, `SELECT value FROM mart_metrics WHERE year = ? AND level = ? AND (? = '' OR unit_code = ?) AND metric = ?`,
			year, level, unit, unit, h.metric).Scan(&hl.value)
		if err != nil && err != sql.ErrNoRows {
			return nil, err
		}
		out = append(out, hl)
	}
	return out, nil
}

// writeCover is the first sheet: what the report is, when the data were cut,
// who reported, and the headline figures.
func writeCover(f *excelize.File, sh string, st *styles, year int, province string, c *coverFacts, now time.Time, rules *rulesApplied) error {
	put := func(r int, style int, vals ...any) {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		f.SetSheetRow(sh, cell, &vals)
		f.SetCellStyle(sh, cell, fmt.Sprintf("B%d", r), style)
	}
	f.SetCellStr(sh, "A1", "BAN TỔ CHỨC TỈNH ỦY")
	f.SetCellStyle(sh, "A1", "A1", st.subtitle)
	f.SetCellStr(sh, "A3", fmt.Sprintf("BÁO CÁO CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG NĂM %d", year))
	f.MergeCell(sh, "A3", "B3")
	f.SetCellStyle(sh, "A3", "B3", st.title)
	f.SetRowHeight(sh, 3, 26)
	cut := "chưa có"
	if c.cutOff.Valid {
		// an instant (stored in UTC): the reader's day is the local one, as for "now"
		cut = vnfmt.Date(c.cutOff.Time.Local())
	}
	r := 5
	put(r, st.noteHead, "Thông tin chung", "")
	r++
	// a wrapped value gets the lines it needs: LibreOffice does not grow a row
	// of a workbook it opens, so the second line would run into the next row
	tall := func(r int, text string) {
		if n := (utf8.RuneCountInString(text) + 65) / 66; n > 1 {
			f.SetRowHeight(sh, r, float64(15*n+2))
		}
	}
	for _, kv := range [][2]string{
		{"Phạm vi", province},
		{"Năm báo cáo", fmt.Sprint(year)},
		{"Ngày chốt số liệu (tệp cuối cùng được nạp)", cut},
		{"Ngày lập báo cáo", vnfmt.Date(now)},
		{"Đơn vị báo cáo đã gửi", vnfmt.Int(int64(c.units))},
		{"Tổ chức cơ sở đảng / chi bộ / đảng viên", vnfmt.Int(int64(c.orgs)) + " / " + vnfmt.Int(int64(c.cells)) + " / " + vnfmt.Int(int64(c.members))},
		{"Dòng dữ liệu bị từ chối / tệp không nạp được", vnfmt.Int(int64(c.rejectedRows)) + " / " + vnfmt.Int(int64(c.failedFile)) + " (xem sheet Chất lượng dữ liệu)"},
		{"Quy định áp dụng", rules.set.Title}, // the title names the rule set: once
	} {
		put(r, st.noteText, kv[0], kv[1])
		tall(r, kv[1])
		r++
	}
	if len(c.missing) > 0 {
		missing := strings.Join(c.missing, "; ")
		put(r, st.noteText, "Đơn vị đã báo cáo năm trước nhưng chưa gửi năm nay", missing)
		tall(r, missing)
		r++
	}
	r++
	put(r, st.noteHead, "Chỉ tiêu chính toàn tỉnh", "Giá trị")
	r++
	for _, h := range c.headline {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		vals := []any{h.label, nil}
		if h.value.Valid {
			vals[1] = h.value.Float64
		}
		f.SetSheetRow(sh, cell, &vals)
		f.SetCellStyle(sh, cell, cell, st.noteText)
		f.SetCellStyle(sh, fmt.Sprintf("B%d", r), fmt.Sprintf("B%d", r), st.byFormat[h.kind])
		r++
	}
	f.SetColWidth(sh, "A", "A", 62)
	f.SetColWidth(sh, "B", "B", 60)
	f.SetSheetDimension(sh, fmt.Sprintf("A1:B%d", r-1))
	return printSetup(f, sh, "")
}
