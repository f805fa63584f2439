package ingest

import (
	"errors"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestHeaderMatching(t *testing.T) {
	spec := SheetByName("DangVien")
	required := []string{"Mã đảng viên", "Họ và tên", "Mã chi bộ", "Đang công tác"}
	tests := []struct {
		name  string
		rows  [][]string
		row   int               // the header's row, 0 when none is found
		where map[string]string // contract column -> letter
	}{
		{"contract headers", [][]string{required}, 1, map[string]string{"member_code": "A", "working": "D"}},
		{"title rows above", [][]string{{"DANH SÁCH ĐẢNG VIÊN"}, {}, {"STT", "Mã đảng viên", "Họ và tên", "Mã chi bộ", "Đang công tác"}}, 3,
			map[string]string{"member_code": "B", "full_name": "C"}},
		{"no diacritics, capitals", [][]string{{"MA DANG VIEN", "HO VA TEN", "MA CHI BO", "DANG CONG TAC"}}, 1, map[string]string{"cell_code": "C"}},
		{"NFD text", [][]string{{norm.NFD.String("Mã đảng viên"), norm.NFD.String("Họ và tên"), norm.NFD.String("Mã chi bộ"), norm.NFD.String("Đang công tác")}}, 1,
			map[string]string{"full_name": "B"}},
		{"punctuation and spacing", [][]string{{"Mã đảng viên (*)", " Họ  và tên ", "Mã_chi_bộ", "Đang công tác?"}}, 1, map[string]string{"working": "D"}},
		{"aliases", [][]string{{"Số thẻ đảng viên", "Họ tên", "Mã chi bộ sinh hoạt", "Đảng viên đang công tác", "Diện QĐ 213"}}, 1,
			map[string]string{"member_code": "A", "scheme_213": "E"}},
		{"any order, extra columns", [][]string{{"Ghi chú", "Đang công tác", "Mã chi bộ", "Quê quán", "Họ và tên", "Mã đảng viên"}}, 1,
			map[string]string{"member_code": "F", "working": "B"}},
		{"a required column missing", [][]string{{"Mã đảng viên", "Họ và tên", "Mã chi bộ"}}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := newHeaderFinder(spec)
			if err != nil {
				t.Fatal(err)
			}
			var hm *HeaderMap
			for i, r := range tt.rows {
				if hm, _ = h.try(i+1, r); hm != nil {
					break
				}
			}
			if tt.row == 0 {
				if hm != nil {
					t.Fatalf("found a header at row %d, want none", hm.Row)
				}
				var me *MissingHeaderError
				if err := h.missing(); !errors.As(err, &me) || strings.Join(me.Missing, ",") != "Đang công tác" {
					t.Errorf("missing() = %v, want it to name Đang công tác", err)
				}
				return
			}
			if hm == nil || hm.Row != tt.row {
				t.Fatalf("header row %v, want %d", hm, tt.row)
			}
			for col, letter := range tt.where {
				if got := ColumnLetter(hm.Index[spec.column(col)]); got != letter {
					t.Errorf("%s at %s, want %s", col, got, letter)
				}
			}
		})
	}
}

func TestSheetNames(t *testing.T) {
	for in, want := range map[string]string{"DangVien": "DangVien", "Đảng viên": "DangVien", "DANG VIEN": "DangVien", "Danh sách đảng viên": "DangVien",
		"Mẫu 1-213": "GioiThieu", "Kỷ luật": "KyLuat", "Sheet1": "", "Danh mục": ""} {
		s, err := SheetFor(in)
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if s != nil {
			got = s.Name
		}
		if got != want {
			t.Errorf("SheetFor(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestColumnLetter(t *testing.T) {
	for pos, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := ColumnLetter(pos); got != want {
			t.Errorf("ColumnLetter(%d) = %s, want %s", pos, got, want)
		}
	}
}

func TestAliasFileIsValid(t *testing.T) {
	if _, err := buildNames(aliasesText); err != nil {
		t.Fatal(err)
	}
	if _, err := buildNames("DangVien\tno_such_column\tX\n"); err == nil {
		t.Error("an alias for an unknown column was accepted")
	}
	if _, err := buildNames("DangVien\tfull_name\tMã chi bộ\n"); err == nil {
		t.Error("an alias that names another column was accepted")
	}
}

func FuzzHeaderFinder(f *testing.F) {
	f.Add("Mã đảng viên", "Họ và tên", "Mã chi bộ", "Đang công tác")
	f.Add("STT", "M· ®¶ng viªn", "Hä vµ tªn", "")
	f.Add("", "\u0301", "ĐĐĐ", "Tổng cộng")
	f.Fuzz(func(t *testing.T, a, b, c, d string) {
		spec := SheetByName("DangVien")
		h, err := newHeaderFinder(spec)
		if err != nil {
			t.Fatal(err)
		}
		cells := []string{a, b, c, d}
		hm, _ := h.try(1, cells)
		if hm == nil {
			if err := h.missing(); err == nil {
				t.Fatal("no header and no error")
			}
			return
		}
		// every matched cell really names its column
		for i, pos := range hm.Index {
			if pos < 0 {
				continue
			}
			if pos >= len(cells) {
				t.Fatalf("column %s at %d, beyond the row", spec.Columns[i].Name, pos)
			}
			dec, _ := DecodeLegacy(cells[pos], Unicode)
			n, _ := matchNames()
			if n.columns[spec][Fold(dec)] != i {
				t.Fatalf("cell %q matched to %s", cells[pos], spec.Columns[i].Name)
			}
		}
	})
}
