package ingest

import (
	"archive/zip"
	"context"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestFormulasWithoutValues: excelize writes formulas without a cached value.
// The one its engine computes is read as computed; the one it cannot is
// rejected with a reason that says what to do, not "missing value".
func TestFormulasWithoutValues(t *testing.T) {
	dir := t.TempDir()
	b := messyBook()
	b.sheets["SinhHoat"] = [][]any{
		{"Mã chi bộ", "Ngày họp", "Loại", "Số đảng viên", "Số miễn sinh hoạt", "Có mặt"},
		{"070100101", "2025-01-10", "Thường kỳ", 20, 2, nil},
		{"070100101", "2025-02-10", "Thường kỳ", 20, 2, nil},
	}
	path := filepath.Join(dir, "r.xlsx")
	b.write(t, path)
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellFormula("SinhHoat", "F2", "D2-E2-1")
	f.SetCellFormula("SinhHoat", "F3", "NOSUCHFUNCTION(D3)")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var present []int
	rows, _ := w.DB.Query(`SELECT present FROM meetings ORDER BY source_row`)
	for rows.Next() {
		var p int
		rows.Scan(&p)
		present = append(present, p)
	}
	rows.Close()
	if len(present) != 1 || present[0] != 17 {
		t.Errorf("meetings present %v, want [17] (row 2's formula computed)", present)
	}
	var reason, col string
	w.DB.QueryRow(`SELECT reason, column_letter FROM rejects WHERE sheet = 'SinhHoat' AND source_row = 3`).Scan(&reason, &col)
	if reason != uncalculatedReason || col != "F" {
		t.Errorf("row 3 rejected at %q for %q, want F for %q", col, reason, uncalculatedReason)
	}
	if notes := strings.Join(sum.Files[0].Notes, "\n"); !strings.Contains(notes, "Sheet SinhHoat: 1 ô công thức chưa có giá trị lưu sẵn") {
		t.Errorf("notes %q do not say a formula was computed", notes)
	}
}

// TestMissingColumnsOfEverySheet: a report lacking columns on two sheets is
// told about both at once.
func TestMissingColumnsOfEverySheet(t *testing.T) {
	dir := t.TempDir()
	b := messyBook()
	b.sheets["DangVien"][0] = []any{"Họ và tên", "Số thẻ"}
	b.sheets["SinhHoat"][0] = []any{"Mã chi bộ", "Ngày", "Loại"}
	b.write(t, filepath.Join(dir, "r.xlsx"))
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var fe *FileError
	if res := sum.Files[0]; res.Outcome != Failed || !errors.As(res.Err, &fe) {
		t.Fatalf("outcome %s, %v", res.Outcome, res.Err)
	}
	for _, want := range []string{"Sheet DangVien thiếu cột bắt buộc: Mã chi bộ, Đang công tác (dòng tiêu đề tìm thấy: Họ và tên, Số thẻ)",
		"; Sheet SinhHoat thiếu cột bắt buộc: Ngày họp, Số đảng viên, Có mặt (dòng tiêu đề tìm thấy: Mã chi bộ, Ngày, Loại)"} {
		if !strings.Contains(fe.Reason, want) {
			t.Errorf("reason %q\nwant it to say %q", fe.Reason, want)
		}
	}
}

func TestColumnNumberRows(t *testing.T) {
	for _, tt := range []struct {
		cells []string
		want  bool
	}{
		{[]string{"1", "2", "3", "4"}, true},
		{[]string{"(1)", "(2)", "(3)"}, true},
		{[]string{"A", "B", "C", "1", "2"}, true},
		{[]string{"1", "2", "3", "4=5+6", "5", "6"}, true},
		{[]string{"", "(1)", "", "(2)"}, true},
		{[]string{"1"}, false},                          // one number: a data row's STT
		{[]string{"1", "0100", "2025"}, false},          // a data row
		{[]string{"3", "2", "1"}, false},                // numbers falling
		{[]string{"1", "070100101", "Chi bộ 1"}, false}, // a data row
		{[]string{"1", "2", "Tốt"}, false},
	} {
		if got := columnNumbers(tt.cells); got != tt.want {
			t.Errorf("columnNumbers(%q) = %v, want %v", tt.cells, got, tt.want)
		}
	}
}

func TestSignatureBlock(t *testing.T) {
	for _, tt := range []struct {
		cells       []string
		start, rest bool
	}{
		{[]string{"", "Long Hồ, ngày 24 tháng 01 năm 2026"}, true, true},
		{[]string{"……, ngày … tháng … năm 20…"}, true, true},
		{[]string{"NGƯỜI LẬP BIỂU", "", "T/M BAN THƯỜNG VỤ"}, true, true},
		{[]string{"BÍ THƯ"}, true, true},
		{[]string{"(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)"}, true, true},
		{[]string{"Nơi nhận:"}, true, true},
		{[]string{"KT. BÍ THƯ", "PHÓ BÍ THƯ"}, true, true},
		{[]string{"Trần Minh Long", "", "Nguyễn Văn Hùng"}, false, true}, // names: only under a title
		{[]string{"- Ban Tổ chức Tỉnh ủy;"}, false, true},
		{[]string{"- Lưu VP."}, false, true},
		// rows that could be data are never passed over
		{[]string{"000000099", "Lê Văn Tám"}, false, false},
		{[]string{"ngày 8 tháng 6 năm 2025"}, false, false}, // a date alone: a data cell
		{[]string{"Lưu Văn Bình", "Nam", "070100101", "Có"}, false, false},
		{[]string{"Chi bộ 3", "12"}, false, false},
		{[]string{"- 12 đảng viên"}, false, false},
	} {
		if got := signatureStart(tt.cells, textMemo{}); got != tt.start {
			t.Errorf("signatureStart(%q) = %v, want %v", tt.cells, got, tt.start)
		}
		if got := signatureRest(tt.cells, textMemo{}); got != tt.rest {
			t.Errorf("signatureRest(%q) = %v, want %v", tt.cells, got, tt.rest)
		}
	}
}

// TestSignatureBlockKeepsDataRows: a row that could be data stays data after
// a signature block starts; it is rejected with its own reason, not skipped.
func TestSignatureBlockKeepsDataRows(t *testing.T) {
	dir := t.TempDir()
	b := messyBook()
	dv := b.sheets["DangVien"]
	dv = append(dv, []any{}, []any{"NGƯỜI LẬP BIỂU"}, []any{"Trần Minh Long"}, []any{"000000099", "Lê Văn Tám"})
	b.sheets["DangVien"] = dv
	b.write(t, filepath.Join(dir, "r.xlsx"))
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	w.DB.QueryRow(`SELECT count(*) FROM rejects WHERE sheet = 'DangVien' AND source_row = ?`, len(dv)).Scan(&n)
	if n == 0 {
		t.Errorf("the data-like row %d under the signature was not rejected; notes %q", len(dv), sum.Files[0].Notes)
	}
	if notes := strings.Join(sum.Files[0].Notes, "\n"); !strings.Contains(notes, "phần chữ ký") {
		t.Errorf("notes %q do not mention the signature block", notes)
	}
}

// TestUnreadableFormats: broken, encrypted or misnamed .xls and .ods files
// fail alone, each with its reason.
func TestUnreadableFormats(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	zipWith := func(name string, files map[string]string) {
		f, _ := os.Create(filepath.Join(dir, name))
		zw := zip.NewWriter(f)
		for n, body := range files {
			w, _ := zw.Create(n)
			w.Write([]byte(body))
		}
		zw.Close()
		f.Close()
	}
	write("hong.ods", []byte("không phải zip"))
	zipWith("mat-khau.ods", map[string]string{"mimetype": odsMime, "content.xml": "\x01\x02",
		"META-INF/manifest.xml": `<manifest:manifest><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/></manifest:file-entry></manifest:manifest>`})
	zipWith("van-ban.ods", map[string]string{"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"})
	messyBook().write(t, filepath.Join(dir, "doi-ten.xlsx"))
	b, _ := os.ReadFile(filepath.Join(dir, "doi-ten.xlsx"))
	os.Remove(filepath.Join(dir, "doi-ten.xlsx"))
	write("doi-ten.xls", b)
	write("hong.xls", []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 cut off"))
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"hong.ods":     "Không mở được tệp OpenDocument (.ods)",
		"mat-khau.ods": "Tệp .ods có mật khẩu",
		"van-ban.ods":  "không phải bảng tính",
		"doi-ten.xls":  "Tệp là .xlsx nhưng mang đuôi .xls",
		"hong.xls":     "Không mở được tệp Excel 97–2003 (.xls)",
	}
	for _, f := range sum.Files {
		name := filepath.Base(f.Source.Path)
		var fe *FileError
		if f.Outcome != Failed || !errors.As(f.Err, &fe) || !strings.Contains(fe.Reason, want[name]) {
			t.Errorf("%s: %s, %v; want the reason %q", name, f.Outcome, f.Err, want[name])
		}
		delete(want, name)
	}
	if len(want) > 0 {
		t.Errorf("not tried: %v", want)
	}
	// an encrypted BIFF8 stream: a FILEPASS record among the globals
	rec := func(typ int, body []byte) []byte {
		h := make([]byte, 4)
		binary.LittleEndian.PutUint16(h, uint16(typ))
		binary.LittleEndian.PutUint16(h[2:], uint16(len(body)))
		return append(h, body...)
	}
	stream := append(rec(recBOF, []byte{0, 6, 5, 0}), rec(recFilePass, []byte{1, 0})...)
	if err := (&xlsBook{data: stream, formats: map[int]string{}}).globals(); !errors.Is(err, errXLSEncrypted) {
		t.Errorf("FILEPASS read as %v, want encrypted", err)
	}
}
