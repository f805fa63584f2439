package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"orgqa/internal/xlsxpatch"
)

// A report of 137 members, one of whose cells (row 50) holds XML that no
// reader accepts, as HTML-minded exporters and pasted text produce it. Every
// row must be accounted for: 136 accepted and row 50 rejected with a reason
// naming the character and its cell — or the whole file refused with a reason
// — never 49 rows loaded and 88 silently gone.

// membersBook is a small report with n members in DangVien (its first sheet),
// and a letter for the member of row 50, so that a reject there shows as an
// echo, not as a missing member.
func membersBook(unit string, n int) book {
	b := book{
		order: []string{"DangVien", "ThongTin", "DonVi", "GioiThieu", "NhanXet", "SinhHoat", "KiemTra", "KyLuat", "XepLoai"},
		sheets: map[string][][]any{
			"ThongTin":  {{"Mã đơn vị báo cáo", "Tên đơn vị báo cáo", "Năm báo cáo"}, {unit, "Đảng ủy xã Thử " + unit, 2025}},
			"DonVi":     {{"Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"}, {unit, "Đảng ủy xã " + unit, "Tổ chức cơ sở đảng", nil}, {unit + "01", "Chi bộ ấp 1", "Chi bộ", unit}},
			"DangVien":  {{"Họ và tên", "Mã đảng viên", "Mã chi bộ", "Đang công tác"}},
			"GioiThieu": {{"Mã đảng viên", "Số giấy", "Ngày ký"}, {fmt.Sprintf("%s-%03d", unit, 49), "1/GGT", "05/03/2025"}},
			"NhanXet":   {{"Mã đảng viên", "Năm"}},
			"SinhHoat":  {{"Mã chi bộ", "Ngày họp", "Loại", "Số đảng viên", "Số miễn sinh hoạt", "Có mặt"}},
			"KiemTra":   {{"Mã vụ việc", "Hoạt động", "Loại", "Đối tượng", "Mã đối tượng"}},
			"KyLuat":    {{"Đối tượng", "Mã đối tượng", "Hình thức", "Ngày quyết định"}},
			"XepLoai":   {{"Đối tượng", "Mã", "Năm", "Xếp loại"}},
		},
	}
	for i := 1; i <= n; i++ { // member i is on row i+1
		b.sheets["DangVien"] = append(b.sheets["DangVien"], []any{fmt.Sprintf("Nguyễn Văn %03d", i), fmt.Sprintf("%s-%03d", unit, i), unit + "01", "Có"})
	}
	return b
}

// patchZip rewrites one part of a workbook.
func patchZip(t *testing.T, path, part string, fn func([]byte) []byte) {
	t.Helper()
	if err := xlsxpatch.Rewrite(path, part, fn); err != nil {
		t.Fatal(err)
	}
}

// inlineCell rewrites one shared-string cell of a sheet as an inline string
// holding raw (XML text, written as is).
func inlineCell(ref, raw string) func([]byte) []byte {
	re := regexp.MustCompile(`<c r="` + ref + `"[^>]*>.*?</c>`)
	return func(b []byte) []byte {
		if !re.Match(b) {
			panic("no cell " + ref)
		}
		return re.ReplaceAll(b, []byte(`<c r="`+ref+`" t="inlineStr"><is><t>`+raw+`</t></is></c>`))
	}
}

func TestXMLErrorsNeverLoseRows(t *testing.T) {
	const members = 137
	type want struct {
		rejected bool   // row 50 rejected, the other 136 accepted
		reason   string // in the reject's reason, or the file's
		value    string // the reject's value
	}
	cases := []struct {
		name  string
		part  string
		patch func([]byte) []byte
		want  want
	}{
		{"a vertical tab pasted into a name", "xl/worksheets/sheet1.xml", inlineCell("A50", "Trần Thị\x0bBình"),
			want{true, "Ô A50 có ký tự điều khiển U+000B", "Trần Thị[U+000B]Bình"}},
		{"a byte that is not UTF-8", "xl/worksheets/sheet1.xml", inlineCell("A50", "Tr\xe2n Th\xef"),
			want{true, "Ô A50 có byte 0xE2 không phải văn bản UTF-8", "Tr[0xE2]n Th[0xEF]"}},
		{"an HTML entity", "xl/worksheets/sheet1.xml", inlineCell("A50", "Trần&nbsp;Thị Bình"),
			want{true, "Ô A50 có mã &nbsp; không hợp lệ", "Trần&nbsp;Thị Bình"}},
		{"a bad character in the member code", "xl/worksheets/sheet1.xml", inlineCell("B50", "A-049\x01"),
			want{true, "Ô B50 có ký tự điều khiển U+0001", "A-049[U+0001]"}},
		{"a DOCTYPE", "xl/worksheets/sheet1.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("?>"), []byte("?>\n<!DOCTYPE worksheet [<!ENTITY e \"x\">]>"), 1)
		}, want{false, "khai báo <!DOCTYPE>", ""}},
		{"a row nested in a row", "xl/worksheets/sheet1.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`</row><row r="51"`), []byte(`<row r="51"`), 1)
		}, want{false, "có dòng lồng bên trong một dòng khác", ""}},
		{"a negative row number", "xl/worksheets/sheet1.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte(`<row r="51"`), []byte(`<row r="-51"`), 1)
		}, want{false, "Sheet bị lỗi sau dòng 50: có dòng mang số thứ tự âm (-51)", ""}},
		{"a comment, then a vertical tab further down", "xl/worksheets/sheet1.xml", func(b []byte) []byte {
			b = bytes.Replace(b, []byte(`<row r="3"`), []byte(`<!-- ghi chú --><row r="3"`), 1)
			return inlineCell("A50", "Trần\x0b")(b)
		}, want{false, "Sheet bị lỗi sau dòng 49", ""}},
		{"the sheet cut off", "xl/worksheets/sheet1.xml", func(b []byte) []byte {
			return b[:bytes.Index(b, []byte(`<row r="51"`))+20]
		}, want{false, "bị cắt cụt", ""}},
		{"a vertical tab in the shared strings", "xl/sharedStrings.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("Nguyễn Văn 049"), []byte("Nguyễn\x0bVăn 049"), 1)
		}, want{true, "Ô A50 có ký tự điều khiển U+000B", "Nguyễn[U+000B]Văn 049"}},
		{"an HTML entity in the shared strings", "xl/sharedStrings.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("Nguyễn Văn 049"), []byte("Nguyễn&nbsp;Văn 049"), 1)
		}, want{true, "Ô A50 có mã &nbsp; không hợp lệ", "Nguyễn&nbsp;Văn 049"}},
		{"shared strings broken beyond one string", "xl/sharedStrings.xml", func(b []byte) []byte {
			return bytes.Replace(b, []byte("<sst "), []byte("<sst \x0b"), 1)
		}, want{false, "Dữ liệu XML của tệp bị hỏng", ""}},
	}
	for _, tc := range cases {
		for _, prefetch := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/prefetch=%v", tc.name, prefetch), func(t *testing.T) {
				dir := t.TempDir()
				membersBook("B", 60).write(t, filepath.Join(dir, "good.xlsx"))
				bad := filepath.Join(dir, "bad.xlsx")
				membersBook("A", members).write(t, bad)
				patchZip(t, bad, tc.part, tc.patch)
				w := openTestWarehouse(t)
				l := quietLoader(w)
				l.NoPrefetch = !prefetch
				sum, err := l.LoadDir(context.Background(), dir)
				if err != nil {
					t.Fatal(err)
				}
				var badRes, goodRes FileResult
				for _, f := range sum.Files {
					if filepath.Base(f.Source.Path) == "bad.xlsx" {
						badRes = f
					} else {
						goodRes = f
					}
				}
				if goodRes.Outcome != Loaded || goodRes.Read != 64 || goodRes.Accepted != 64 {
					t.Fatalf("good report: %s, %d read, %d accepted (%v)", goodRes.Outcome, goodRes.Read, goodRes.Accepted, goodRes.Err)
				}
				var inWarehouse int
				w.DB.QueryRow(`SELECT count(*) FROM members WHERE reporting_unit = 'A'`).Scan(&inWarehouse)
				if !tc.want.rejected {
					if badRes.Outcome != Failed {
						t.Fatalf("bad report: %s with %d read, %d accepted; want failed", badRes.Outcome, badRes.Read, badRes.Accepted)
					}
					msg := badRes.Err.Error()
					var fe *FileError
					if errors.As(badRes.Err, &fe) {
						msg = fe.Reason + " | " + msg
					}
					if !strings.Contains(msg, tc.want.reason) || !strings.Contains(msg, "bad.xlsx") {
						t.Errorf("reason %q: want it to say %q and name bad.xlsx", msg, tc.want.reason)
					}
					if inWarehouse != 0 {
						t.Errorf("%d members of the failed report in the warehouse", inWarehouse)
					}
					return
				}
				if badRes.Outcome != Loaded {
					t.Fatalf("bad report: %s (%v)", badRes.Outcome, badRes.Err)
				}
				// DangVien 137 + ThongTin 1 + DonVi 2 + GioiThieu 1
				if badRes.Read != members+4 || badRes.Accepted+badRes.Rejected != badRes.Read || inWarehouse != members-1 {
					t.Fatalf("read %d, accepted %d, rejected %d, members in the warehouse %d; want %d read, %d members",
						badRes.Read, badRes.Accepted, badRes.Rejected, inWarehouse, members+4, members-1)
				}
				rej := rejectsOf(t, w.DB)
				if len(rej) != 2 {
					t.Fatalf("rejects: %q; want row 50 of DangVien and the letter referring to it", rej)
				}
				for _, r := range rej {
					switch r.sheet {
					case "DangVien":
						if !strings.HasSuffix(r.cell, "50") || !strings.Contains(r.reason, tc.want.reason) || r.value != tc.want.value {
							t.Errorf("DangVien reject %q: want row 50, reason with %q, value %q", r, tc.want.reason, tc.want.value)
						}
					case "GioiThieu":
						if strings.Contains(tc.name, "member code") {
							break // the code itself could not be read: the letter's member is unknown
						}
						if !strings.Contains(r.reason, "dòng 50") || !strings.Contains(r.reason, "đã bị từ chối") {
							t.Errorf("the letter's reject %q: want it to point at row 50, rejected", r)
						}
					}
				}
			})
		}
	}
}

// TestCSVBadBytesRejectOneRow: a CSV whose encoding was settled as UTF-8 on its
// start, with one line of other bytes further down, rejects that line alone.
func TestCSVBadBytesRejectOneRow(t *testing.T) {
	dir := t.TempDir()
	b := membersBook("C", 3000) // past the 64 KB the encoding is settled on
	for _, sh := range b.order {
		var lines []string
		for i, row := range b.sheets[sh] {
			var cells []string
			for _, c := range row {
				cells = append(cells, fmt.Sprint(c))
			}
			line := strings.Join(cells, ",")
			if sh == "DangVien" && i == 2500 {
				line = strings.Replace(line, "Nguyễn", "Nguy\xean", 1) // a Windows-1258 byte pasted in
			}
			lines = append(lines, line)
		}
		if err := os.WriteFile(filepath.Join(dir, "C_2025_"+sh+".csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	f := sum.Files[0]
	if f.Outcome != Loaded || f.Read != 3004 || f.Rejected != 1 || f.Accepted != 3003 {
		t.Fatalf("%s: %d read, %d accepted, %d rejected (%v); want 3004, 3003, 1", f.Outcome, f.Read, f.Accepted, f.Rejected, f.Err)
	}
	rej := rejectsOf(t, w.DB)
	if len(rej) != 1 || rej[0].cell != "A2501" || !strings.Contains(rej[0].reason, "không phải văn bản UTF-8") {
		t.Fatalf("rejects %q", rej)
	}
}

// TestInboxLinksAndUnreadableFolders: a report reached through a symbolic
// link is loaded; a link loop, a broken link and (when not root) a folder
// that cannot be read are each a problem of their own, and the other reports
// still load.
func TestInboxLinksAndUnreadableFolders(t *testing.T) {
	in := t.TempDir()
	elsewhere := t.TempDir()
	os.MkdirAll(filepath.Join(in, "a"), 0o755)
	membersBook("L1", 3).write(t, filepath.Join(in, "a", "r1.xlsx"))
	membersBook("L2", 3).write(t, filepath.Join(elsewhere, "r2.xlsx"))
	membersBook("L3", 3).write(t, filepath.Join(elsewhere, "r3.xlsx"))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.Symlink(filepath.Join(elsewhere, "r2.xlsx"), filepath.Join(in, "r2-link.xlsx"))) // a linked file
	os.MkdirAll(filepath.Join(elsewhere, "sub"), 0o755)
	os.Rename(filepath.Join(elsewhere, "r3.xlsx"), filepath.Join(elsewhere, "sub", "r3.xlsx"))
	must(os.Symlink(filepath.Join(elsewhere, "sub"), filepath.Join(in, "linked-folder")))   // a linked folder
	must(os.Symlink("..", filepath.Join(in, "a", "loop")))                                  // a loop
	must(os.Symlink(filepath.Join(elsewhere, "gone.xlsx"), filepath.Join(in, "gone.xlsx"))) // broken
	wantProblems := 2
	if os.Geteuid() != 0 {
		os.MkdirAll(filepath.Join(in, "locked"), 0o755)
		membersBook("L4", 3).write(t, filepath.Join(in, "locked", "r4.xlsx"))
		must(os.Chmod(filepath.Join(in, "locked"), 0))
		t.Cleanup(func() { os.Chmod(filepath.Join(in, "locked"), 0o755) })
		wantProblems++
	} else {
		// root reads every folder: the same branch, reached with a folder gone
		// between listing and reading
		d := discovery{csvSets: map[string]*Source{}}
		root, _ := os.Stat(in)
		if err := d.walk(filepath.Join(in, "vanished"), []os.FileInfo{root, root}); err != nil || len(d.problems) != 1 ||
			!strings.Contains(d.problems[0].Error(), "cannot read folder") {
			t.Errorf("an unreadable subfolder: err %v, problems %v; want one problem", err, d.problems)
		}
	}
	w := openTestWarehouse(t)
	sum, err := quietLoader(w).LoadDir(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var loaded []string
	for _, f := range sum.Files {
		if f.Outcome == Loaded {
			loaded = append(loaded, f.Unit)
		}
	}
	if strings.Join(loaded, ",") == "" || len(loaded) != 3 {
		t.Errorf("loaded units %q; want L1, L2 (linked file) and L3 (linked folder)", loaded)
	}
	var msgs []string
	for _, p := range sum.Problems {
		msgs = append(msgs, p.Error())
	}
	if len(sum.Problems) != wantProblems {
		t.Fatalf("problems:\n%s\nwant %d (a loop, a broken link, an unreadable folder)", strings.Join(msgs, "\n"), wantProblems)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"a link back to a folder above it", "broken symbolic link"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems do not say %q:\n%s", want, all)
		}
	}
}
