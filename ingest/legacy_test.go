package ingest

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestDecodeLegacy(t *testing.T) {
	tests := []struct {
		in, want string
		enc      Encoding
	}{
		{"Hµ Néi", "Hà Nội", TCVN3},
		{"§¶ng bé x· Long Hå", "Đảng bộ xã Long Hồ", TCVN3},
		{"NguyÔn V¨n An", "Nguyễn Văn An", TCVN3},
		{"Chi bé Êp 1", "Chi bộ ấp 1", TCVN3},
		{"Cã", "Có", TCVN3},
		{"Kh«ng", "Không", TCVN3},
		{"HOµNG V¡N Tó", "HOÀNG VĂN TÚ", TCVN3}, // typed in .VnTimeH, the capitals font
		{"Haø Noäi", "Hà Nội", VNI},
		{"Ñaûng boä xaõ Long Hoà", "Đảng bộ xã Long Hồ", VNI},
		{"Nguyeãn Vaên An", "Nguyễn Văn An", VNI},
		{"Tröôøng Trung hoïc cô sôû", "Trường Trung học cơ sở", VNI},
		{"Coù", "Có", VNI},
		// proper Unicode, ASCII, and Latin-1 text that is not legacy stay as they are
		{"Hà Nội", "Hà Nội", Unicode},
		{"Tâm", "Tâm", Unicode},
		{"xuân", "xuân", Unicode},
		{"Hoà", "Hoà", Unicode},
		{"Nguyen Van An", "Nguyen Van An", Unicode},
		{"12/GGT-ĐU", "12/GGT-ĐU", Unicode},
		{"", "", Unicode},
	}
	for _, tt := range tests {
		hint := Unicode
		if tt.in == "Chi bé Êp 1" || tt.in == "Cã" {
			hint = TCVN3 // alone these read as Unicode too; the sheet's header says TCVN3
		}
		got, enc := DecodeLegacy(tt.in, hint)
		if got != tt.want || enc != tt.enc {
			t.Errorf("DecodeLegacy(%q, %q) = %q, %q; want %q, %q", tt.in, hint, got, enc, tt.want, tt.enc)
		}
	}
	// without the hint, text that is valid either way is left alone
	if got, enc := DecodeLegacy("Cã", Unicode); got != "Cã" || enc != Unicode {
		t.Errorf(`DecodeLegacy("Cã") without a hint = %q, %q; want it unchanged`, got, enc)
	}
}

// The TCVN3 table must agree with glibc's TCVN5712-1 converter, an
// implementation that shares nothing with this one.
func TestTCVN3TableMatchesIconv(t *testing.T) {
	if _, err := exec.LookPath("iconv"); err != nil {
		t.Skip("SKIPPED: no iconv to check the TCVN3 table against")
	}
	// one byte a line: glibc composes a letter with a following combining byte
	var in bytes.Buffer
	for b := 0xA1; b <= 0xFF; b++ {
		in.WriteByte(byte(b))
		in.WriteByte('\n')
	}
	cmd := exec.Command("iconv", "-f", "TCVN5712-1", "-t", "UTF-8")
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("SKIPPED: iconv has no TCVN5712-1 here: %v", err)
	}
	if got := strings.ReplaceAll(string(out), "\n", ""); got != tcvn3Table {
		t.Errorf("TCVN3 table differs from iconv:\n got %q\nwant %q", tcvn3Table, got)
	}
}

// Every Vietnamese letter, written in VNI (base letter, then its mark
// character), reads back as itself.
func TestDecodeVNIAllLetters(t *testing.T) {
	letters := "aàáảãạăằắẳẵặâầấẩẫậeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵđ"
	vni := map[string]string{
		"\u0300": "ø", "\u0301": "ù", "\u0309": "û", "\u0303": "õ", "\u0323": "ï",
		"\u0302": "â", "\u0306": "ê", "\u0302\u0301": "á", "\u0302\u0300": "à", "\u0302\u0309": "å",
		"\u0302\u0303": "ã", "\u0323\u0302": "ä", "\u0306\u0301": "é", "\u0306\u0300": "è",
		"\u0306\u0309": "ú", "\u0306\u0303": "ü", "\u0323\u0306": "ë",
	}
	special := map[rune]string{'đ': "ñ", 'ì': "ì", 'í': "í", 'ỉ': "æ", 'ĩ': "ó", 'ị': "ò", 'ỵ': "î",
		'ơ': "ô", 'ư': "ö", 'ờ': "ôø", 'ớ': "ôù", 'ở': "ôû", 'ỡ': "ôõ", 'ợ': "ôï",
		'ừ': "öø", 'ứ': "öù", 'ử': "öû", 'ữ': "öõ", 'ự': "öï"}
	for _, r := range letters {
		enc, ok := special[r]
		if !ok {
			d := norm.NFD.String(string(r))
			base, size := utf8.DecodeRuneInString(d)
			enc = string(base) + vni[d[size:]]
		}
		if got := decodeVNI(enc); got != string(r) {
			t.Errorf("decodeVNI(%q) = %q, want %q", enc, got, string(r))
		}
	}
}

func FuzzDecodeLegacy(f *testing.F) {
	for _, s := range []string{"Hµ Néi", "Haø Noäi", "Hà Nội", "Tâm", "©®", "\u00ff\u00a1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out, enc := DecodeLegacy(s, Unicode)
		if enc == Unicode && out != s {
			t.Fatalf("DecodeLegacy(%q) changed Unicode text to %q", s, out)
		}
		if enc != Unicode && (!norm.NFC.IsNormalString(out) || foreign(out) > 0) {
			t.Fatalf("DecodeLegacy(%q) = %q (%s): not clean NFC", s, out, enc)
		}
		// a decoding into plain Vietnamese syllables is final: it is not decoded again
		if again, enc2 := DecodeLegacy(out, Unicode); enc != Unicode && implausible(out) == 0 && (enc2 != Unicode || again != out) {
			t.Fatalf("DecodeLegacy is not idempotent: %q -> %q -> %q", s, out, again)
		}
	})
}
