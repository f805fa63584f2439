package ingest

import (
	"reflect"
	"strings"
	"testing"
)

// TestSplitPlanAssign: whose each row of a two-unit workbook is, by the DonVi
// tree, and why a row can be nobody's or both units'.
func TestSplitPlanAssign(t *testing.T) {
	ui := &unitIndex{earlier: map[string]bool{"0100": true, "0200": true}, now: map[string]bool{}}
	row := func(n int, kv ...string) planRow {
		r := planRow{row: n, codes: map[string]string{}}
		for i := 0; i < len(kv); i += 2 {
			r.codes[kv[i]] = kv[i+1]
		}
		return r
	}
	base := func() *splitPlan {
		return &splitPlan{rows: map[*SheetSpec][]planRow{
			SheetByName("ThongTin"): {row(2, "declared_unit_code", "0100", "declared_year", "2025"),
				row(3, "declared_unit_code", "200", "declared_year", "2025")}, // the second unit's code typed as a number
			SheetByName("DonVi"): {
				row(2, "unit_code", "0100001", "parent_code", "0100"), // no row for the unit itself
				row(3, "unit_code", "010000101", "parent_code", "0100001"),
				row(4, "unit_code", "0200", "parent_code", ""),
				row(5, "unit_code", "0200001", "parent_code", "0200"),
				row(6, "unit_code", "020000101", "parent_code", "0200001"),
				row(7, "unit_code", "B1", "parent_code", "0100001"), // a cell of 0100 whose code is a member's of 0200
			},
			SheetByName("DangVien"): {
				row(2, "member_code", "A1", "cell_code", "010000101"),
				row(3, "member_code", "B1", "cell_code", "20000101"), // the cell typed as a number
			},
			SheetByName("GioiThieu"): {row(2, "member_code", "B1"), row(3, "member_code", "A1")},
			SheetByName("SinhHoat"):  {row(2, "cell_code", "020000101")},
			SheetByName("KiemTra"): {
				row(2, "target_type", "to_chuc", "target_code", "0100001", "subject_code", "0100"),
				row(3, "target_type", "dang_vien", "target_code", "KHONG-CO", "subject_code", "0200"), // by its subject
			},
			SheetByName("XepLoai"): {row(2, "target_type", "to_chuc", "target_code", "0200"), row(3, "target_type", "dang_vien", "target_code", "A1"),
				row(4, "target_type", "dang_vien", "target_code", "B1"), row(5, "target_type", "to_chuc", "target_code", "B1")}, // by Đối tượng
		}}
	}
	// a row's codes as add reads them from the cells: Đối tượng however it is typed, as its code
	kl := SheetByName("KyLuat")
	read := &splitPlan{rows: map[*SheetSpec][]planRow{}}
	read.add(kl, &HeaderMap{Spec: kl, Index: []int{0, 1, 2, 3, 4}}, 7, []string{"KL-1", "dang vien", " A1 ", "Khiển trách", "01/02/2025"})
	if got := read.rows[kl][0]; got.row != 7 || got.codes["target_type"] != "dang_vien" || got.codes["target_code"] != "A1" {
		t.Errorf("KyLuat row read as %+v", got)
	}

	p := base()
	bad, empty := p.assign(ui)
	if len(bad) > 0 || len(empty) > 0 {
		t.Fatalf("unplaced %v, empty %v", bad, empty)
	}
	if !reflect.DeepEqual(p.units, []string{"0100", "0200"}) {
		t.Errorf("units %v", p.units)
	}
	owners := map[string]string{}
	for k, u := range p.owner {
		owners[k.spec.Name+":"+string(rune('0'+k.row))] = u
	}
	want := map[string]string{
		"ThongTin:2": "0100", "ThongTin:3": "0200",
		"DonVi:2": "0100", "DonVi:3": "0100", "DonVi:4": "0200", "DonVi:5": "0200", "DonVi:6": "0200", "DonVi:7": "0100",
		"DangVien:2": "0100", "DangVien:3": "0200", "GioiThieu:2": "0200", "GioiThieu:3": "0100",
		"SinhHoat:2": "0200", "KiemTra:2": "0100", "KiemTra:3": "0200", "XepLoai:2": "0200", "XepLoai:3": "0100", "XepLoai:4": "0200", "XepLoai:5": "0100",
	}
	if !reflect.DeepEqual(owners, want) {
		t.Errorf("owners\n%v\nwant\n%v", owners, want)
	}

	// a cycle, a cell listed under both units, a member of no cell, a unit with nothing
	p = base()
	dv := SheetByName("DonVi")
	p.rows[dv] = append(p.rows[dv],
		row(7, "unit_code", "X1", "parent_code", "X2"), row(8, "unit_code", "X2", "parent_code", "X1"),
		row(9, "unit_code", "CHUNG", "parent_code", "0100001"), row(10, "unit_code", "CHUNG", "parent_code", "0200001"))
	mv := SheetByName("DangVien")
	p.rows[mv] = append(p.rows[mv], row(4, "member_code", "C1", "cell_code", "CHUNG"), row(5, "member_code", "D1", "cell_code", "KHONG"), row(6, "member_code", "E1", "cell_code", ""))
	p.rows[SheetByName("GioiThieu")] = append(p.rows[SheetByName("GioiThieu")], row(4, "member_code", "D1"))
	tt := SheetByName("ThongTin")
	p.rows[tt] = append(p.rows[tt], row(4, "declared_unit_code", "0300", "declared_year", "2025"))
	bad, empty = p.assign(ui)
	var got []string
	for _, b := range bad {
		got = append(got, b.sheet+" "+string(rune('0'+b.row))+" "+b.why)
	}
	wantBad := []string{
		"DonVi 7 đơn vị X1: chuỗi đơn vị cấp trên không dẫn tới đơn vị báo cáo nào",
		"DonVi 8 đơn vị X2: chuỗi đơn vị cấp trên không dẫn tới đơn vị báo cáo nào",
		"DangVien 4 mã chi bộ CHUNG thuộc cả hai đơn vị báo cáo",
		"DangVien 5 mã chi bộ KHONG không thuộc đơn vị nào trong sheet DonVi",
		"DangVien 6 mã chi bộ (trống) không thuộc đơn vị nào trong sheet DonVi",
		"GioiThieu 4 mã đảng viên D1: đảng viên này ở sheet DangVien chưa xác định được đơn vị",
	}
	if strings.Join(got, "\n") != strings.Join(wantBad, "\n") {
		t.Errorf("unplaced:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(wantBad, "\n"))
	}
	if !reflect.DeepEqual(empty, []string{"0300"}) {
		t.Errorf("units without a DonVi row: %v", empty)
	}
	fe := splitRefusal("x.xlsx", p.units, bad, empty)
	for _, w := range []string{"Sheet ThongTin có ba đơn vị báo cáo (0100, 0200 và 0300)", "sheet DonVi không có đơn vị nào thuộc 0300",
		"sheet DonVi dòng 7: đơn vị X1", "và 1 dòng khác", "mỗi đơn vị gửi tệp riêng"} {
		if !strings.Contains(fe.Reason, w) {
			t.Errorf("reason lacks %q:\n%s", w, fe.Reason)
		}
	}
}
