package ingest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/unicode"
	stdunicode "unicode"

	"orgqa/internal/gen"
)

// TestHostileFiles puts one broken or hostile file beside a good report: the bad
// one fails alone with a one-line reason naming it, and the good one loads.
func TestHostileFiles(t *testing.T) {
	tests := []struct {
		name   string
		make   func(t *testing.T, dir string) string // writes the file, returns its name
		limits Limits
		want   string // in the failure reason
	}{
		{"truncated workbook", func(t *testing.T, dir string) string {
			full := filepath.Join(t.TempDir(), "x.xlsx")
			messyBook().write(t, full)
			b, _ := os.ReadFile(full)
			os.WriteFile(filepath.Join(dir, "truncated.xlsx"), b[:len(b)/2], 0o644)
			return "truncated.xlsx"
		}, Limits{}, "not a readable .xlsx workbook"},
		{"corrupt zip", func(t *testing.T, dir string) string {
			os.WriteFile(filepath.Join(dir, "corrupt.xlsx"), append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xAB}, 4000)...), 0o644)
			return "corrupt.xlsx"
		}, Limits{}, "not a readable .xlsx workbook"},
		{"not a spreadsheet", func(t *testing.T, dir string) string {
			os.WriteFile(filepath.Join(dir, "notes.xlsx"), []byte("Báo cáo sẽ gửi sau."), 0o644)
			return "notes.xlsx"
		}, Limits{}, "not a readable .xlsx workbook"},
		{"password-protected", func(t *testing.T, dir string) string {
			f := excelize.NewFile()
			f.SetCellValue("Sheet1", "A1", "Mã đơn vị báo cáo")
			if err := f.SaveAs(filepath.Join(dir, "locked.xlsx"), excelize.Options{Password: "mat-khau"}); err != nil {
				t.Fatal(err)
			}
			return "locked.xlsx"
		}, Limits{}, "password-protected (encrypted) workbook"},
		{"empty workbook", func(t *testing.T, dir string) string {
			f := excelize.NewFile()
			if err := f.SaveAs(filepath.Join(dir, "empty.xlsx")); err != nil {
				t.Fatal(err)
			}
			return "empty.xlsx"
		}, Limits{}, "no sheet ThongTin"},
		{"no contract sheets", func(t *testing.T, dir string) string {
			book{order: []string{"Báo cáo", "Phụ lục"}, sheets: map[string][][]any{"Báo cáo": {{"Tên", "Số lượng"}, {"A", 1}}}}.write(t, filepath.Join(dir, "other.xlsx"))
			return "other.xlsx"
		}, Limits{}, `no sheet ThongTin (found "Báo cáo", "Phụ lục")`},
		{"zip bomb", func(t *testing.T, dir string) string {
			b := messyBook()
			b.order = append(b.order, "Đệm")
			pad := strings.Repeat("Ư", 2000)
			for i := 0; i < 3000; i++ {
				b.sheets["Đệm"] = append(b.sheets["Đệm"], []any{pad + fmt.Sprint(i)}) // distinct: shared strings would keep one
			}
			b.sheets["ThongTin"][1][0] = "0702"
			b.write(t, filepath.Join(dir, "bomb.xlsx"))
			return "bomb.xlsx"
		}, Limits{UnzipSize: 4 << 20, UnzipXMLSize: 1 << 20}, "unzip size exceeds the 4194304 bytes limit"},
		{"absurdly wide", func(t *testing.T, dir string) string {
			b := messyBook()
			b.sheets["ThongTin"][1][0] = "0703"
			wide := []any{"Nguyễn Văn An", "000123", "070100101", "Có"}
			for len(wide) < 700 {
				wide = append(wide, "x")
			}
			b.sheets["DangVien"] = append(b.sheets["DangVien"][:2], wide)
			b.write(t, filepath.Join(dir, "wide.xlsx"))
			return "wide.xlsx"
		}, Limits{}, "row has 700 columns, more than the 512"},
		{"absurdly long", func(t *testing.T, dir string) string {
			b := messyBook()
			b.sheets["ThongTin"][1][0] = "0704"
			for i := 0; i < 80; i++ {
				b.sheets["SinhHoat"] = append(b.sheets["SinhHoat"], []any{"070100101", "2025-01-10", "Thường kỳ", 20, 0, 18})
			}
			b.write(t, filepath.Join(dir, "long.xlsx"))
			return "long.xlsx"
		}, Limits{MaxRows: 50}, "more than 50 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			messyBook().write(t, filepath.Join(dir, "good.xlsx"))
			bad := tt.make(t, dir)
			w := openTestWarehouse(t)
			l := quietLoader(w)
			l.Limits = tt.limits
			sum, err := l.LoadDir(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			var reason string
			loadedGood := false
			for _, f := range sum.Files {
				switch filepath.Base(f.Source.Path) {
				case bad:
					if f.Outcome != Failed {
						t.Fatalf("%s: outcome %s, want failed", bad, f.Outcome)
					}
					reason = f.Err.Error()
				case "good.xlsx":
					loadedGood = f.Outcome == Loaded
				}
			}
			if !strings.Contains(reason, bad) || !strings.Contains(reason, tt.want) || strings.Contains(reason, "\n") {
				t.Errorf("reason %q: want one line naming %s and saying %q", reason, bad, tt.want)
			}
			if !loadedGood {
				t.Errorf("the good report did not load beside %s", bad)
			}
			var leaked int
			w.DB.QueryRow(`SELECT count(*) FROM members WHERE load_id NOT IN (SELECT load_id FROM load_sources WHERE table_name = 'members' AND source_file LIKE '%good.xlsx')`).Scan(&leaked)
			if leaked != 0 {
				t.Errorf("%d rows of %s reached the warehouse", leaked, bad)
			}
		})
	}
}

// TestCSVEncodings loads CSV sets saved as UTF-8 with a BOM, UTF-16 and
// Windows-1258: each arrives in Unicode, and a decoded file is recorded.
func TestCSVEncodings(t *testing.T) {
	rep := gen.Generate(gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 4}, 0)
	encode := map[string]func(t *testing.T, utf8 []byte) []byte{
		"UTF-8 with BOM": func(t *testing.T, b []byte) []byte {
			return append([]byte("\xEF\xBB\xBF"), bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))...)
		},
		"UTF-16LE": func(t *testing.T, b []byte) []byte {
			out, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		"UTF-16BE": func(t *testing.T, b []byte) []byte {
			out, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		"Windows-1258": func(t *testing.T, b []byte) []byte {
			// glibc's iconv writes Windows-1258 as Vietnamese Windows does:
			// base letters with combining tone marks
			if _, err := exec.LookPath("iconv"); err != nil {
				t.Skip("SKIPPED: no iconv to write a Windows-1258 file with")
			}
			cmd := exec.Command("iconv", "-f", "UTF-8", "-t", "WINDOWS-1258")
			cmd.Stdin = bytes.NewReader(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")))
			out, err := cmd.Output()
			if err != nil {
				t.Skipf("SKIPPED: iconv cannot write Windows-1258 here: %v", err)
			}
			return out
		},
	}
	// a CSV exported from a sheet typed in .VnTime: its bytes are TCVN3
	encode["TCVN3 bytes"] = func(t *testing.T, b []byte) []byte {
		rev := map[rune]byte{}
		for i, r := range tcvn3Runes {
			// what a .VnTime font types: lower-case letters and ĂÂÊÔƠƯĐ (the
			// table's other capitals are TCVN 5712 VN1's, not the font's)
			if (r < 0x300 || r > 0x36F) && (!stdunicode.IsUpper(r) || strings.ContainsRune("ĂÂÊÔƠƯĐ", r)) {
				rev[r] = byte(0xA1 + i)
			}
		}
		var out []byte
		for _, r := range string(bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))) {
			switch {
			case r < 0x80:
				out = append(out, byte(r))
			case rev[r] != 0:
				out = append(out, rev[r])
			case rev[[]rune(strings.ToLower(string(r)))[0]] != 0: // .VnTime has no toned capitals: typed in lower case
				out = append(out, rev[[]rune(strings.ToLower(string(r)))[0]])
			default:
				t.Fatalf("%q has no TCVN3 byte", r)
			}
		}
		return out
	}
	for name, enc := range encode {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if _, err := rep.WriteCSV(dir); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, rep.UnitCode+"_2025_DangVien.csv")
			b, _ := os.ReadFile(path)
			os.WriteFile(path, enc(t, b), 0o644)
			w := openTestWarehouse(t)
			sum, err := quietLoader(w).LoadDir(context.Background(), dir)
			if err != nil {
				t.Fatal(err)
			}
			if f := sum.Files[0]; f.Outcome != Loaded || f.Rejected != 0 {
				t.Fatalf("outcome %s, %d rejected, %v", f.Outcome, f.Rejected, f.Err)
			}
			for _, m := range rep.Members[:10] {
				var got string
				want := m.Name
				if name == "TCVN3 bytes" {
					want = lowerToned(want)
				}
				if err := w.DB.QueryRow(`SELECT full_name FROM members WHERE member_code = ?`, m.Code).Scan(&got); err != nil || got != want {
					t.Errorf("name %q, %v; want %q", got, err, want)
				}
			}
			var recorded int
			w.DB.QueryRow(`SELECT count(*) FROM legacy_conversions WHERE sheet = 'DangVien' AND column_header = '(cả tệp)'`).Scan(&recorded)
			if wantRecorded := name != "UTF-8 with BOM"; (recorded == 1) != wantRecorded {
				t.Errorf("%d file conversions recorded, want %v", recorded, wantRecorded)
			}
		})
	}
}

// lowerToned lowers the capitals that carry a tone mark: TCVN3 (.VnTime) has no
// such capitals, so a clerk types them in lower case.
func lowerToned(s string) string {
	var b strings.Builder
	for _, r := range s {
		if l := []rune(strings.ToLower(string(r)))[0]; l != r && r > 0x7F {
			if !strings.ContainsRune("ĂÂÊÔƠƯĐ", r) {
				r = l
			}
		}
		b.WriteRune(r)
	}
	return b.String()
}
