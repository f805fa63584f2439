package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"orgqa/internal/warehouse"
)

// book is a workbook to write for a test: sheets in order, rows of cells,
// merged ranges and hidden sheets.
type book struct {
	order  []string
	sheets map[string][][]any
	merges map[string][][2]string // sheet -> ranges
	hidden []string
	// date1904: the workbook counts date serials from 01/01/1904, and
	// excelize writes its time.Time cells so
	date1904 bool
}

func (b book) write(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if b.date1904 {
		on := true
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &on}); err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range b.order {
		if i == 0 {
			f.SetSheetName("Sheet1", name)
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range b.sheets[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			row := row
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
		for _, m := range b.merges[name] {
			if err := f.MergeCell(name, m[0], m[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, name := range b.hidden {
		if err := f.SetSheetVisible(name, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func openTestWarehouse(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w, err := warehouse.Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close(context.Background(), false) })
	return w
}

func quietLoader(w *warehouse.Warehouse) *Loader {
	return &Loader{DB: w.DB, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// messyBook is a report as units really send it, with one bad row of each kind.
func messyBook() book {
	date := time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)
	return book{
		// sheets in an unusual order; a helper sheet that is not in the contract
		order: []string{"DangVien", "Danh mục", "ThongTin", "DonVi", "GioiThieu", "SinhHoat", "NhanXet", "KiemTra", "KyLuat", "XepLoai"},
		// a merged title block above DonVi's header; a hidden helper sheet, and a
		// hidden contract sheet, which still counts
		merges: map[string][][2]string{"DonVi": {{"A1", "F2"}}},
		hidden: []string{"Danh mục", "DonVi"},
		sheets: map[string][][]any{
			"ThongTin": {{"Mã đơn vị báo cáo", "Tên đơn vị báo cáo", "Năm báo cáo"}, {"0701", "Huyện ủy Thử", 2025}},
			"Danh mục": {{"Có"}, {"Không"}},
			"DonVi": {
				{"DANH SÁCH TỔ CHỨC ĐẢNG NĂM 2025"}, // a title row above the header
				{},
				{"STT", norm.NFD.String("Mã đơn vị"), "TEN DON VI", "Cấp", "Mã đơn vị cấp trên", "Ghi chú"},
				{1, "0701", "Huyện ủy Thử", "Đảng bộ cấp trên cơ sở", nil, "x"},
				{2, "0701001", "Đảng bộ xã An", "Tổ chức cơ sở đảng", "0701"},
				{3, "070100101", "Chi bộ ấp 1", "Chi bộ", "0701001"},
				{4, "070100102", "Chi bộ ấp 2", "Cấp xã", "0701001"},         // row 7: unknown level
				{5, "070100101", "Chi bộ ấp 1 (trùng)", "Chi bộ", "0701001"}, // row 8: duplicate code
			},
			"DangVien": {
				// columns in another order than the contract's, an alias (Số thẻ đảng viên)
				{"Họ và tên", "Số thẻ đảng viên", "Mã chi bộ", "Đang công tác", "Diện 213", "Ngày sinh", "Trạng thái"},
				{"Nguyễn Văn An", "000123", "070100101", "Có", nil, "01/02/1980"},           // row 2: ok, leading zeros
				{"Trần Thị Bình", "000124", "070100101", "CÓ", "Miễn", 29253.0},             // row 3: ok, serial date
				{nil, "000125", "070100101", "Không"},                                       // row 4: no name
				{"Lê Văn Cường", "000126", "9999", "Không"},                                 // row 5: unknown cell
				{"Phạm Văn Dũng", "000123", "070100101", "Có"},                              // row 6: duplicate member
				{"Hoàng Thị Em", "000127", "070100101", "Không", nil, "31/02/1980"},         // row 7: impossible date
				{"Võ Văn Phúc", "000128", "070100101", "Có lẽ", nil, nil, "Đang sinh hoạt"}, // row 8: bad yes/no
				{}, // row 9: blank
				{"Tổng cộng", nil, nil, nil, nil, nil}, // row 10: total row
			},
			"GioiThieu": {
				{"Mã đảng viên", "Số giấy", "Ngày ký", "Ngày xã xác nhận"},
				{"000123", "12/GGT-ĐU", date, nil},    // row 2: ok (a date cell)
				{"999999", "13/GGT-ĐU", "05/03/2025"}, // row 3: unknown member
				{"000124", "14/GGT-ĐU", nil},          // row 4: no date
				{"000123", "16/GGT-ĐU", "05/03/2025"}, // row 5: the letter of row 2 again (a key of two columns)
			},
			"SinhHoat": {
				{"Mã chi bộ", "Ngày họp", "Loại", "Số đảng viên", "Số miễn sinh hoạt", "Có mặt"},
				{"070100101", "2025-01-10", "Thường kỳ", "1.296", 0, 1200}, // row 2: ok, 1.296 = 1296
				{"070100101", "2025-02-10", "thuong ky", 20, 2, 19},        // row 3: present > 18
			},
			"NhanXet": {{"Mã đảng viên", "Năm"}},
			"KiemTra": {{"Mã vụ việc", "Hoạt động", "Loại", "Đối tượng", "Mã đối tượng"}},
			"KyLuat":  {{"Đối tượng", "Mã đối tượng", "Hình thức", "Ngày quyết định"}},
			"XepLoai": {{"Đối tượng", "Mã", "Năm", "Xếp loại"}, {"Tổ chức", "0701001", 2025, "Hoàn thành tốt nhiệm vụ"}},
		},
	}
}

type rejectRow struct{ sheet, cell, value, reason string }

func rejectsOf(t *testing.T, db *sql.DB) []rejectRow {
	t.Helper()
	rows, err := db.Query(`SELECT sheet, coalesce(column_letter, '?') || source_row, coalesce(value, ''), reason FROM rejects ORDER BY sheet, source_row, column_letter`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []rejectRow
	for rows.Next() {
		var r rejectRow
		if err := rows.Scan(&r.sheet, &r.cell, &r.value, &r.reason); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestLoadRejectsBadRowsAndKeepsGoodOnes(t *testing.T) {
	dir := t.TempDir()
	messyBook().write(t, filepath.Join(dir, "bao cao.xlsx"))
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Files) != 1 || sum.Files[0].Outcome != Loaded {
		t.Fatalf("want one loaded report, got %+v", sum.Files)
	}
	f := sum.Files[0]
	// DonVi 5 + DangVien 7 + GioiThieu 4 + SinhHoat 2 + XepLoai 1 + ThongTin 1 data rows
	if f.Read != 20 || f.Accepted+f.Rejected != f.Read || f.Rejected != 11 {
		t.Errorf("read %d, accepted %d, rejected %d; want 20 read, 11 rejected, and nothing lost", f.Read, f.Accepted, f.Rejected)
	}
	if f.Unit != "0701" || f.Year != 2025 {
		t.Errorf("unit %q year %d, want 0701 2025", f.Unit, f.Year)
	}
	got := rejectsOf(t, w.DB)
	expect := []struct{ sheet, cell, value, reason string }{
		{"DangVien", "A4", "", "Thiếu giá trị bắt buộc"},
		{"DangVien", "C5", "9999", `Mã chi bộ "9999" không có trong sheet DonVi`},
		{"DangVien", "B6", "000123", "Mã đảng viên trùng với dòng 2"},
		{"DangVien", "F7", "31/02/1980", "Ngày không hợp lệ"},
		{"DangVien", "D8", "Có lẽ", "Giá trị không thuộc danh mục: Có, Không"},
		{"DonVi", "D7", "Cấp xã", "Giá trị không thuộc danh mục: Đảng bộ cấp trên cơ sở, Tổ chức cơ sở đảng, Chi bộ"},
		{"DonVi", "B8", "070100101", "Mã đơn vị trùng với dòng 6"},
		{"GioiThieu", "A3", "999999", `Mã đảng viên "999999" không có trong sheet DangVien`},
		{"GioiThieu", "C4", "", "Thiếu giá trị bắt buộc"},
		{"GioiThieu", "A5", "000123 / 05/03/2025", "(Mã đảng viên, Ngày ký) trùng với dòng 2"},
		{"SinhHoat", "F3", "19", "Số có mặt (19) lớn hơn số đảng viên phải dự (18)"},
	}
	if len(got) != len(expect) {
		t.Errorf("got %d rejects, want %d:\n%v", len(got), len(expect), got)
	}
	for i := 0; i < len(got) && i < len(expect); i++ {
		g, e := got[i], expect[i]
		if g.sheet != e.sheet || g.cell != e.cell || g.value != e.value || !strings.HasPrefix(g.reason, e.reason) {
			t.Errorf("reject %d = %+v, want %+v", i, g, e)
		}
	}
	var code, birth string
	var present int
	if err := w.DB.QueryRow(`SELECT member_code, strftime(birth_date, '%d/%m/%Y') FROM members WHERE source_row = 2`).Scan(&code, &birth); err != nil {
		t.Fatal(err)
	}
	if code != "000123" || birth != "01/02/1980" {
		t.Errorf("member row 2: code %q born %s, want 000123 born 01/02/1980", code, birth)
	}
	if err := w.DB.QueryRow(`SELECT members FROM meetings`).Scan(&present); err != nil || present != 1296 {
		t.Errorf("meeting members = %d, %v; want 1296 read from 1.296", present, err)
	}
	var serialBirth string
	if err := w.DB.QueryRow(`SELECT strftime(birth_date, '%d/%m/%Y') FROM members WHERE member_code = '000124'`).Scan(&serialBirth); err != nil || serialBirth != "02/02/1980" {
		t.Errorf("serial 29253 read as %q, %v; want 02/02/1980", serialBirth, err)
	}
	var prov string
	if err := w.DB.QueryRow(`SELECT s.source_file || '!' || s.source_sheet || '!' || l.source_row FROM letters l JOIN load_sources s ON s.load_id = l.load_id AND s.table_name = 'letters'`).Scan(&prov); err != nil ||
		!strings.HasSuffix(prov, "bao cao.xlsx!GioiThieu!2") {
		t.Errorf("letter provenance %q, %v", prov, err)
	}
}

func TestLoadIsIdempotentAndReplacesCorrectedExports(t *testing.T) {
	dir := t.TempDir()
	b := messyBook()
	b.write(t, filepath.Join(dir, "v1.xlsx"))
	w := openTestWarehouse(t)
	l := quietLoader(w)
	ctx := context.Background()
	if _, err := l.LoadDir(ctx, dir); err != nil {
		t.Fatal(err)
	}
	sum, err := l.LoadDir(ctx, dir)
	if err != nil || sum.Count(Skipped) != 1 || sum.Count(Loaded) != 0 {
		t.Fatalf("second load: %+v, %v; want the file skipped", sum, err)
	}
	// a corrected export of the same unit and year, under another name and
	// newer: v1, still in the folder, is superseded by it
	b.sheets["DangVien"][4][1] = "000126"
	b.sheets["DangVien"][4][2] = "070100101" // row 5 now names a known cell
	time.Sleep(10 * time.Millisecond)
	b.write(t, filepath.Join(dir, "v2.xlsx"))
	sum, err = l.LoadDir(ctx, dir)
	if err != nil || sum.Count(Loaded) != 1 || sum.Count(Skipped) != 1 {
		t.Fatalf("third load: %+v, %v; want v2 loaded and v1 skipped", sum, err)
	}
	var members, loads, replaced, rejects int
	if err := w.DB.QueryRow(`SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM load_manifest WHERE outcome = 'loaded'),
		(SELECT count(*) FROM load_manifest WHERE outcome = 'superseded'), (SELECT count(*) FROM rejects)`).Scan(&members, &loads, &replaced, &rejects); err != nil {
		t.Fatal(err)
	}
	if members != 3 || loads != 1 || replaced != 1 || rejects != 10 {
		t.Errorf("after replacement: %d members (want 3), %d live loads (want 1), %d superseded (want 1), %d rejects (want 10)", members, loads, replaced, rejects)
	}
}

// Two copies of one report in the inbox on the same night (a clerk's file
// saved twice under two names): the first loads, the second is the same
// content, skipped. The manifest is asked about a content it did not know
// at the start only once this ingest has begun loading it.
func TestTheSameContentTwiceOnOneNight(t *testing.T) {
	dir := t.TempDir()
	messyBook().write(t, filepath.Join(dir, "a.xlsx"))
	src, err := os.ReadFile(filepath.Join(dir, "a.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b - Copy.xlsx"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil || sum.Count(Loaded) != 1 || sum.Count(Skipped) != 1 {
		t.Fatalf("%+v, %v; want one loaded, its copy skipped", sum, err)
	}
	var members, entries int
	if err := w.DB.QueryRow(`SELECT (SELECT count(*) FROM members), (SELECT count(*) FROM load_manifest)`).Scan(&members, &entries); err != nil {
		t.Fatal(err)
	}
	if members != 2 || entries != 1 {
		t.Errorf("%d members (want 2), %d manifest entries (want 1)", members, entries)
	}
}

func TestBrokenFilesFailAloneWithAReason(t *testing.T) {
	dir := t.TempDir()
	messyBook().write(t, filepath.Join(dir, "good.xlsx"))
	os.WriteFile(filepath.Join(dir, "not-a-workbook.xlsx"), []byte("this is a text file"), 0o644)
	noMembers := messyBook()
	noMembers.order = []string{"ThongTin", "DonVi"}
	noMembers.sheets["ThongTin"][1][0] = "0702"
	noMembers.write(t, filepath.Join(dir, "no-members.xlsx"))
	noHeader := messyBook()
	noHeader.sheets["ThongTin"][1][0] = "0703"
	noHeader.sheets["DangVien"][0] = []any{"Họ và tên", "Số thẻ", "Ghi chú"}
	noHeader.write(t, filepath.Join(dir, "no-header.xlsx"))
	os.WriteFile(filepath.Join(dir, "0704_2025.csv"), []byte("a,b\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "old.xls"), []byte{0xD0, 0xCF, 0x11, 0xE0}, 0o644)
	os.WriteFile(filepath.Join(dir, "cong-van.pdf"), []byte("%PDF-1.4"), 0o644)

	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, f := range sum.Files {
		if f.Outcome == Failed {
			reasons[filepath.Base(f.Source.Path)] = f.Err.Error()
		}
	}
	for _, p := range sum.Problems {
		reasons[filepath.Base(p.(*FileError).Path)] = p.Error()
	}
	wantReasons := map[string]string{
		"not-a-workbook.xlsx": "not a readable .xlsx workbook",
		"no-members.xlsx":     "no sheet DangVien",
		"no-header.xlsx":      `missing "Mã chi bộ", "Đang công tác"`,
		"0704_2025.csv":       "CSV file name must be",
		"old.xls":             "not a readable .xls workbook",
	}
	var names []string
	for n := range reasons {
		names = append(names, n)
	}
	sort.Strings(names)
	if len(reasons) != len(wantReasons) {
		t.Errorf("failed files %v, want %d of them", names, len(wantReasons))
	}
	for file, want := range wantReasons {
		if !strings.Contains(reasons[file], want) {
			t.Errorf("%s: reason %q, want it to say %q", file, reasons[file], want)
		}
	}
	if sum.Count(Loaded) != 1 {
		t.Errorf("the good file did not load: %+v", sum.Files)
	}
	var failed int
	w.DB.QueryRow(`SELECT count(*) FROM load_manifest WHERE outcome = 'failed'`).Scan(&failed)
	if failed != 5 { // the three reports, the misnamed CSV and the broken .xls
		t.Errorf("manifest records %d failed files, want 5", failed)
	}
	// a file of another format is recorded once, as ignored, with what to send instead
	for run := 0; run < 2; run++ {
		if run == 1 {
			if _, err := quietLoader(w).LoadDir(context.Background(), dir); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		var msg string
		w.DB.QueryRow(`SELECT count(*), any_value(message) FROM load_manifest WHERE outcome = 'ignored'`).Scan(&n, &msg)
		if n != 1 || !strings.Contains(msg, "Không phải tệp báo cáo (định dạng .pdf)") {
			t.Errorf("run %d: %d ignored rows, message %q; want one for cong-van.pdf", run+1, n, msg)
		}
	}
	var leaked int
	w.DB.QueryRow(`SELECT count(*) FROM members WHERE reporting_unit <> '0701'`).Scan(&leaked)
	if leaked != 0 {
		t.Errorf("%d rows of failed reports stayed in the warehouse", leaked)
	}
}

// A unit whose clerk types in .VnTime (TCVN3) and another in VNI-Times: the text
// arrives in Unicode, and the conversion is recorded.
func TestLoadConvertsLegacyEncodings(t *testing.T) {
	dir := t.TempDir()
	b := messyBook()
	// the members sheet typed in TCVN3, headers included
	b.sheets["DangVien"] = [][]any{
		{"M· ®¶ng viªn", "Hä vµ tªn", "M· chi bé", "§ang c«ng t¸c", "DiÖn 213"},
		{"000123", "NguyÔn V¨n An", "070100101", "Cã", "Giíi thiÖu"},
		{"000124", "TrÇn ThÞ B×nh", "070100101", "Kh«ng", nil},
	}
	// unit names in VNI
	b.sheets["DonVi"][4][2] = "Ñaûng boä xaõ An"
	b.write(t, filepath.Join(dir, "legacy.xlsx"))
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if f := sum.Files[0]; f.Outcome != Loaded {
		t.Fatalf("not loaded: %+v", f)
	}
	var names, orgName string
	var working int
	if err := w.DB.QueryRow(`SELECT string_agg(full_name, ', ' ORDER BY member_code), count(*) FILTER (WHERE working) FROM members`).Scan(&names, &working); err != nil {
		t.Fatal(err)
	}
	if names != "Nguyễn Văn An, Trần Thị Bình" || working != 1 {
		t.Errorf("members %q, %d working; want the names in Unicode and Cã read as Có", names, working)
	}
	if err := w.DB.QueryRow(`SELECT unit_name FROM units WHERE unit_code = '0701001'`).Scan(&orgName); err != nil || orgName != "Đảng bộ xã An" {
		t.Errorf("VNI unit name read as %q, %v", orgName, err)
	}
	rows, err := w.DB.Query(`SELECT sheet, column_header, encoding, cells, example_before, example_after FROM legacy_conversions ORDER BY sheet, column_header`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var sheet, col, enc, before, after string
		var cells int
		rows.Scan(&sheet, &col, &enc, &cells, &before, &after)
		got = append(got, fmt.Sprintf("%s|%s|%s|%d|%s→%s", sheet, col, enc, cells, before, after))
	}
	want := []string{
		"DangVien|Diện 213|TCVN3|1|Giíi thiÖu→Giới thiệu",
		"DangVien|Họ và tên|TCVN3|2|NguyÔn V¨n An→Nguyễn Văn An",
		"DangVien|Đang công tác|TCVN3|2|Cã→Có",
		"DonVi|Tên đơn vị|VNI|1|Ñaûng boä xaõ An→Đảng bộ xã An",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("recorded conversions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
