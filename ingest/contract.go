package ingest

import (
	"fmt"
	"strings"
	"time"
)

// Kind is how a column's text is read.
type Kind uint8

const (
	KindText Kind = iota // free text, stored trimmed and NFC
	KindCode             // an identifier: text, leading zeros kept
	KindDate             // Excel date or serial, dd/mm/yyyy, or ISO; stored as DATE
	KindInt              // whole number, Vietnamese separators allowed; range-checked
	KindEnum             // one of a list, matched ignoring case and diacritics; stored as its code
	KindBool             // Có / Không; stored as BOOLEAN
)

// Column is one column of a contract sheet.
type Column struct {
	Name     string // warehouse column
	Header   string // the header contract v1 writes
	Kind     Kind
	Required bool
	Enum     *Enum
	Min, Max int64 // for KindInt
}

// Ref says that a column must name a row loaded from another sheet of the same
// report. WhenColumn and WhenIs, when set, limit the check to some rows.
type Ref struct {
	Column, Table, TargetColumn string
	// WhenColumn, WhenIs: the reference holds only on rows whose WhenColumn
	// has the code WhenIs (a target is a unit or a member by its Đối tượng).
	WhenColumn, WhenIs string
}

// SheetSpec is one sheet of contract v1 and the warehouse table it loads into.
type SheetSpec struct {
	Name     string // sheet name as contract v1 writes it
	Title    string // what the sheet holds, in Vietnamese, for reject lists
	Table    string
	Columns  []Column
	Key      []string // unique within one report; later duplicates are rejected
	Refs     []Ref
	Required bool // a report without this sheet cannot be loaded
	// Check, when set, validates a parsed row as a whole and returns the column
	// at fault and a reason in Vietnamese, or "" when the row is fine.
	Check func(row []any, col map[string]int) (column, reason string)
}

// Column returns the index of the named warehouse column.
func (s *SheetSpec) column(name string) int {
	for i, c := range s.Columns {
		if c.Name == name {
			return i
		}
	}
	panic(fmt.Sprintf("contract: sheet %s has no column %s", s.Name, name))
}

// Contract is input contract v1 (domain.md §3), in load order: a sheet comes after
// the sheets its references point to.
var Contract = []*SheetSpec{
	{Name: "ThongTin", Title: "Thông tin báo cáo", Table: "file_info", Required: true, Columns: []Column{
		{Name: "declared_unit_code", Header: "Mã đơn vị báo cáo", Kind: KindCode, Required: true},
		{Name: "declared_unit_name", Header: "Tên đơn vị báo cáo", Kind: KindText},
		{Name: "declared_year", Header: "Năm báo cáo", Kind: KindInt, Required: true, Min: 1990, Max: 2100},
		{Name: "template_version", Header: "Phiên bản mẫu", Kind: KindText},
		{Name: "prepared_by", Header: "Người lập", Kind: KindText},
		{Name: "prepared_on", Header: "Ngày lập", Kind: KindDate},
	}},
	{Name: "DonVi", Title: "Đơn vị", Table: "units", Required: true, Key: []string{"unit_code"}, Columns: []Column{
		{Name: "unit_code", Header: "Mã đơn vị", Kind: KindCode, Required: true},
		{Name: "unit_name", Header: "Tên đơn vị", Kind: KindText, Required: true},
		{Name: "unit_level", Header: "Cấp", Kind: KindEnum, Required: true, Enum: EnumUnitLevel},
		{Name: "unit_type", Header: "Loại hình", Kind: KindEnum, Enum: EnumUnitType},
		{Name: "parent_code", Header: "Mã đơn vị cấp trên", Kind: KindCode},
		{Name: "old_code", Header: "Mã cũ", Kind: KindCode},
		{Name: "valid_from", Header: "Hiệu lực từ", Kind: KindDate},
		{Name: "valid_to", Header: "Hiệu lực đến", Kind: KindDate},
	}, Check: checkValidity},
	{Name: "DangVien", Title: "Đảng viên", Table: "members", Required: true, Key: []string{"member_code"},
		Refs: []Ref{{Column: "cell_code", Table: "units", TargetColumn: "unit_code"}},
		Columns: []Column{
			{Name: "member_code", Header: "Mã đảng viên", Kind: KindCode, Required: true},
			{Name: "full_name", Header: "Họ và tên", Kind: KindText, Required: true},
			{Name: "birth_date", Header: "Ngày sinh", Kind: KindDate},
			{Name: "gender", Header: "Giới tính", Kind: KindText},
			{Name: "cell_code", Header: "Mã chi bộ", Kind: KindCode, Required: true},
			{Name: "working", Header: "Đang công tác", Kind: KindBool, Required: true},
			{Name: "scheme_213", Header: "Diện 213", Kind: KindEnum, Enum: EnumScheme213},
			{Name: "residence_commune", Header: "Xã phường cư trú", Kind: KindText},
			{Name: "residence_cell_code", Header: "Mã chi bộ cư trú", Kind: KindCode},
			{Name: "status", Header: "Trạng thái", Kind: KindEnum, Enum: EnumMemberStatus},
			{Name: "status_date", Header: "Ngày trạng thái", Kind: KindDate},
		}},
	{Name: "GioiThieu", Title: "Giấy giới thiệu (mẫu 1-213)", Table: "letters", Key: []string{"member_code", "signed_on"},
		Refs: []Ref{{Column: "member_code", Table: "members", TargetColumn: "member_code"}},
		Columns: []Column{
			{Name: "member_code", Header: "Mã đảng viên", Kind: KindCode, Required: true},
			{Name: "letter_no", Header: "Số giấy", Kind: KindText},
			{Name: "signed_on", Header: "Ngày ký", Kind: KindDate, Required: true},
			{Name: "commune_confirmed_on", Header: "Ngày xã xác nhận", Kind: KindDate},
			{Name: "cell_received_on", Header: "Ngày chi bộ nhận", Kind: KindDate},
			{Name: "residence_commune", Header: "Xã phường cư trú", Kind: KindText},
		}},
	{Name: "NhanXet", Title: "Phiếu nhận xét (mẫu 3-213)", Table: "comments", Key: []string{"member_code", "comment_year"},
		Refs: []Ref{{Column: "member_code", Table: "members", TargetColumn: "member_code"}},
		Columns: []Column{
			{Name: "member_code", Header: "Mã đảng viên", Kind: KindCode, Required: true},
			{Name: "comment_year", Header: "Năm", Kind: KindInt, Required: true, Min: 1990, Max: 2100},
			{Name: "residence_cell_code", Header: "Mã chi bộ cư trú", Kind: KindCode},
			{Name: "meeting_on", Header: "Ngày họp", Kind: KindDate},
			{Name: "conclusion", Header: "Kết luận", Kind: KindEnum, Enum: EnumConclusion},
			{Name: "content", Header: "Nội dung", Kind: KindText},
			{Name: "sent_on", Header: "Ngày gửi", Kind: KindDate},
			{Name: "received_on", Header: "Ngày nơi công tác nhận", Kind: KindDate},
			{Name: "channel", Header: "Kênh", Kind: KindEnum, Enum: EnumChannel},
		}},
	{Name: "SinhHoat", Title: "Sinh hoạt chi bộ", Table: "meetings", Key: []string{"cell_code", "meeting_on", "meeting_kind"},
		Refs: []Ref{{Column: "cell_code", Table: "units", TargetColumn: "unit_code"}},
		Columns: []Column{
			{Name: "cell_code", Header: "Mã chi bộ", Kind: KindCode, Required: true},
			{Name: "meeting_on", Header: "Ngày họp", Kind: KindDate, Required: true},
			{Name: "meeting_kind", Header: "Loại", Kind: KindEnum, Required: true, Enum: EnumMeetingKind},
			{Name: "duration_min", Header: "Thời lượng (phút)", Kind: KindInt, Min: 0, Max: 1440},
			{Name: "members", Header: "Số đảng viên", Kind: KindInt, Required: true, Min: 0, Max: 100000},
			{Name: "exempt", Header: "Số miễn sinh hoạt", Kind: KindInt, Min: 0, Max: 100000},
			{Name: "present", Header: "Có mặt", Kind: KindInt, Required: true, Min: 0, Max: 100000},
			{Name: "absent_excused", Header: "Vắng có lý do", Kind: KindInt, Min: 0, Max: 100000},
			{Name: "absent_unexcused", Header: "Vắng không lý do", Kind: KindInt, Min: 0, Max: 100000},
			{Name: "grade", Header: "Xếp loại", Kind: KindEnum, Enum: EnumMeetingGrade},
		}, Check: checkAttendance},
	{Name: "KiemTra", Title: "Kiểm tra, giám sát", Table: "inspections", Key: []string{"case_code", "target_type", "target_code"},
		Refs: []Ref{
			{Column: "target_code", Table: "units", TargetColumn: "unit_code", WhenColumn: "target_type", WhenIs: "to_chuc"},
			{Column: "target_code", Table: "members", TargetColumn: "member_code", WhenColumn: "target_type", WhenIs: "dang_vien"},
		},
		Columns: []Column{
			{Name: "case_code", Header: "Mã vụ việc", Kind: KindCode, Required: true},
			{Name: "activity", Header: "Hoạt động", Kind: KindEnum, Required: true, Enum: EnumActivity},
			{Name: "inspection_kind", Header: "Loại", Kind: KindEnum, Required: true, Enum: EnumInspectionKind},
			{Name: "subject_code", Header: "Mã chủ thể", Kind: KindCode},
			{Name: "target_type", Header: "Đối tượng", Kind: KindEnum, Required: true, Enum: EnumTarget},
			{Name: "target_code", Header: "Mã đối tượng", Kind: KindCode, Required: true},
			{Name: "started_on", Header: "Ngày bắt đầu", Kind: KindDate},
			{Name: "concluded_on", Header: "Ngày kết luận", Kind: KindDate},
			{Name: "violation", Header: "Có vi phạm", Kind: KindBool},
		}},
	{Name: "KyLuat", Title: "Kỷ luật", Table: "disciplines",
		Refs: []Ref{
			{Column: "target_code", Table: "units", TargetColumn: "unit_code", WhenColumn: "target_type", WhenIs: "to_chuc"},
			{Column: "target_code", Table: "members", TargetColumn: "member_code", WhenColumn: "target_type", WhenIs: "dang_vien"},
		},
		Columns: []Column{
			{Name: "case_code", Header: "Mã vụ việc", Kind: KindCode},
			{Name: "target_type", Header: "Đối tượng", Kind: KindEnum, Required: true, Enum: EnumTarget},
			{Name: "target_code", Header: "Mã đối tượng", Kind: KindCode, Required: true},
			{Name: "form", Header: "Hình thức", Kind: KindEnum, Required: true, Enum: EnumDisciplineForm},
			{Name: "decided_on", Header: "Ngày quyết định", Kind: KindDate, Required: true},
		}},
	{Name: "XepLoai", Title: "Xếp loại", Table: "ratings", Key: []string{"target_type", "target_code", "rating_year"},
		Refs: []Ref{
			{Column: "target_code", Table: "units", TargetColumn: "unit_code", WhenColumn: "target_type", WhenIs: "to_chuc"},
			{Column: "target_code", Table: "members", TargetColumn: "member_code", WhenColumn: "target_type", WhenIs: "dang_vien"},
		},
		Columns: []Column{
			{Name: "target_type", Header: "Đối tượng", Kind: KindEnum, Required: true, Enum: EnumTarget},
			{Name: "target_code", Header: "Mã", Kind: KindCode, Required: true},
			{Name: "rating_year", Header: "Năm", Kind: KindInt, Required: true, Min: 1990, Max: 2100},
			{Name: "score", Header: "Điểm", Kind: KindInt, Min: 0, Max: 100},
			{Name: "self_rating", Header: "Tự xếp loại", Kind: KindEnum, Enum: EnumRating},
			{Name: "rating", Header: "Xếp loại", Kind: KindEnum, Required: true, Enum: EnumRating},
		}},
}

// SheetByName finds a contract sheet by its contract name.
func SheetByName(name string) *SheetSpec {
	for _, s := range Contract {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func checkValidity(row []any, col map[string]int) (string, string) {
	from, ok1 := row[col["valid_from"]].(time.Time)
	to, ok2 := row[col["valid_to"]].(time.Time)
	if ok1 && ok2 && to.Before(from) {
		return "valid_to", "Ngày hiệu lực đến trước ngày hiệu lực từ"
	}
	return "", ""
}

func checkAttendance(row []any, col map[string]int) (string, string) {
	n := func(name string) int32 {
		v, _ := row[col[name]].(int32)
		return v
	}
	members, exempt, present := n("members"), n("exempt"), n("present")
	if exempt > members {
		return "exempt", fmt.Sprintf("Số miễn sinh hoạt (%d) lớn hơn số đảng viên (%d)", exempt, members)
	}
	if present > members-exempt {
		return "present", fmt.Sprintf("Số có mặt (%d) lớn hơn số đảng viên phải dự (%d)", present, members-exempt)
	}
	return "", ""
}

// Enum is a closed list of values. Codes are what the warehouse stores; labels
// are contract v1's Vietnamese words, and aliases other spellings units use.
type Enum struct {
	Name   string
	Values []EnumValue
	index  map[string]string // folded label or alias -> code
}

// EnumValue is one member of an Enum.
type EnumValue struct {
	Code, Label string
	Aliases     []string
}

func newEnum(name string, values ...EnumValue) *Enum {
	e := &Enum{Name: name, Values: values, index: map[string]string{}}
	for _, v := range values {
		e.index[Fold(v.Label)] = v.Code
		e.index[Fold(v.Code)] = v.Code
		for _, a := range v.Aliases {
			e.index[Fold(a)] = v.Code
		}
	}
	return e
}

// Lookup returns the code for a label, alias or code, ignoring case and diacritics.
func (e *Enum) Lookup(s string) (string, bool) {
	c, ok := e.index[Fold(s)]
	return c, ok
}

// Label returns the Vietnamese label for a code ("" when unknown).
func (e *Enum) Label(code string) string {
	for _, v := range e.Values {
		if v.Code == code {
			return v.Label
		}
	}
	return ""
}

// Labels lists the accepted labels, for a reject reason.
func (e *Enum) Labels() string {
	ls := make([]string, len(e.Values))
	for i, v := range e.Values {
		ls[i] = v.Label
	}
	return strings.Join(ls, ", ")
}

var (
	EnumUnitLevel = newEnum("unit_level",
		EnumValue{"tren_co_so", "Đảng bộ cấp trên cơ sở", []string{"Cấp trên cơ sở", "Đảng bộ cấp trên"}},
		EnumValue{"co_so", "Tổ chức cơ sở đảng", []string{"Cơ sở", "Đảng bộ cơ sở", "Chi bộ cơ sở", "TCCS đảng", "TCCSĐ"}},
		EnumValue{"chi_bo", "Chi bộ", []string{"Chi bộ trực thuộc", "Chi bộ trực thuộc đảng ủy cơ sở"}})
	EnumUnitType = newEnum("unit_type",
		EnumValue{"xa_phuong", "Xã phường", []string{"Xã, phường", "Xã/phường", "Xã, phường, thị trấn", "Xã phường thị trấn"}},
		EnumValue{"co_quan", "Cơ quan", nil},
		EnumValue{"su_nghiep", "Sự nghiệp", []string{"Đơn vị sự nghiệp"}},
		EnumValue{"doanh_nghiep", "Doanh nghiệp", nil},
		EnumValue{"luc_luong_vu_trang", "Lực lượng vũ trang", []string{"LLVT", "Quân đội, công an", "Quân sự, công an"}},
		EnumValue{"khac", "Khác", nil})
	EnumYesNo = newEnum("yes_no",
		EnumValue{"co", "Có", []string{"x", "yes", "true"}},
		EnumValue{"khong", "Không", []string{"no", "false"}})
	EnumScheme213 = newEnum("scheme_213",
		EnumValue{"gioi_thieu", "Giới thiệu", []string{"Giới thiệu về nơi cư trú", "Có giới thiệu"}},
		EnumValue{"mien", "Miễn sinh hoạt nơi cư trú", []string{"Miễn", "Miễn sinh hoạt", "Miễn sinh hoạt tại nơi cư trú"}},
		EnumValue{"khong_gioi_thieu", "Không giới thiệu", []string{"Không"}})
	EnumMemberStatus = newEnum("member_status",
		EnumValue{"dang_sinh_hoat", "Đang sinh hoạt", []string{"Đang SH"}},
		EnumValue{"chuyen_di", "Chuyển đi", []string{"Chuyển sinh hoạt", "Chuyển sinh hoạt đi"}},
		EnumValue{"tu_tran", "Từ trần", []string{"Chết", "Qua đời"}},
		EnumValue{"xoa_ten", "Xóa tên", []string{"Xoá tên"}},
		EnumValue{"khai_tru", "Khai trừ", nil},
		EnumValue{"ra_khoi_dang", "Ra khỏi Đảng", []string{"Xin ra khỏi Đảng"}})
	EnumConclusion = newEnum("conclusion",
		EnumValue{"tot", "Tốt", nil},
		EnumValue{"chua_tot", "Chưa tốt", nil})
	EnumChannel = newEnum("channel",
		EnumValue{"giay", "Giấy", []string{"Bản giấy", "Văn bản"}},
		EnumValue{"dich_vu_cong", "Dịch vụ công", []string{"Cổng dịch vụ công", "DVC", "Trực tuyến"}})
	EnumMeetingKind = newEnum("meeting_kind",
		EnumValue{"thuong_ky", "Thường kỳ", []string{"Định kỳ"}},
		EnumValue{"chuyen_de", "Chuyên đề", nil},
		EnumValue{"ket_hop", "Kết hợp", []string{"Thường kỳ kết hợp chuyên đề", "Thường kỳ + chuyên đề"}})
	EnumMeetingGrade = newEnum("meeting_grade",
		EnumValue{"tot", "Tốt", nil},
		EnumValue{"kha", "Khá", nil},
		EnumValue{"trung_binh", "Trung bình", []string{"TB"}},
		EnumValue{"kem", "Kém", []string{"Yếu", "Yếu kém"}})
	EnumActivity = newEnum("activity",
		EnumValue{"kiem_tra", "Kiểm tra", nil},
		EnumValue{"giam_sat", "Giám sát", nil})
	EnumInspectionKind = newEnum("inspection_kind",
		EnumValue{"thuong_xuyen", "Thường xuyên", nil},
		EnumValue{"chuyen_de", "Chuyên đề", nil},
		EnumValue{"dau_hieu_vi_pham", "Dấu hiệu vi phạm", []string{"Khi có dấu hiệu vi phạm", "Có dấu hiệu vi phạm"}})
	EnumTarget = newEnum("target",
		EnumValue{"to_chuc", "Tổ chức", []string{"Tổ chức đảng"}},
		EnumValue{"dang_vien", "Đảng viên", nil})
	EnumDisciplineForm = newEnum("discipline_form",
		EnumValue{"khien_trach", "Khiển trách", nil},
		EnumValue{"canh_cao", "Cảnh cáo", nil},
		EnumValue{"cach_chuc", "Cách chức", nil},
		EnumValue{"khai_tru", "Khai trừ", nil},
		EnumValue{"giai_tan", "Giải tán", nil})
	EnumRating = newEnum("rating",
		EnumValue{"htxs", "HTXS", []string{"Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành xuất sắc"}},
		EnumValue{"htt", "HTT", []string{"Hoàn thành tốt nhiệm vụ", "Hoàn thành tốt"}},
		EnumValue{"ht", "HT", []string{"Hoàn thành nhiệm vụ", "Hoàn thành"}},
		EnumValue{"kht", "KHT", []string{"Không hoàn thành nhiệm vụ", "Không hoàn thành"}})
)
