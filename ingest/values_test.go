package ingest

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"
)

func TestParseDate(t *testing.T) {
	d := func(y, m, dd int) time.Time { return time.Date(y, time.Month(m), dd, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"45658", d(2025, 1, 1), true},          // Excel serial, as a raw date cell reads
		{"45658.75", d(2025, 1, 1), true},       // with a time of day
		{"7306", d(1920, 1, 1), true},           // the first day accepted
		{"61", time.Time{}, false},              // 01/03/1900: before the window
		{"60", time.Time{}, false},              // 29/02/1900, Excel's phantom day
		{"2025", time.Time{}, false},            // a year typed in a date cell: 1905
		{"05/03/2025", d(2025, 3, 5), true},     // dd/mm/yyyy
		{"5/3/2025", d(2025, 3, 5), true},       // d/m/yyyy
		{"05-03-2025", d(2025, 3, 5), true},     // with dashes
		{"05.03.2025", d(2025, 3, 5), true},     // with dots
		{" 31/12/2025 ", d(2025, 12, 31), true}, // spaces around
		{"05/03/2025 00:00:00", d(2025, 3, 5), true},
		{"2025-03-05", d(2025, 3, 5), true}, // ISO
		{"2025-03-05T00:00:00Z", d(2025, 3, 5), true},
		{"2025-03-05 08:30", d(2025, 3, 5), true},
		{"29/02/2024", d(2024, 2, 29), true},
		{"29/02/2025", time.Time{}, false}, // not a leap year
		{"31/04/2025", time.Time{}, false}, // April has 30 days
		{"00/01/2025", time.Time{}, false},
		{"12/13/2025", time.Time{}, false}, // month 13 (a US date)
		{"05/03/25", d(2025, 3, 5), true},  // two-digit year: Excel's window
		{"22/07/25", d(2025, 7, 22), true},
		{"1/1/29", d(2029, 1, 1), true},
		{"1/1/30", d(1930, 1, 1), true},
		{"1/1/19", d(2019, 1, 1), true},
		{"1/1/1", time.Time{}, false},
		{"29/02/25", time.Time{}, false},
		{"2025/05/07", d(2025, 5, 7), true}, // yyyy/mm/dd
		{"2025.5.7", d(2025, 5, 7), true},
		{"2025/02/30", time.Time{}, false},
		{"2025/13/01", time.Time{}, false},
		{"ngày 08 tháng 6 năm 2025", d(2025, 6, 8), true},
		{"Ngày 8 tháng 6 năm 2025", d(2025, 6, 8), true},
		{"8 tháng 6 năm 2025", d(2025, 6, 8), true},
		{"ngày 8   tháng  06 năm 2025", d(2025, 6, 8), true},
		{"ngay 8 thang 6 nam 2025", d(2025, 6, 8), true},
		{"ngày 31 tháng 6 năm 2025", time.Time{}, false},
		{"ngày 8 tháng 6", time.Time{}, false},
		{"Long Hồ, ngày 24 tháng 01 năm 2026", time.Time{}, false}, // a place and date line, not a date cell
		{"2025-3-5", time.Time{}, false},
		{"2025-02-30", time.Time{}, false},
		{"01/01/2101", time.Time{}, false},
		{"", time.Time{}, false},
		{"hôm qua", time.Time{}, false},
		{"-45658", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseDate(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && !got.Equal(tt.want) {
				t.Errorf("ParseDate(%q) = %s, want %s", tt.in, got.Format("02/01/2006"), tt.want.Format("02/01/2006"))
			}
			if tt.ok && got.Location() != time.UTC {
				t.Errorf("ParseDate(%q) is in %s, want UTC", tt.in, got.Location())
			}
		})
	}
}

func TestExcelSerialAroundThePhantomDay(t *testing.T) {
	// Excel counts 29/02/1900, which never existed: serials after it are one day
	// ahead of a plain day count. Checked here without the 1920 window.
	for serial, want := range map[string]string{"59": "28/02/1900", "61": "01/03/1900", "1": "01/01/1900", "45292": "01/01/2024"} {
		got, err := serialDate(serial)
		if err != nil || got.Format("02/01/2006") != want {
			t.Errorf("serialDate(%s) = %s, %v; want %s", serial, got.Format("02/01/2006"), err, want)
		}
	}
	if _, err := serialDate("60"); err == nil {
		t.Error("serialDate(60) accepted 29/02/1900")
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"1296", 1296, true},
		{"1.296", 1296, true}, // Vietnamese thousands
		{"12.345.678", 12345678, true},
		{"1,296", 1296, true},
		{" 42 ", 42, true},
		{"12.0", 12, true}, // an Excel number that is whole
		{"1E3", 1000, true},
		{"-3", -3, true},
		{"1 296", 1296, true},
		{"1.5", 0, false},
		{"1,5", 0, false},
		{"12.34", 0, false},
		{"", 0, false},
		{"mười", 0, false},
		{"1e30", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseInt(tt.in)
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("ParseInt(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestFold(t *testing.T) {
	nfd := norm.NFD.String("Mã đảng viên")
	for _, in := range []string{"Mã đảng viên", nfd, "MÃ ĐẢNG VIÊN", "ma dang vien", "Mã_đảng-viên", " Mã  đảng viên* ", "MaDangVien"} {
		if got := Fold(in); got != "madangvien" {
			t.Errorf("Fold(%q) = %q, want madangvien", in, got)
		}
	}
	if Fold("Tổ chức") == Fold("Tốt") {
		t.Error("different words folded together")
	}
}

func TestEnumLookup(t *testing.T) {
	tests := []struct {
		enum *Enum
		in   string
		want string
	}{
		{EnumYesNo, "Có", "co"}, {EnumYesNo, "CÓ", "co"}, {EnumYesNo, "co", "co"}, {EnumYesNo, "Co", "co"},
		{EnumYesNo, "không", "khong"}, {EnumYesNo, "KHONG", "khong"},
		{EnumRating, "Hoàn thành xuất sắc nhiệm vụ", "htxs"}, {EnumRating, "htt", "htt"}, {EnumRating, "HT", "ht"},
		{EnumScheme213, "Miễn sinh hoạt nơi cư trú", "mien"}, {EnumScheme213, norm.NFD.String("Giới thiệu"), "gioi_thieu"},
		{EnumUnitLevel, "Chi bộ", "chi_bo"}, {EnumUnitLevel, "Tổ chức cơ sở đảng", "co_so"},
		{EnumInspectionKind, "Khi có dấu hiệu vi phạm", "dau_hieu_vi_pham"},
	}
	for _, tt := range tests {
		if got, ok := tt.enum.Lookup(tt.in); !ok || got != tt.want {
			t.Errorf("%s.Lookup(%q) = %q, %v; want %q", tt.enum.Name, tt.in, got, ok, tt.want)
		}
	}
	if _, ok := EnumYesNo.Lookup("Có lẽ"); ok {
		t.Error(`"Có lẽ" accepted as Có`)
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"45658", "05/03/2025", "2025-03-05", "29/02/2024", "60", "1.5", "31/12/9999",
		"2025/05/07", "ngày 08 tháng 6 năm 2025", "22/07/25", "8 thang 6 nam 2025"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseDate(s)
		if err != nil {
			return
		}
		if got.Before(minDate) || got.After(maxDate) || got.Location() != time.UTC || got.Hour() != 0 {
			t.Fatalf("ParseDate(%q) = %v: outside the window or not a UTC midnight", s, got)
		}
		// a date it accepts, written back as dd/mm/yyyy, reads as the same day
		again, err := ParseDate(got.Format("02/01/2006"))
		if err != nil || !again.Equal(got) {
			t.Fatalf("ParseDate(%q) = %v, but its dd/mm/yyyy form reads as %v, %v", s, got, again, err)
		}
	})
}

func FuzzParseInt(f *testing.F) {
	for _, s := range []string{"1.296", "12", "1,5", "1E3", "-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseInt(s)
		if err != nil {
			return
		}
		if again, err := ParseInt(strconv.FormatInt(n, 10)); err != nil || again != n {
			t.Fatalf("ParseInt(%q) = %d, which does not read back", s, n)
		}
	})
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"Mã đảng viên", "ĐẢNG", "a\u0301", "Tổng cộng"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := Fold(s)
		if Fold(k) != k {
			t.Fatalf("Fold is not idempotent on %q: %q then %q", s, k, Fold(k))
		}
		if Fold(norm.NFD.String(s)) != k || Fold(norm.NFC.String(s)) != k {
			t.Fatalf("Fold(%q) depends on the Unicode form", s)
		}
	})
}

// TestTextLimitCountsCharacters: the 4.000 limit and its reason are in
// characters, not bytes (Vietnamese letters take two or three bytes each).
func TestTextLimitCountsCharacters(t *testing.T) {
	name := &Column{Name: "full_name", Header: "Họ và tên", Kind: KindText}
	if v, reason := parseCell(name, strings.Repeat("ư", 3000)); reason != "" || v == nil { // 6.000 bytes
		t.Errorf("3.000 characters: %q", reason)
	}
	if _, reason := parseCell(name, strings.Repeat("ư", 4001)); reason != "Nội dung quá dài (4.001 ký tự, tối đa 4.000)" {
		t.Errorf("4.001 characters: %q", reason)
	}
	if got := capValue(strings.Repeat("ệ", 1500)); !strings.HasPrefix(got, strings.Repeat("ệ", 1000)+"… (đã cắt bớt, ô có 1.500 ký tự)") || len([]rune(got)) > 1040 {
		t.Errorf("capValue: %.60q…", got)
	}
}
