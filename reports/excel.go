package reports

import (
	"archive/zip"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/vnfmt"
	"orgqa/internal/warehouse"
	"orgqa/transform"
)

// cellFormat is how a column's numbers are shown.
type cellFormat int

const (
	fmtText   cellFormat = iota
	fmtCount             // 1.296
	fmtPct               // 85,5%
	fmtRate              // 4,22
	fmtYesNo             // 1 -> Có, 0 -> Chưa
	fmtDays              // 12,5 (a median of days)
	fmtRating            // 4 -> HTXS … 1 -> KHT
)

// column is one column of a report sheet: an identity column (metric == ""),
// or one part of one metric of mart_metrics.
type column struct {
	key     string // how theme sheets name it: the metric, or metric.num / metric.den
	group   string // header above a group of columns
	header  string
	worse   bool // lower values are better: colour scales run the other way
	neutral bool // neither higher nor lower is better: no colour scale
	metric  string
	part    string // value, numerator or denominator
	format  cellFormat
	width   float64
	note    string // what the column means, for the Giải thích sheet
}

// columns are every column a sheet can show, keyed; the methodology sheet lists
// them in this order.
var columns = []column{
	{key: "M1.den", group: "Quy định 213-QĐ/TW", header: "Đảng viên đang công tác thuộc diện giới thiệu", metric: "M1", part: "denominator", format: fmtCount, width: 13,
		note: "Đảng viên đang công tác, đang sinh hoạt trong năm, diện Giới thiệu hoặc Miễn sinh hoạt nơi cư trú"},
	{key: "M1.num", group: "Quy định 213-QĐ/TW", header: "Đã có giấy giới thiệu (1-213)", metric: "M1", part: "numerator", format: fmtCount, width: 12,
		note: "Số đảng viên trên có giấy giới thiệu (mẫu 1-213) ký đến 31/12 của năm"},
	{key: "M1", group: "Quy định 213-QĐ/TW", header: "Tỷ lệ có giấy giới thiệu", metric: "M1", part: "value", format: fmtPct, width: 11,
		note: "M1 = đã có giấy giới thiệu / thuộc diện giới thiệu"},
	{key: "M2", group: "Quy định 213-QĐ/TW", header: "Giấy được xã xác nhận", metric: "M2", part: "value", format: fmtPct, width: 11,
		note: "M2 = giấy giới thiệu gần nhất có ngày đảng ủy xã xác nhận / đảng viên có giấy giới thiệu"},
	{key: "M3", group: "Quy định 213-QĐ/TW", header: "Phiếu nhận xét (3-213) về đúng hạn", metric: "M3", part: "value", format: fmtPct, width: 13,
		note: "M3 = đảng viên diện Giới thiệu (không tính diện Miễn) có phiếu nhận xét của năm về nơi công tác đến hạn (mặc định 15/12) / đảng viên diện Giới thiệu có giấy"},
	{key: "M5", worse: true, group: "Quy định 213-QĐ/TW", header: "Nhận xét \"Chưa tốt\"", metric: "M5", part: "value", format: fmtPct, width: 11,
		note: "M5 = phiếu nhận xét của năm kết luận Chưa tốt / phiếu có kết luận"},
	{key: "M7.den", group: "Sinh hoạt chi bộ", header: "Số chi bộ", metric: "M7", part: "denominator", format: fmtCount, width: 9,
		note: "Chi bộ có hiệu lực trong năm (kể cả chi bộ cơ sở)"},
	{key: "M7", group: "Sinh hoạt chi bộ", header: "Chi bộ sinh hoạt đủ 12 tháng", metric: "M7", part: "value", format: fmtPct, width: 12,
		note: "M7 = chi bộ có sinh hoạt thường kỳ (hoặc kết hợp) trong cả 12 tháng / số chi bộ"},
	{key: "M8", group: "Sinh hoạt chi bộ", header: "Quý có sinh hoạt chuyên đề", metric: "M8", part: "value", format: fmtPct, width: 12,
		note: "M8 = tổng số quý có sinh hoạt chuyên đề (hoặc kết hợp) của các chi bộ / (4 × số chi bộ)"},
	{key: "M9", group: "Sinh hoạt chi bộ", header: "Tỷ lệ đảng viên dự sinh hoạt", metric: "M9", part: "value", format: fmtPct, width: 12,
		note: "M9 = Σ có mặt / Σ (số đảng viên − số miễn sinh hoạt) của các buổi sinh hoạt trong năm"},
	{key: "M9_above85", group: "Sinh hoạt chi bộ", header: "Buổi có trên 85% đảng viên dự", metric: "M9_above85", part: "value", format: fmtPct, width: 12,
		note: "Số buổi sinh hoạt có trên 85% đảng viên phải dự có mặt / số buổi"},
	{key: "M12", group: "Kiểm tra, giám sát, kỷ luật", header: "TCCS đảng được kiểm tra, giám sát", metric: "M12", part: "value", format: fmtPct, width: 12,
		note: "M12 = tổ chức cơ sở đảng được kiểm tra hoặc giám sát ít nhất một lần trong năm (trực tiếp hoặc qua đơn vị trực thuộc) / số tổ chức cơ sở đảng"},
	{key: "M13_kiem_tra", group: "Kiểm tra, giám sát, kỷ luật", header: "Lượt kiểm tra", metric: "M13_kiem_tra", part: "value", format: fmtCount, width: 9,
		note: "M13: số lượt kiểm tra tổ chức đảng và đảng viên bắt đầu trong năm (hoặc kết luận trong năm khi không ghi ngày bắt đầu)"},
	{key: "M13_giam_sat", group: "Kiểm tra, giám sát, kỷ luật", header: "Lượt giám sát", metric: "M13_giam_sat", part: "value", format: fmtCount, width: 9,
		note: "M13: số lượt giám sát tổ chức đảng và đảng viên trong năm"},
	{key: "M13_vi_pham", worse: true, group: "Kiểm tra, giám sát, kỷ luật", header: "Cuộc đã kết luận có vi phạm", metric: "M13_vi_pham", part: "value", format: fmtPct, width: 11,
		note: "M13: cuộc kiểm tra, giám sát đã kết luận có vi phạm / cuộc đã kết luận"},
	{key: "M14.num", group: "Kiểm tra, giám sát, kỷ luật", header: "Đảng viên bị kỷ luật", metric: "M14_per1000", part: "numerator", format: fmtCount, width: 10,
		note: "M14: số đảng viên bị kỷ luật (quyết định trong năm), mỗi người tính một lần"},
	{key: "M14_per1000", worse: true, group: "Kiểm tra, giám sát, kỷ luật", header: "Bị kỷ luật trên 1.000 đảng viên", metric: "M14_per1000", part: "value", format: fmtRate, width: 11,
		note: "M14 = đảng viên bị kỷ luật × 1.000 / đảng viên đang sinh hoạt trong năm"},
	{key: "M15_dang_vien_htxs", group: "Xếp loại chất lượng", header: "Đảng viên HTXS", metric: "M15_dang_vien_htxs", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Hoàn thành xuất sắc nhiệm vụ / đảng viên được xếp loại"},
	{key: "M15_dang_vien_htt", group: "Xếp loại chất lượng", header: "Đảng viên HTT", metric: "M15_dang_vien_htt", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Hoàn thành tốt nhiệm vụ / đảng viên được xếp loại"},
	{key: "M15_dang_vien_kht", worse: true, group: "Xếp loại chất lượng", header: "Đảng viên KHT", metric: "M15_dang_vien_kht", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Không hoàn thành nhiệm vụ / đảng viên được xếp loại"},
	{key: "M15_to_chuc_htxs", group: "Xếp loại chất lượng", header: "Tổ chức đảng HTXS", metric: "M15_to_chuc_htxs", part: "value", format: fmtPct, width: 10,
		note: "M15: tổ chức đảng (tổ chức cơ sở và chi bộ) xếp loại Hoàn thành xuất sắc nhiệm vụ / tổ chức được xếp loại"},
	{key: "M15_to_chuc_kht", worse: true, group: "Xếp loại chất lượng", header: "Tổ chức đảng KHT", metric: "M15_to_chuc_kht", part: "value", format: fmtPct, width: 10,
		note: "M15: tổ chức đảng xếp loại Không hoàn thành nhiệm vụ / tổ chức được xếp loại"},
	// and those the organization sheet, the theme sheets and the methodology add
	{key: "M12.den", group: "Kiểm tra, giám sát, kỷ luật", header: "Số tổ chức cơ sở đảng", metric: "M12", part: "denominator", format: fmtCount, width: 10,
		note: "Tổ chức cơ sở đảng (đảng bộ cơ sở, chi bộ cơ sở) có hiệu lực trong năm"},
	{key: "M4", worse: true, group: "Quy định 213-QĐ/TW", header: "Số ngày chi bộ nơi cư trú nhận giấy (trung vị)", metric: "M4", part: "value", format: fmtDays, width: 12,
		note: "M4: trung vị số ngày từ khi ký giấy giới thiệu đến khi chi bộ nơi cư trú nhận, các giấy ký trong năm đã được nhận"},
	{key: "M4_on_time", group: "Quy định 213-QĐ/TW", header: "Giấy được nhận đúng hạn", metric: "M4_on_time", part: "value", format: fmtPct, width: 11,
		note: "M4: giấy ký trong năm được chi bộ nơi cư trú nhận trong thời hạn quy định / giấy đã được nhận"},
	{key: "M6", worse: true, group: "Quy định 213-QĐ/TW", header: "Nhận xét \"Chưa tốt\" nhưng xếp HTT/HTXS", metric: "M6", part: "value", format: fmtCount, width: 12,
		note: "M6: đảng viên bị nhận xét Chưa tốt nhưng xếp loại Hoàn thành tốt hoặc xuất sắc trong năm (cần xem lại, không phải vi phạm)"},
	{key: "M10", group: "Sinh hoạt chi bộ", header: "Buổi đủ thời lượng", metric: "M10", part: "value", format: fmtPct, width: 10,
		note: "M10: buổi sinh hoạt từ ngày quy định về thời lượng có hiệu lực đạt tối thiểu 90 phút (120 phút nếu kết hợp) / số buổi đó"},
	{key: "M11_tot", group: "Sinh hoạt chi bộ", header: "Buổi xếp loại Tốt", metric: "M11_tot", part: "value", format: fmtPct, width: 10,
		note: "M11: buổi sinh hoạt xếp loại Tốt / buổi được xếp loại (tương tự Khá, Trung bình, Kém)"},
	{key: "M11_kem", worse: true, group: "Sinh hoạt chi bộ", header: "Buổi xếp loại Kém", metric: "M11_kem", part: "value", format: fmtPct, width: 10,
		note: "M11: buổi sinh hoạt xếp loại Kém / buổi được xếp loại"},
	{key: "M15_dang_vien_ht", neutral: true, group: "Xếp loại chất lượng", header: "Đảng viên HT", metric: "M15_dang_vien_ht", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Hoàn thành nhiệm vụ / đảng viên được xếp loại"},
	{key: "M16", worse: true, group: "Xếp loại chất lượng", header: "Đảng viên HTXS so với HTT", metric: "M16", part: "value", format: fmtPct, width: 11,
		note: "M16: số đảng viên HTXS / số đảng viên HTT trong tổ chức cơ sở đảng; vượt mức quy định (mặc định 20%) là vi phạm"},
	{key: "M16_breach", worse: true, group: "Xếp loại chất lượng", header: "TCCS vượt tỷ lệ HTXS", metric: "M16_breach", part: "value", format: fmtCount, width: 10,
		note: "M16: số tổ chức cơ sở đảng có tỷ lệ đảng viên HTXS vượt mức quy định"},
	{key: "M17", worse: true, group: "Xếp loại chất lượng", header: "TCCS xếp HTXS có kỷ luật", metric: "M17", part: "value", format: fmtCount, width: 10,
		note: "M17: tổ chức cơ sở đảng xếp loại HTXS nhưng có tổ chức trực thuộc hoặc đảng viên bị kỷ luật trong năm"},
	{key: "M18_red", worse: true, group: "Xếp loại chất lượng", header: "TCCS có chỉ tiêu mức đỏ", metric: "M18_red", part: "value", format: fmtCount, width: 10,
		note: "M18: số tổ chức cơ sở đảng có ít nhất một chỉ tiêu ở mức đỏ theo ngưỡng quy định"},
	{key: "M18_max_rating", group: "Xếp loại chất lượng", header: "Mức xếp loại cao nhất được phép", metric: "M18_max_rating", part: "value", format: fmtRating, width: 12,
		note: "M18: mức xếp loại cao nhất quy định cho phép, xét các chỉ tiêu ở mức đỏ và kỷ luật trong năm (xem sheet Cần chú ý)"},
}

// columnsByKey finds column definitions by their keys.
func columnsByKey(keys ...string) ([]column, error) {
	var out []column
	for _, k := range keys {
		found := false
		for _, c := range columns {
			if c.key == k {
				out, found = append(out, c), true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("reports: no column %q", k)
		}
	}
	return out, nil
}

// orgKeys are the organizations sheet's indicators.
var orgKeys = []string{"M1.den", "M1", "M2", "M3", "M4", "M5", "M7.den", "M7", "M8", "M9", "M10", "M12",
	"M13_kiem_tra", "M13_giam_sat", "M14.num", "M15_dang_vien_htxs", "M15_dang_vien_kht", "M16", "M18_max_rating"}

// orgColumns are the organizations sheet's columns, one row per grassroots organization.
func orgColumns() ([]column, error) {
	cols := []column{
		{header: "STT", width: 6},
		{header: "Đơn vị báo cáo", width: 24},
		{header: "Mã tổ chức", width: 10},
		{header: "Tổ chức cơ sở đảng", width: 52},
	}
	more, err := columnsByKey(orgKeys...)
	if err != nil {
		return nil, err
	}
	for _, c := range more {
		if c.metric == "M12" {
			c.header, c.format, c.width = "Được kiểm tra, giám sát", fmtYesNo, 11
		}
		cols = append(cols, c)
	}
	return cols, nil
}

// unitRow is one unit's values for the metric columns of a sheet.
type unitRow struct {
	code, name, parent string
	vals               []sql.NullFloat64
}

// queryRows pivots mart_metrics: one row per unit of the level, one value per
// metric column. The SQL is built from the column table above, never from input.
// where, when set, is a further condition (" AND ..."), its parameters args.
func queryRows(ctx context.Context, db *sql.DB, year int, level string, cols []column, where string, args ...any) ([]unitRow, error) {
	sel := []string{""}
	for _, c := range cols {
		if c.metric != "" {
			sel = append(sel, fmt.Sprintf("max(%s) FILTER (WHERE metric = '%s')", c.part, c.metric))
		}
	}
	q := fmt.Sprintf(`SELECT unit_code, any_value(unit_name), coalesce(any_value(parent_code), '')%s
		FROM mart_metrics WHERE year = ? AND level = ?%s GROUP BY unit_code`, strings.Join(sel, ", "), where)
	rows, err := db.QueryContext(ctx, q, append([]any{year, level}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []unitRow
	for rows.Next() {
		r := unitRow{vals: make([]sql.NullFloat64, len(sel)-1)}
		var name sql.NullString
		dest := []any{&r.code, &name, &r.parent}
		for i := range r.vals {
			dest = append(dest, &r.vals[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		r.name = name.String
		out = append(out, r)
	}
	return out, rows.Err()
}

// ExcelReport says what the leadership workbook holds.
type ExcelReport struct {
	Path           string
	ReportingUnits int
	Organizations  int
}

// WriteExcel writes the year's leadership workbook to path (a temp file first,
// then renamed): a cover, one sheet per theme with a chart, the grassroots
// organizations, those needing attention, data quality and the methodology.
func WriteExcel(ctx context.Context, db *sql.DB, year int, path string, now time.Time) (*ExcelReport, error) {
	province, err := queryRows(ctx, db, year, "province", []column{{metric: "M1", part: "value"}}, "")
	if err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	if len(province) == 0 {
		return nil, fmt.Errorf("excel: no metrics for %d: run transform first", year)
	}
	vi := newViOrder()
	applied, err := appliedRules(ctx, db, year)
	if err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	cover, err := loadCover(ctx, db, year)
	if err != nil {
		return nil, fmt.Errorf("excel: cover: %w", err)
	}
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	st.thresholds = applied.set.Thresholds
	title := fmt.Sprintf("BÁO CÁO CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG NĂM %d", year)
	subtitle := fmt.Sprintf("%s: %s đơn vị báo cáo, %s tổ chức cơ sở đảng. Số liệu lập ngày %s.",
		province[0].name, vnfmt.Int(int64(cover.units)), vnfmt.Int(int64(cover.orgs)), vnfmt.Date(now))

	steps := []struct {
		sheet string
		write func() error
	}{
		{"Tổng quan", func() error { return writeCover(f, "Tổng quan", st, year, province[0].name, cover, now, applied) }},
	}
	for _, t := range themes {
		t := t
		steps = append(steps, struct {
			sheet string
			write func() error
		}{t.sheet, func() error { return writeTheme(ctx, db, f, st, year, t, subtitle, vi) }})
	}
	steps = append(steps, []struct {
		sheet string
		write func() error
	}{
		{"Tổ chức cơ sở đảng", func() error { return writeOrgs(ctx, db, f, st, year, subtitle, vi, "") }},
		{"Cần chú ý", func() error { return writeAttention(ctx, db, f, st, year, vi, "") }},
		{"Chất lượng dữ liệu", func() error { return writeDataQuality(ctx, db, f, st, year, vi, cover.missing) }},
		{"Phương pháp", func() error { return writeNotes(ctx, db, f, "Phương pháp", st, year, applied) }},
	}...)
	for i, s := range steps {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.sheet); err != nil {
				return nil, err
			}
		}
		if err := s.write(); err != nil {
			return nil, fmt.Errorf("excel %s: %w", s.sheet, err)
		}
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:   title,
		Subject: "Chất lượng tổ chức cơ sở đảng",
		Creator: "Ban Tổ chức Tỉnh ủy",
		Created: now.UTC().Format(time.RFC3339),
	}); err != nil {
		return nil, err
	}
	if err := saveAtomic(f, path); err != nil {
		return nil, err
	}
	return &ExcelReport{Path: path, ReportingUnits: cover.units, Organizations: cover.orgs}, nil
}

// writeOrgs is the sheet with one row per grassroots organization, sorted by
// reporting unit and name; unit, when set, keeps that reporting unit's only.
// The rows stream from the warehouse to the sheet: only the organizations'
// names are held, to sort them the Vietnamese way (a nation's 67.000
// organizations held as cells took about 400 MB).
func writeOrgs(ctx context.Context, db *sql.DB, f *excelize.File, st *styles, year int, subtitle string, vi *viOrder, unit string) error {
	cols, err := orgColumns()
	if err != nil {
		return err
	}
	units, err := queryRows(ctx, db, year, "reporting_unit", []column{{metric: "M1", part: "value"}}, "")
	if err != nil {
		return err
	}
	unitName := map[string]string{}
	for _, u := range units {
		unitName[u.code] = u.name
	}
	// the order, from the names alone
	only := ""
	args := []any{year}
	if unit != "" {
		only, args = " AND parent_code = ?", append(args, unit)
	}
	orgs, err := queryRows(ctx, db, year, "org", nil, only, args[1:]...)
	if err != nil {
		return err
	}
	sort.Slice(orgs, func(i, j int) bool {
		a, b := orgs[i], orgs[j]
		if c := cmpNamed(vi, unitName[a.parent], a.parent, unitName[b.parent], b.parent); c != 0 {
			return c < 0
		}
		return cmpNamed(vi, a.name, a.code, b.name, b.code) < 0
	})
	order := make([]string, len(orgs))
	for i, o := range orgs {
		order[i] = o.code
	}
	orgs = nil
	// the values, in that order: each graded share with its M18 grade, so it
	// is coloured by it (a share of too few cases, not graded, stays white)
	var pcols []pivotCol
	graded := make([]int, len(cols)) // the grade's position among the selected values, +1
	for _, c := range cols {
		if c.metric != "" {
			pcols = append(pcols, pivotCol{agg: "max(" + c.part + ")", metric: c.metric, as: fmt.Sprintf("v%d", len(pcols))})
		}
	}
	nv := len(pcols)
	for k, c := range cols {
		if c.metric != "" && c.part == "value" && c.format == fmtPct {
			pcols = append(pcols, pivotCol{agg: "max(value)", cast: "INTEGER", metric: "M18_" + c.metric, as: fmt.Sprintf("v%d", len(pcols))})
			graded[k] = len(pcols) - nv
		}
	}
	// the nation's organizations are built as a table, in parts, on one
	// thread (pivotTable); one unit's are few, and a query of their own
	// (a unit's workbook, --per-unit: 3.960 of them at national scale)
	base := "SELECT * FROM mart_metrics WHERE year = ? AND level = 'org'" + only
	whole := []string{"any_value(unit_name) AS unit_name", "coalesce(any_value(parent_code), '') AS parent_code"}
	from, fromArgs := "org_sheet", []any(nil)
	if unit == "" {
		drop, err := pivotTable(ctx, db, from, base, whole, pcols, args...)
		defer drop()
		if err != nil {
			return err
		}
	} else {
		from, fromArgs = "("+pivotSQL(base, whole, pcols)+")", args
	}
	// the rows in the names' order, asked for orgSheetBatch organizations
	// at a time (see orgSheetBatch)
	q := fmt.Sprintf(`WITH o AS (SELECT unnest(l) AS code, generate_subscripts(l, 1) AS rank FROM (SELECT %s AS l))
		SELECT w.* FROM %s w JOIN o ON o.code = w.unit_code ORDER BY o.rank`, warehouse.ListParam, from)
	var rows *sql.Rows
	defer func() {
		if rows != nil {
			rows.Close()
		}
	}()
	batchStart, batchEnd := 0, 0 // the organizations (in order) rows holds
	values := &sheetWriter{cols: cols}
	vals := make([]sql.NullFloat64, nv)
	grades := make([]sql.NullInt64, len(pcols)-nv)
	var code, parent string
	var name sql.NullString
	dest := []any{&code, &name, &parent}
	for i := range vals {
		dest = append(dest, &vals[i])
	}
	for i := range grades {
		dest = append(dest, &grades[i])
	}
	// endBatch checks that the batch rows holds ends where it should, and closes it
	endBatch := func() error {
		if rows == nil {
			return nil
		}
		if rows.Next() {
			return fmt.Errorf("organizations: more rows than the %d asked for after row %d", batchEnd-batchStart, batchStart)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		err := rows.Close()
		rows = nil
		return err
	}
	done := 0
	next := func() ([]any, error) {
		if done == batchEnd {
			if err := endBatch(); err != nil {
				return nil, err
			}
			batchStart = batchEnd
			batchEnd = min(len(order), batchStart+orgSheetBatch)
			var err error
			if rows, err = db.QueryContext(ctx, q, append([]any{warehouse.ListArg(order[batchStart:batchEnd])}, fromArgs...)...); err != nil {
				return nil, err
			}
		}
		if !rows.Next() {
			if err := rows.Err(); err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("organizations: %d rows, %d expected", done, len(order))
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		if code != order[done] {
			return nil, fmt.Errorf("organizations: row %d is %s, %s expected", done+1, code, order[done])
		}
		done++
		row := values.values([]any{done, unitName[parent], code, name.String}, vals)
		for k := range cols {
			if g := graded[k]; g > 0 && grades[g-1].Valid && grades[g-1].Int64 > 0 && row[k] != nil {
				row[k] = excelize.Cell{StyleID: st.graded[grades[g-1].Int64], Value: row[k]}
			}
		}
		return row, nil
	}
	// a sheet holds at most maxSheetRows rows: more organizations continue on
	// "Tổ chức cơ sở đảng (2)" and so on, never cut off
	const sh = "Tổ chức cơ sở đảng"
	for part, start := 1, 0; start < len(order) || part == 1; part, start = part+1, start+maxDataRows() {
		name, title := sh, fmt.Sprintf("TỔ CHỨC CƠ SỞ ĐẢNG NĂM %d", year)
		if part > 1 {
			name, title = fmt.Sprintf("%s (%d)", sh, part), fmt.Sprintf("%s (TIẾP THEO, PHẦN %d)", title, part)
		}
		if _, err := f.NewSheet(name); err != nil {
			return err
		}
		w := &sheetWriter{f: f, sheet: name, st: st, cols: cols, graded: true}
		if err := w.writeFrom(title, subtitle, min(len(order), start+maxDataRows())-start, next, nil); err != nil {
			return err
		}
	}
	return endBatch()
}

// orgSheetBatch is the most organizations whose rows writeOrgs asks DuckDB
// for, sorted, in one query. The nation's 67.031 in one query sorted every
// organization's row of about 60 values at once, and DuckDB's sort keeps its
// rows, their sorted copy and, in its allocator, the pages they freed: the
// workbook's highest memory (as the organizations' Parquet file's was, see
// orgsSortBatch, the same limit). A variable so that a test can cut a small
// sheet's.
var orgSheetBatch = orgsSortBatch

// maxSheetRows is Excel's limit of rows in a sheet; a variable so that a test
// can split a small sheet.
var maxSheetRows = 1_048_576

// maxDataRows is how many data rows fit under a sheet's title and header rows.
func maxDataRows() int { return maxSheetRows - firstData + 1 }

// saveAtomic writes the workbook beside path and renames it into place.
func saveAtomic(f *excelize.File, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	// CreateTemp makes the file 0600; a workbook is read by others, as the
	// Parquet files beside it are
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	// excelize adds image content types from a map, in an order that changes
	// from run to run: sorted, the same input gives the same bytes
	if f.ContentTypes != nil {
		d := f.ContentTypes.Defaults
		sort.Slice(d, func(i, j int) bool { return d[i].Extension < d[j].Extension })
	}
	raw, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.raw")
	if err != nil {
		tmp.Close()
		return err
	}
	defer os.Remove(raw.Name())
	_, err = f.WriteTo(raw)
	if cerr := raw.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = canonicalZip(raw.Name(), tmp)
	}
	if err != nil {
		tmp.Close()
		return fmt.Errorf("excel %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// canonicalZip copies the workbook at src into dst with its parts in one
// order ([Content_Types].xml, then by name), their compressed bytes as they
// are: excelize writes parts in the order of its maps, so the same workbook
// came out as different bytes from run to run.
func canonicalZip(src string, dst io.Writer) error {
	zr, err := zip.OpenReader(src)
	if err != nil {
		return err
	}
	defer zr.Close()
	files := slices.Clone(zr.File)
	rank := func(name string) string {
		if name == "[Content_Types].xml" {
			return ""
		}
		return name
	}
	sort.Slice(files, func(i, j int) bool { return rank(files[i].Name) < rank(files[j].Name) })
	zw := zip.NewWriter(dst)
	for _, zf := range files {
		r, err := zf.OpenRaw()
		if err != nil {
			return err
		}
		h := zf.FileHeader
		w, err := zw.CreateRaw(&h)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, r); err != nil {
			return err
		}
	}
	return zw.Close()
}

// rulesApplied is the rule set the year's metrics were computed with, as the
// last transform of the year recorded it.
type rulesApplied struct {
	set    *transform.RuleSet
	sha256 string
	names  map[string]string // the graded metrics in words (int_assess_names)
}

// name is a graded metric in words, with its code for the analyst.
func (a *rulesApplied) name(metric string) string {
	if n := a.names[metric]; n != "" {
		return n + " (" + metric + ")"
	}
	return metric
}

func appliedRules(ctx context.Context, db *sql.DB, year int) (*rulesApplied, error) {
	var setID, sha, cfg string
	err := db.QueryRowContext(ctx, `SELECT rule_set, config_sha256, config_json FROM transform_runs
		WHERE year = ? ORDER BY run_at DESC LIMIT 1`, year).Scan(&setID, &sha, &cfg)
	if err != nil {
		return nil, fmt.Errorf("the rules used for %d: %w", year, err)
	}
	r, err := transform.ParseRules([]byte(cfg), "transform_runs")
	if err != nil {
		return nil, err
	}
	set, err := r.ForYear(year)
	if err != nil {
		return nil, err
	}
	return &rulesApplied{set: set, sha256: sha, names: assessNames(ctx, db)}, nil
}

// assessNames are the graded metrics in words (int_assess_names); none from a
// warehouse transformed before the table existed.
func assessNames(ctx context.Context, db *sql.DB) map[string]string {
	names := map[string]string{}
	rows, err := db.QueryContext(ctx, `SELECT metric, name_vi FROM int_assess_names`)
	if err != nil {
		return names
	}
	defer rows.Close()
	for rows.Next() {
		var m, n string
		if rows.Scan(&m, &n) == nil {
			names[m] = n
		}
	}
	return names
}
