package reports

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"orgqa/internal/vnfmt"
	"orgqa/transform"
)

// cellFormat is how a column's numbers are shown.
type cellFormat int

const (
	fmtText  cellFormat = iota
	fmtCount            // 1.296
	fmtPct              // 85,5%
	fmtRate             // 4,22
	fmtYesNo            // 1 -> Có, 0 -> Chưa
)

// column is one column of a report sheet: an identity column (metric == ""),
// or one part of one metric of mart_metrics.
type column struct {
	group  string // header above a group of columns
	header string
	metric string
	part   string // value, numerator or denominator
	format cellFormat
	width  float64
	note   string // what the column means, for the Giải thích sheet
}

var metricColumns = []column{
	{group: "Quy định 213-QĐ/TW", header: "Đảng viên đang công tác thuộc diện giới thiệu", metric: "M1", part: "denominator", format: fmtCount, width: 13,
		note: "Đảng viên đang công tác, đang sinh hoạt trong năm, diện Giới thiệu hoặc Miễn sinh hoạt nơi cư trú"},
	{group: "Quy định 213-QĐ/TW", header: "Đã có giấy giới thiệu (1-213)", metric: "M1", part: "numerator", format: fmtCount, width: 12,
		note: "Số đảng viên trên có giấy giới thiệu (mẫu 1-213) ký đến 31/12 của năm"},
	{group: "Quy định 213-QĐ/TW", header: "Tỷ lệ có giấy giới thiệu", metric: "M1", part: "value", format: fmtPct, width: 11,
		note: "M1 = đã có giấy giới thiệu / thuộc diện giới thiệu"},
	{group: "Quy định 213-QĐ/TW", header: "Giấy được xã xác nhận", metric: "M2", part: "value", format: fmtPct, width: 11,
		note: "M2 = giấy giới thiệu gần nhất có ngày đảng ủy xã xác nhận / đảng viên có giấy giới thiệu"},
	{group: "Quy định 213-QĐ/TW", header: "Phiếu nhận xét (3-213) về đúng hạn", metric: "M3", part: "value", format: fmtPct, width: 13,
		note: "M3 = đảng viên diện Giới thiệu (không tính diện Miễn) có phiếu nhận xét của năm về nơi công tác đến hạn (mặc định 15/12) / đảng viên diện Giới thiệu có giấy"},
	{group: "Quy định 213-QĐ/TW", header: "Nhận xét \"Chưa tốt\"", metric: "M5", part: "value", format: fmtPct, width: 11,
		note: "M5 = phiếu nhận xét của năm kết luận Chưa tốt / phiếu có kết luận"},
	{group: "Sinh hoạt chi bộ", header: "Số chi bộ", metric: "M7", part: "denominator", format: fmtCount, width: 9,
		note: "Chi bộ có hiệu lực trong năm (kể cả chi bộ cơ sở)"},
	{group: "Sinh hoạt chi bộ", header: "Chi bộ sinh hoạt đủ 12 tháng", metric: "M7", part: "value", format: fmtPct, width: 12,
		note: "M7 = chi bộ có sinh hoạt thường kỳ (hoặc kết hợp) trong cả 12 tháng / số chi bộ"},
	{group: "Sinh hoạt chi bộ", header: "Quý có sinh hoạt chuyên đề", metric: "M8", part: "value", format: fmtPct, width: 12,
		note: "M8 = tổng số quý có sinh hoạt chuyên đề (hoặc kết hợp) của các chi bộ / (4 × số chi bộ)"},
	{group: "Sinh hoạt chi bộ", header: "Tỷ lệ đảng viên dự sinh hoạt", metric: "M9", part: "value", format: fmtPct, width: 12,
		note: "M9 = Σ có mặt / Σ (số đảng viên − số miễn sinh hoạt) của các buổi sinh hoạt trong năm"},
	{group: "Sinh hoạt chi bộ", header: "Buổi có trên 85% đảng viên dự", metric: "M9_above85", part: "value", format: fmtPct, width: 12,
		note: "Số buổi sinh hoạt có trên 85% đảng viên phải dự có mặt / số buổi"},
	{group: "Kiểm tra, giám sát, kỷ luật", header: "TCCS đảng được kiểm tra, giám sát", metric: "M12", part: "value", format: fmtPct, width: 12,
		note: "M12 = tổ chức cơ sở đảng được kiểm tra hoặc giám sát ít nhất một lần trong năm (trực tiếp hoặc qua đơn vị trực thuộc) / số tổ chức cơ sở đảng"},
	{group: "Kiểm tra, giám sát, kỷ luật", header: "Lượt kiểm tra", metric: "M13_kiem_tra", part: "value", format: fmtCount, width: 9,
		note: "M13: số lượt kiểm tra tổ chức đảng và đảng viên bắt đầu trong năm (hoặc kết luận trong năm khi không ghi ngày bắt đầu)"},
	{group: "Kiểm tra, giám sát, kỷ luật", header: "Lượt giám sát", metric: "M13_giam_sat", part: "value", format: fmtCount, width: 9,
		note: "M13: số lượt giám sát tổ chức đảng và đảng viên trong năm"},
	{group: "Kiểm tra, giám sát, kỷ luật", header: "Cuộc đã kết luận có vi phạm", metric: "M13_vi_pham", part: "value", format: fmtPct, width: 11,
		note: "M13: cuộc kiểm tra, giám sát đã kết luận có vi phạm / cuộc đã kết luận"},
	{group: "Kiểm tra, giám sát, kỷ luật", header: "Đảng viên bị kỷ luật", metric: "M14_per1000", part: "numerator", format: fmtCount, width: 10,
		note: "M14: số đảng viên bị kỷ luật (quyết định trong năm), mỗi người tính một lần"},
	{group: "Kiểm tra, giám sát, kỷ luật", header: "Bị kỷ luật trên 1.000 đảng viên", metric: "M14_per1000", part: "value", format: fmtRate, width: 11,
		note: "M14 = đảng viên bị kỷ luật × 1.000 / đảng viên đang sinh hoạt trong năm"},
	{group: "Xếp loại chất lượng", header: "Đảng viên HTXS", metric: "M15_dang_vien_htxs", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Hoàn thành xuất sắc nhiệm vụ / đảng viên được xếp loại"},
	{group: "Xếp loại chất lượng", header: "Đảng viên HTT", metric: "M15_dang_vien_htt", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Hoàn thành tốt nhiệm vụ / đảng viên được xếp loại"},
	{group: "Xếp loại chất lượng", header: "Đảng viên KHT", metric: "M15_dang_vien_kht", part: "value", format: fmtPct, width: 10,
		note: "M15: đảng viên xếp loại Không hoàn thành nhiệm vụ / đảng viên được xếp loại"},
	{group: "Xếp loại chất lượng", header: "Tổ chức đảng HTXS", metric: "M15_to_chuc_htxs", part: "value", format: fmtPct, width: 10,
		note: "M15: tổ chức đảng (tổ chức cơ sở và chi bộ) xếp loại Hoàn thành xuất sắc nhiệm vụ / tổ chức được xếp loại"},
	{group: "Xếp loại chất lượng", header: "Tổ chức đảng KHT", metric: "M15_to_chuc_kht", part: "value", format: fmtPct, width: 10,
		note: "M15: tổ chức đảng xếp loại Không hoàn thành nhiệm vụ / tổ chức được xếp loại"},
}

// summaryColumns are the province summary's columns, one row per reporting unit.
func summaryColumns() []column {
	return append([]column{
		{header: "STT", width: 5},
		{header: "Mã đơn vị", width: 9},
		{header: "Đơn vị báo cáo", width: 30},
		{group: "Tổ chức", header: "Số tổ chức cơ sở đảng", metric: "M12", part: "denominator", format: fmtCount, width: 10,
			note: "Tổ chức cơ sở đảng (đảng bộ cơ sở, chi bộ cơ sở) có hiệu lực trong năm"},
	}, metricColumns...)
}

// orgColumns are the organizations sheet's columns, one row per grassroots organization.
func orgColumns() []column {
	cols := []column{
		{header: "STT", width: 6},
		{header: "Đơn vị báo cáo", width: 24},
		{header: "Mã tổ chức", width: 10},
		{header: "Tổ chức cơ sở đảng", width: 52},
	}
	for _, c := range metricColumns {
		if c.metric == "M12" {
			c.header, c.format, c.width = "Được kiểm tra, giám sát", fmtYesNo, 11
		}
		cols = append(cols, c)
	}
	return cols
}

// unitRow is one unit's values for the metric columns of a sheet.
type unitRow struct {
	code, name, parent string
	vals               []sql.NullFloat64
}

// queryRows pivots mart_metrics: one row per unit of the level, one value per
// metric column. The SQL is built from the column table above, never from input.
func queryRows(ctx context.Context, db *sql.DB, year int, level string, cols []column) ([]unitRow, error) {
	var sel []string
	for _, c := range cols {
		if c.metric != "" {
			sel = append(sel, fmt.Sprintf("max(%s) FILTER (WHERE metric = '%s')", c.part, c.metric))
		}
	}
	q := fmt.Sprintf(`SELECT unit_code, any_value(unit_name), coalesce(any_value(parent_code), ''), %s
		FROM mart_metrics WHERE year = ? AND level = ? GROUP BY unit_code`, strings.Join(sel, ", "))
	rows, err := db.QueryContext(ctx, q, year, level)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []unitRow
	for rows.Next() {
		r := unitRow{vals: make([]sql.NullFloat64, len(sel))}
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
// then renamed): the province summary, one row per grassroots organization, and
// what every column means.
func WriteExcel(ctx context.Context, db *sql.DB, year int, path string, now time.Time) (*ExcelReport, error) {
	province, err := queryRows(ctx, db, year, "province", summaryColumns())
	if err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	if len(province) == 0 {
		return nil, fmt.Errorf("excel: no metrics for %d: run transform first", year)
	}
	units, err := queryRows(ctx, db, year, "reporting_unit", summaryColumns())
	if err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	orgs, err := queryRows(ctx, db, year, "org", orgColumns())
	if err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	col := collate.New(language.Vietnamese)
	unitName := map[string]string{}
	for _, u := range units {
		unitName[u.code] = u.name
	}
	sort.SliceStable(units, func(i, j int) bool { return col.CompareString(units[i].name, units[j].name) < 0 })
	sort.SliceStable(orgs, func(i, j int) bool {
		if c := col.CompareString(unitName[orgs[i].parent], unitName[orgs[j].parent]); c != 0 {
			return c < 0
		}
		return col.CompareString(orgs[i].name, orgs[j].name) < 0
	})

	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	title := fmt.Sprintf("TỔNG HỢP CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG NĂM %d", year)
	subtitle := fmt.Sprintf("%s: %s đơn vị báo cáo, %s tổ chức cơ sở đảng. Số liệu lập ngày %s.",
		province[0].name, vnfmt.Int(int64(len(units))), vnfmt.Int(int64(len(orgs))), vnfmt.Date(now))

	const summary, orgSheet, notes = "Tổng hợp", "Tổ chức cơ sở đảng", "Giải thích"
	if err := f.SetSheetName("Sheet1", summary); err != nil {
		return nil, err
	}
	sw := &sheetWriter{f: f, sheet: summary, st: st, cols: summaryColumns()}
	rows := make([][]any, 0, len(units)+1)
	for i, u := range units {
		rows = append(rows, sw.values([]any{i + 1, u.code, u.name}, u.vals))
	}
	if err := sw.write(title, subtitle, rows, sw.values([]any{nil, nil, "Toàn tỉnh"}, province[0].vals)); err != nil {
		return nil, fmt.Errorf("excel %s: %w", summary, err)
	}

	if _, err := f.NewSheet(orgSheet); err != nil {
		return nil, err
	}
	ow := &sheetWriter{f: f, sheet: orgSheet, st: st, cols: orgColumns()}
	rows = rows[:0]
	for i, o := range orgs {
		rows = append(rows, ow.values([]any{i + 1, unitName[o.parent], o.code, o.name}, o.vals))
	}
	if err := ow.write(fmt.Sprintf("TỔ CHỨC CƠ SỞ ĐẢNG NĂM %d", year), subtitle, rows, nil); err != nil {
		return nil, fmt.Errorf("excel %s: %w", orgSheet, err)
	}
	if err := writeDataTests(ctx, db, f, "Kiểm tra dữ liệu", st, year); err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	applied, err := appliedRules(ctx, db, year)
	if err != nil {
		return nil, fmt.Errorf("excel: %w", err)
	}
	if err := writeNotes(f, notes, st, year, applied); err != nil {
		return nil, fmt.Errorf("excel %s: %w", notes, err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title:   title,
		Subject: "Chất lượng tổ chức cơ sở đảng",
		Creator: "Ban Tổ chức Tỉnh ủy",
		Created: now.UTC().Format(time.RFC3339),
	}); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	if err := saveAtomic(f, path); err != nil {
		return nil, err
	}
	return &ExcelReport{Path: path, ReportingUnits: len(units), Organizations: len(orgs)}, nil
}

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
	if _, err := f.WriteTo(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("excel %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// rulesApplied is the rule set the year's metrics were computed with, as the
// last transform of the year recorded it.
type rulesApplied struct {
	set    *transform.RuleSet
	sha256 string
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
	return &rulesApplied{set: set, sha256: sha}, nil
}

// writeDataTests is the sheet of the data tests' warnings for the year: what
// each found, how often, and an example, or a line saying there were none.
func writeDataTests(ctx context.Context, db *sql.DB, f *excelize.File, sh string, st *styles, year int) error {
	rows, err := db.QueryContext(ctx, `SELECT coalesce(title, test), failures, coalesce(split_part(sample, chr(10), 1), ''), test
		FROM data_test_results WHERE year = ? ORDER BY failures DESC, test`, year)
	if err != nil {
		return err
	}
	defer rows.Close()
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	put := func(r int, style int, vals ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sh, cell, &vals); err != nil {
			return err
		}
		return f.SetCellStyle(sh, cell, fmt.Sprintf("D%d", r), style)
	}
	if err := f.SetCellStr(sh, "A1", fmt.Sprintf("KIỂM TRA DỮ LIỆU NĂM %d", year)); err != nil {
		return err
	}
	f.MergeCell(sh, "A1", "D1")
	f.SetCellStyle(sh, "A1", "D1", st.title)
	if err := put(3, st.noteHead, "Nội dung cảnh báo", "Số trường hợp", "Ví dụ", "Mã kiểm tra"); err != nil {
		return err
	}
	r := 4
	for rows.Next() {
		var title, sample, test string
		var n int64
		if err := rows.Scan(&title, &n, &sample, &test); err != nil {
			return err
		}
		if err := put(r, st.noteText, title, n, sample, test); err != nil {
			return err
		}
		f.SetCellStyle(sh, fmt.Sprintf("B%d", r), fmt.Sprintf("B%d", r), st.byFormat[fmtCount])
		r++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if r == 4 {
		if err := put(r, st.noteText, "Không có cảnh báo: mọi kiểm tra dữ liệu đều đạt.", nil, nil, nil); err != nil {
			return err
		}
		r++
	}
	for col, w := range map[string]float64{"A": 60, "B": 14, "C": 70, "D": 30} {
		f.SetColWidth(sh, col, col, w)
	}
	f.SetSheetDimension(sh, fmt.Sprintf("A1:D%d", r-1))
	return printSetup(f, sh, "$3:$3")
}
