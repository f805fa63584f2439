package gen

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Sheet is one sheet of a report as a unit writes it: contract-v1 headers and rows
// whose cells are string, int, time.Time, *time.Time or nil (blank).
type Sheet struct {
	Name    string
	Headers []string
	Rows    [][]any
}

func optDate(t *time.Time) any {
	if t == nil {
		return nil
	}
	return *t
}

func optInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

// Sheets renders the report in contract v1's sheet order.
func (r *Report) Sheets() []Sheet {
	out := []Sheet{
		{Name: "ThongTin", Headers: []string{"Mã đơn vị báo cáo", "Tên đơn vị báo cáo", "Năm báo cáo", "Phiên bản mẫu", "Người lập", "Ngày lập"},
			Rows: [][]any{{r.UnitCode, r.UnitName, r.Year, "v1", r.Author, r.Created}}},
		{Name: "DonVi", Headers: []string{"Mã đơn vị", "Tên đơn vị", "Cấp", "Loại hình", "Mã đơn vị cấp trên", "Mã cũ", "Hiệu lực từ", "Hiệu lực đến"}},
		{Name: "DangVien", Headers: []string{"Mã đảng viên", "Họ và tên", "Ngày sinh", "Giới tính", "Mã chi bộ", "Đang công tác", "Diện 213", "Xã phường cư trú", "Mã chi bộ cư trú", "Trạng thái", "Ngày trạng thái"}},
		{Name: "GioiThieu", Headers: []string{"Mã đảng viên", "Số giấy", "Ngày ký", "Ngày xã xác nhận", "Ngày chi bộ nhận", "Xã phường cư trú"}},
		{Name: "NhanXet", Headers: []string{"Mã đảng viên", "Năm", "Mã chi bộ cư trú", "Ngày họp", "Kết luận", "Nội dung", "Ngày gửi", "Ngày nơi công tác nhận", "Kênh"}},
		{Name: "SinhHoat", Headers: []string{"Mã chi bộ", "Ngày họp", "Loại", "Thời lượng (phút)", "Số đảng viên", "Số miễn sinh hoạt", "Có mặt", "Vắng có lý do", "Vắng không lý do", "Xếp loại"}},
		{Name: "KiemTra", Headers: []string{"Mã vụ việc", "Hoạt động", "Loại", "Mã chủ thể", "Đối tượng", "Mã đối tượng", "Ngày bắt đầu", "Ngày kết luận", "Có vi phạm"}},
		{Name: "KyLuat", Headers: []string{"Mã vụ việc", "Đối tượng", "Mã đối tượng", "Hình thức", "Ngày quyết định"}},
		{Name: "XepLoai", Headers: []string{"Đối tượng", "Mã", "Năm", "Điểm", "Tự xếp loại", "Xếp loại"}},
	}
	for _, u := range r.Units {
		var parent, old any
		if u.Parent != "" {
			parent = u.Parent
		}
		if u.OldCode != "" {
			old = u.OldCode
		}
		out[1].Rows = append(out[1].Rows, []any{u.Code, u.Name, u.Level, blank(u.Type), parent, old, optDate(u.ValidFrom), optDate(u.ValidTo)})
	}
	for _, m := range r.Members {
		out[2].Rows = append(out[2].Rows, []any{m.Code, m.Name, m.Birth, m.Gender, m.CellCode, m.Working, blank(m.Scheme),
			blank(m.ResidenceCommune), blank(m.ResidenceCellCode), blank(m.Status), optDate(m.StatusDate)})
	}
	for _, l := range r.Letters {
		out[3].Rows = append(out[3].Rows, []any{l.MemberCode, l.Number, l.Signed, optDate(l.Confirmed), optDate(l.CellReceived), blank(l.Commune)})
	}
	for _, c := range r.Comments {
		out[4].Rows = append(out[4].Rows, []any{c.MemberCode, c.Year, blank(c.ResidenceCell), optDate(c.MeetingDate), blank(c.Conclusion),
			c.Content, optDate(c.Sent), optDate(c.Received), c.Channel})
	}
	for _, m := range r.Meetings {
		out[5].Rows = append(out[5].Rows, []any{m.CellCode, m.Date, m.Kind, m.Minutes, m.Members, m.Exempt, m.Present,
			m.AbsentExcused, m.AbsentUnexcused, blank(m.Grade)})
	}
	for _, in := range r.Inspections {
		out[6].Rows = append(out[6].Rows, []any{in.Case, in.Activity, in.Kind, in.Subject, in.TargetType, in.TargetCode,
			optDate(in.Start), optDate(in.Concluded), blank(in.Violation)})
	}
	for _, d := range r.Disciplines {
		out[7].Rows = append(out[7].Rows, []any{d.Case, d.TargetType, d.TargetCode, d.Form, d.Decided})
	}
	for _, rt := range r.Ratings {
		out[8].Rows = append(out[8].Rows, []any{rt.TargetType, rt.Code, rt.Year, optInt(rt.Score), rt.Self, rt.Rating})
	}
	return out
}

func blank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// FileName is the workbook's name: it varies between units and carries no meaning.
func (r *Report) FileName() string {
	code := strings.NewReplacer("/", "-", "\\", "-").Replace(r.UnitCode) // a code may hold a path separator
	switch n := r.UnitCode[len(r.UnitCode)-1] % 3; n {
	case 0:
		return fmt.Sprintf("bao-cao-%s-%d.xlsx", code, r.Year)
	case 1:
		return fmt.Sprintf("Báo cáo năm %d - %s.xlsx", r.Year, code)
	default:
		return fmt.Sprintf("BC_TCCS_%s_%d.xlsx", code, r.Year)
	}
}

// WriteXLSX writes the report as one workbook in dir, streaming rows, and returns its path.
func (r *Report) WriteXLSX(dir string) (string, error) {
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14, CustomNumFmt: strPtr("dd/mm/yyyy")})
	if err != nil {
		return "", err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return "", err
	}
	for i, s := range r.Sheets() {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.Name); err != nil {
				return "", err
			}
		} else if _, err := f.NewSheet(s.Name); err != nil {
			return "", err
		}
		sw, err := f.NewStreamWriter(s.Name)
		if err != nil {
			return "", err
		}
		if err := r.streamSheet(sw, s, dateStyle, bold); err != nil {
			return "", fmt.Errorf("sheet %s: %w", s.Name, err)
		}
		if err := sw.Flush(); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, r.FileName())
	tmp := path + ".tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	defer out.Close()
	if _, err := f.WriteTo(out); err != nil {
		return "", err
	}
	if err := out.Close(); err != nil {
		return "", err
	}
	return path, os.Rename(tmp, path)
}

func strPtr(s string) *string { return &s }

func (r *Report) streamSheet(sw *excelize.StreamWriter, s Sheet, dateStyle, bold int) error {
	row := 1
	put := func(vals []any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cell, vals)
	}
	lay := r.Layout
	if lay.TitleRows && s.Name != "ThongTin" {
		if err := put([]any{excelize.Cell{StyleID: bold, Value: fmt.Sprintf("%s - %s - năm %d", s.Name, r.UnitName, r.Year)}}); err != nil {
			return err
		}
		if err := put(nil); err != nil {
			return err
		}
	}
	stt := lay.STT && s.Name != "ThongTin"
	header := make([]any, 0, len(s.Headers)+1)
	if stt {
		header = append(header, excelize.Cell{StyleID: bold, Value: "STT"})
	}
	for _, h := range s.Headers {
		header = append(header, excelize.Cell{StyleID: bold, Value: h})
	}
	if err := put(header); err != nil {
		return err
	}
	vals := make([]any, 0, len(s.Headers)+1)
	for n, src := range s.Rows {
		vals = vals[:0]
		if stt {
			vals = append(vals, n+1)
		}
		for _, v := range src {
			if t, ok := v.(time.Time); ok {
				if lay.TextDates {
					v = t.Format("02/01/2006")
				} else {
					v = excelize.Cell{StyleID: dateStyle, Value: t}
				}
			}
			vals = append(vals, v)
		}
		if err := put(vals); err != nil {
			return err
		}
	}
	if lay.TotalRow && s.Name == "DangVien" {
		return put([]any{excelize.Cell{StyleID: bold, Value: "Tổng cộng"}, nil, len(s.Rows)})
	}
	return nil
}

// WriteCSV writes the report as one CSV per sheet, named <unit>_<year>_<Sheet>.csv.
func (r *Report) WriteCSV(dir string) ([]string, error) {
	var paths []string
	for _, s := range r.Sheets() {
		path := filepath.Join(dir, fmt.Sprintf("%s_%d_%s.csv", r.UnitCode, r.Year, s.Name))
		if err := r.writeCSVSheet(path, s); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func (r *Report) writeCSVSheet(path string, s Sheet) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriterSize(f, 1<<16)
	if r.Layout.BOM {
		w.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(s.Headers); err != nil {
		return err
	}
	rec := make([]string, len(s.Headers))
	for _, src := range s.Rows {
		for i, v := range src {
			rec[i] = csvText(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func csvText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case int:
		return strconv.Itoa(v)
	case time.Time:
		return v.Format("02/01/2006")
	default:
		return fmt.Sprint(v)
	}
}

// WriteSet generates every reporting unit of cfg into dir, one at a time, in
// xlsx or csv format. Each report is passed to keep, when given, after it is
// written; reports not kept are dropped, so memory does not grow with the set.
func WriteSet(cfg Config, dir, format string, keep func(*Report)) error {
	if format != "xlsx" && format != "csv" {
		return fmt.Errorf("format %q: want xlsx or csv", format)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i := 0; i < cfg.Scale.Units; i++ {
		rep := Generate(cfg, i)
		var err error
		if format == "csv" {
			_, err = rep.WriteCSV(dir)
		} else {
			_, err = rep.WriteXLSX(dir)
		}
		if err != nil {
			return fmt.Errorf("unit %s: %w", rep.UnitCode, err)
		}
		if keep != nil {
			keep(rep)
		}
	}
	return nil
}
