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

// The template a reporting unit fills for a year: the contract's nine sheets
// with their Vietnamese headers, a first sheet Hướng dẫn saying what each
// column means, and drop-down lists, date and number rules on the columns, so
// that the mistakes born in a unit's office (a code typed into a General cell
// losing its leading zero, an enumeration spelled freely, a date typed as
// text) cannot be made. It is pre-filled from the unit's accepted report of
// the year before: ThongTin, the unit tree valid on 1 January and the members
// who still count, so the unit only updates what changed. Loaded back as
// written it gives no reject and no note.

// TemplateUnit is a unit a template is written for.
type TemplateUnit struct{ Code, Name string }

// TemplateName is the template's file name for a unit and year.
func TemplateName(unit string, year int) string {
	return fmt.Sprintf("mau-bao-cao-%s-%d.xlsx", UnitFileKey(unit), year)
}

// templateRows is how many rows the validations cover beyond the pre-filled ones.
const templateRows = 5000

// listSheet holds the drop-down lists (hidden): a list written inline in a
// validation may not pass 255 characters, and some labels hold commas.
const listSheet = "DanhMuc"

// WriteTemplate writes unit's template for year to path (through a temporary
// file), pre-filled from the unit's accepted report of year-1 in db (nothing
// pre-filled when there is none, or db is nil). It returns the rows pre-filled
// per sheet.
func WriteTemplate(ctx context.Context, db *sql.DB, u TemplateUnit, year int, path string, now time.Time) (map[string]int, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	pre, err := templatePrefill(ctx, db, u, year)
	if err != nil {
		return nil, err
	}
	if u.Name == "" {
		u.Name = pre.name
	}
	textFmt := "@"
	dateFmt := "dd/mm/yyyy"
	codeStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &textFmt})
	if err != nil {
		return nil, err
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", "Hướng dẫn"); err != nil {
		return nil, err
	}
	lists := map[string]string{} // list name → its range on the list sheet, written last
	var listCols [][]string
	listOf := func(name string, labels []string) string {
		if ref, ok := lists[name]; ok {
			return ref
		}
		listCols = append(listCols, append([]string{name}, labels...))
		col, _ := excelize.ColumnNumberToName(len(listCols))
		ref := fmt.Sprintf("%s!$%s$2:$%s$%d", listSheet, col, col, len(labels)+1)
		lists[name] = ref
		return ref
	}
	filled := map[string]int{}
	for _, spec := range ingest.Contract {
		sh := spec.Name
		if _, err := f.NewSheet(sh); err != nil {
			return nil, err
		}
		last, _ := excelize.ColumnNumberToName(len(spec.Columns))
		rows := pre.rows[spec.Name]
		filled[spec.Name] = len(rows)
		end := len(rows) + 1 + templateRows
		for i, c := range spec.Columns {
			col, _ := excelize.ColumnNumberToName(i + 1)
			width := max(12, float64(len([]rune(c.Header)))*0.9+2)
			if c.Kind == ingest.KindText && !strings.HasPrefix(c.Header, "Mã") {
				width = max(width, 24)
			}
			if c.Kind == ingest.KindEnum { // the longest choice shows whole
				for _, v := range c.Enum.Values {
					width = max(width, float64(len([]rune(v.Label)))+3)
				}
			}
			f.SetColWidth(sh, col, col, width)
			switch c.Kind {
			case ingest.KindCode:
				f.SetColStyle(sh, col, codeStyle) // text: Excel keeps the leading zeros
			case ingest.KindDate:
				f.SetColStyle(sh, col, dateStyle)
			}
			if dv := columnValidation(spec, c, listOf); dv != nil {
				dv.Sqref = fmt.Sprintf("%s2:%s%d", col, col, end)
				if err := f.AddDataValidation(sh, dv); err != nil {
					return nil, fmt.Errorf("template %s!%s: %w", sh, c.Header, err)
				}
			}
		}
		// the header after the columns' styles: a column style restyles the cells it finds
		header := make([]any, len(spec.Columns))
		for i, c := range spec.Columns {
			header[i] = c.Header
		}
		if err := f.SetSheetRow(sh, "A1", &header); err != nil {
			return nil, err
		}
		if err := f.SetCellStyle(sh, "A1", last+"1", st.header); err != nil {
			return nil, err
		}
		f.SetRowHeight(sh, 1, 36)
		for r, vals := range rows {
			for i, v := range vals {
				if v == nil {
					continue
				}
				cell, _ := excelize.CoordinatesToCellName(i+1, r+2)
				switch x := v.(type) {
				case string: // always text, never a formula
					err = f.SetCellStr(sh, cell, x)
				default:
					err = f.SetCellValue(sh, cell, x)
				}
				if err != nil {
					return nil, err
				}
				if spec.Columns[i].Kind == ingest.KindDate {
					f.SetCellStyle(sh, cell, cell, dateStyle)
				}
				if spec.Columns[i].Kind == ingest.KindCode {
					f.SetCellStyle(sh, cell, cell, codeStyle)
				}
			}
		}
		if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
		f.SetSheetDimension(sh, fmt.Sprintf("A1:%s%d", last, len(rows)+1))
		if err := printSetup(f, sh, "$1:$1"); err != nil {
			return nil, err
		}
	}
	// ThongTin names the unit and the year, whether or not last year's report is there
	if filled["ThongTin"] == 0 {
		row := []any{u.Code, u.Name, year, "v1"}
		if err := f.SetSheetRow("ThongTin", "A2", &row); err != nil {
			return nil, err
		}
		f.SetCellStyle("ThongTin", "A2", "A2", codeStyle)
		filled["ThongTin"] = 1
	}
	if err := writeGuide(f, st, u, year, pre.from, filled); err != nil {
		return nil, err
	}
	// the lists, on a hidden sheet after the contract's
	if _, err := f.NewSheet(listSheet); err != nil {
		return nil, err
	}
	longest := 0
	for i, list := range listCols {
		col, _ := excelize.ColumnNumberToName(i + 1)
		for k, v := range list {
			f.SetCellStr(listSheet, fmt.Sprintf("%s%d", col, k+1), v)
		}
		longest = max(longest, len(list))
	}
	lastList, _ := excelize.ColumnNumberToName(max(1, len(listCols)))
	f.SetSheetDimension(listSheet, fmt.Sprintf("A1:%s%d", lastList, max(1, longest)))
	if err := f.SetSheetVisible(listSheet, false); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	if err := f.SetDocProps(&excelize.DocProperties{Title: fmt.Sprintf("Mẫu báo cáo năm %d — %s", year, u.Name), Creator: "Ban Tổ chức Tỉnh ủy",
		Created: now.UTC().Format(time.RFC3339)}); err != nil {
		return nil, err
	}
	return filled, saveAtomic(f, path)
}

// columnValidation is the rule a column's cells follow: a drop-down list for an
// enumeration, Có/Không, or a code another sheet lists (a warning there, as the
// unit may add a row below); a date; a whole number in range.
func columnValidation(spec *ingest.SheetSpec, c ingest.Column, listOf func(string, []string) string) *excelize.DataValidation {
	dv := excelize.NewDataValidation(true)
	dv.SetError(excelize.DataValidationErrorStyleStop, c.Header, "Giá trị không hợp lệ: hãy chọn hoặc nhập theo hướng dẫn ở sheet Hướng dẫn")
	switch c.Kind {
	case ingest.KindEnum:
		var labels []string
		for _, v := range c.Enum.Values {
			labels = append(labels, v.Label)
		}
		dv.SetSqrefDropList(listOf(c.Enum.Name, labels))
		dv.SetInput(c.Header, "Chọn trong danh sách")
	case ingest.KindBool:
		dv.SetSqrefDropList(listOf("co_khong", []string{"Có", "Không"}))
		dv.SetInput(c.Header, "Chọn Có hoặc Không")
	case ingest.KindDate:
		if err := dv.SetRange("1920-01-01", "2100-12-31", excelize.DataValidationTypeDate, excelize.DataValidationOperatorBetween); err != nil {
			return nil
		}
		dv.SetInput(c.Header, "Ngày dạng dd/mm/yyyy, ví dụ 15/01/2026")
	case ingest.KindInt:
		if err := dv.SetRange(float64(c.Min), float64(c.Max), excelize.DataValidationTypeWhole, excelize.DataValidationOperatorBetween); err != nil {
			return nil
		}
		dv.SetInput(c.Header, "Số nguyên "+intRange(c))
	case ingest.KindCode:
		if ref := refList(spec, c); ref != "" {
			dv.SetSqrefDropList(ref)
			dv.SetError(excelize.DataValidationErrorStyleWarning, c.Header, "Mã này chưa có trong danh sách: hãy kiểm tra lại")
			dv.SetInput(c.Header, "Chọn mã có trong danh sách, hoặc nhập mã (giữ số 0 ở đầu)")
			return dv
		}
		return inputOnly(c, "Mã ghi dạng văn bản: giữ nguyên số 0 ở đầu") // any code may be typed
	default:
		return nil
	}
	return dv
}

// inputOnly is a validation that only shows a message.
func inputOnly(c ingest.Column, msg string) *excelize.DataValidation {
	dv := excelize.NewDataValidation(true)
	dv.SetInput(c.Header, msg)
	return dv
}

// refList is the range of codes a code column refers to: units of DonVi for a
// cell, members of DangVien for a member.
func refList(spec *ingest.SheetSpec, c ingest.Column) string {
	switch {
	case c.Name == "cell_code" && (spec.Name == "DangVien" || spec.Name == "SinhHoat"), c.Name == "parent_code" && spec.Name == "DonVi":
		return fmt.Sprintf("DonVi!$A$2:$A$%d", 20000)
	case c.Name == "member_code" && spec.Name != "DangVien":
		return fmt.Sprintf("DangVien!$A$2:$A$%d", 100000)
	}
	return ""
}

// prefill is last year's report, as the template writes it.
type prefill struct {
	name string
	from int                // the year it comes from; 0: none
	rows map[string][][]any // per sheet, in the contract's column order
}

func templatePrefill(ctx context.Context, db *sql.DB, u TemplateUnit, year int) (*prefill, error) {
	p := &prefill{rows: map[string][][]any{}}
	if db == nil {
		return p, nil
	}
	var name sql.NullString
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*), any_value(fi.declared_unit_name)
		FROM load_manifest m LEFT JOIN file_info fi USING (load_id)
		WHERE m.outcome = 'loaded' AND m.reporting_unit = ? AND m.report_year = ?`, u.Code, year-1).Scan(&n, &name)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	if n == 0 {
		return p, nil
	}
	p.name, p.from = name.String, year-1
	name2 := u.Name
	if name2 == "" {
		name2 = name.String
	}
	p.rows["ThongTin"] = [][]any{{u.Code, name2, year, "v1", nil, nil}}
	live := `load_id IN (SELECT load_id FROM load_manifest WHERE outcome = 'loaded' AND reporting_unit = $1 AND report_year = $2)`
	jan1 := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	queries := map[string]string{
		// the unit tree valid on 1 January of the year
		"DonVi": `SELECT unit_code, unit_name, unit_level, unit_type, parent_code, old_code, valid_from, valid_to FROM units
			WHERE ` + live + ` AND (valid_to IS NULL OR valid_to >= $3) ORDER BY source_row`,
		// the members who still count
		"DangVien": `SELECT member_code, full_name, birth_date, gender, cell_code, working, scheme_213, residence_commune,
			residence_cell_code, status, status_date FROM members
			WHERE ` + live + ` AND (status IS NULL OR status = 'dang_sinh_hoat' OR status_date >= $3) ORDER BY source_row`,
	}
	for _, sheet := range []string{"DonVi", "DangVien"} {
		spec := ingest.SheetByName(sheet)
		rows, err := db.QueryContext(ctx, queries[sheet], u.Code, year-1, jan1)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", sheet, err)
		}
		for rows.Next() {
			vals := make([]any, len(spec.Columns))
			ptrs := make([]any, len(vals))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return nil, err
			}
			for i, c := range spec.Columns {
				vals[i] = cellOf(c, vals[i])
			}
			p.rows[sheet] = append(p.rows[sheet], vals)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// cellOf is a warehouse value as the unit writes it: an enumeration's label,
// Có/Không, a date, a code as text.
func cellOf(c ingest.Column, v any) any {
	if v == nil {
		return nil
	}
	switch c.Kind {
	case ingest.KindEnum:
		if l := c.Enum.Label(fmt.Sprint(v)); l != "" {
			return l
		}
		return fmt.Sprint(v)
	case ingest.KindBool:
		if b, ok := v.(bool); ok && b {
			return "Có"
		}
		return "Không"
	case ingest.KindDate:
		if t, ok := v.(time.Time); ok {
			return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
		}
	case ingest.KindInt:
		return v
	}
	return fmt.Sprint(v)
}

// writeGuide is the first sheet: what the workbook is, each sheet and column,
// what is required and accepted, and the reasons orgqa most often rejects rows.
func writeGuide(f *excelize.File, st *styles, u TemplateUnit, year, from int, filled map[string]int) error {
	const sh = "Hướng dẫn"
	r := 1
	put := func(style int, vals ...string) {
		row := make([]any, 4)
		for i, v := range vals {
			row[i] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, r)
		f.SetSheetRow(sh, cell, &row)
		f.SetCellStyle(sh, cell, fmt.Sprintf("D%d", r), style)
		lines := 1
		for i, v := range vals {
			per := []int{20, 30, 18, 70}[min(i, 3)]
			lines = max(lines, (len([]rune(v))+per-1)/per)
		}
		f.SetRowHeight(sh, r, float64(15*lines+2))
		r++
	}
	f.SetCellStr(sh, "A1", fmt.Sprintf("MẪU BÁO CÁO NĂM %d — %s (mã %s)", year, strings.ToUpper(u.Name), u.Code))
	f.MergeCell(sh, "A1", "D1")
	f.SetCellStyle(sh, "A1", "D1", st.title)
	f.SetRowHeight(sh, 1, 24)
	r = 3
	intro := fmt.Sprint("Đơn vị điền các sheet của tệp này rồi gửi Ban Tổ chức Tỉnh ủy. Không đổi tên sheet, không đổi tên cột, không xóa dòng tiêu đề. Các ô có danh sách chọn: chọn trong danh sách; cột mã đã định dạng Văn bản để giữ số 0 ở đầu.")
	if from > 0 {
		intro += fmt.Sprintf(" Sheet ThongTin, DonVi và DangVien đã điền sẵn từ báo cáo năm %d đã được nhận (%s đơn vị, %s đảng viên còn sinh hoạt): chỉ cần cập nhật những gì thay đổi.",
			from, vnfmt.Int(int64(filled["DonVi"])), vnfmt.Int(int64(filled["DangVien"])))
	}
	put(st.noteText, "Cách dùng", intro)
	f.MergeCell(sh, fmt.Sprintf("B%d", r-1), fmt.Sprintf("D%d", r-1))
	f.SetRowHeight(sh, r-1, float64(15*((len([]rune(intro))+109)/110)+4)) // the text runs over B–D
	r++
	put(st.noteHead, "Sheet", "Cột", "Bắt buộc", "Giá trị nhận, định dạng, ví dụ")
	for _, spec := range ingest.Contract {
		put(st.noteHead, spec.Name, spec.Title, "", "")
		for _, c := range spec.Columns {
			req := ""
			if c.Required {
				req = "Bắt buộc"
			}
			put(st.noteText, "", c.Header, req, accepted(c))
		}
	}
	r++
	put(st.noteHead, "Lý do thường bị từ chối", "", "", "Cách tránh")
	for _, tip := range [][2]string{
		{"Mã mất số 0 ở đầu (0701 thành 701)", "Cột mã đã định dạng Văn bản: nhập hoặc dán đúng mã; không dán từ ô định dạng Số."},
		{"Giá trị không có trong danh sách", "Chọn trong danh sách thả xuống; không gõ tự do (ví dụ \"Hoàn thành tốt nhiệm vụ\", \"HTT\")."},
		{"Ngày không hợp lệ", "Nhập ngày dạng dd/mm/yyyy (15/01/2026), không ghi chữ (\"tháng 1/2026\")."},
		{"Mã chi bộ, mã đảng viên không có trong sheet DonVi, DangVien", "Mỗi mã được nhắc ở sheet khác phải có dòng của nó ở sheet DonVi hoặc DangVien."},
		{"Đổi tên hoặc xóa cột, thiếu cột bắt buộc", "Giữ nguyên dòng tiêu đề; có thể thêm cột riêng ở bên phải."},
		{"Mã đơn vị trùng với đơn vị khác", "Chỉ ghi các tổ chức, chi bộ của đơn vị mình."},
	} {
		put(st.noteText, tip[0], "", "", tip[1])
		f.MergeCell(sh, fmt.Sprintf("A%d", r-1), fmt.Sprintf("C%d", r-1))
	}
	for col, w := range map[string]float64{"A": 20, "B": 30, "C": 12, "D": 70} {
		f.SetColWidth(sh, col, col, w)
	}
	f.SetSheetDimension(sh, fmt.Sprintf("A1:D%d", r-1))
	return printSetup(f, sh, "")
}

// accepted says what a column takes, in words, with an example.
func accepted(c ingest.Column) string {
	switch c.Kind {
	case ingest.KindEnum:
		return "Chọn một trong: " + c.Enum.Labels()
	case ingest.KindBool:
		return "Có hoặc Không"
	case ingest.KindDate:
		return "Ngày dạng dd/mm/yyyy, ví dụ 15/01/2026"
	case ingest.KindInt:
		return "Số nguyên " + intRange(c)
	case ingest.KindCode:
		return "Mã, ghi dạng văn bản (giữ số 0 ở đầu), ví dụ 0100001"
	}
	return "Chữ"
}

// WriteTemplates writes the template of each unit for year into dir and
// returns the paths written.
func WriteTemplates(ctx context.Context, db *sql.DB, units []TemplateUnit, year int, dir string, now time.Time) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, u := range units {
		path := filepath.Join(dir, TemplateName(u.Code, year))
		if _, err := WriteTemplate(ctx, db, u, year, path, now); err != nil {
			return out, fmt.Errorf("template %s: %w", u.Code, err)
		}
		out = append(out, path)
	}
	return out, nil
}

// intRange is a whole-number column's range in words: a year as 2025, a count
// as 100.000.
func intRange(c ingest.Column) string {
	if c.Min >= 1900 && c.Max <= 2100 {
		return fmt.Sprintf("(năm) từ %d đến %d", c.Min, c.Max)
	}
	return fmt.Sprintf("từ %s đến %s", vnfmt.Int(c.Min), vnfmt.Int(c.Max))
}
