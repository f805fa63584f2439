package ingest

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Fold reduces a header, sheet name or enumeration label to the key it is matched
// by: Unicode form, case, diacritics (đ included), spacing and punctuation are all
// ignored, so "Mã đảng viên", "MA DANG VIEN" and "mã_đảng-viên" (NFC or NFD) meet.
func Fold(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	var b strings.Builder
	b.Grow(len(s))
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
				b.WriteByte(c)
			case c >= 'A' && c <= 'Z':
				b.WriteByte(c + 'a' - 'A')
			}
		}
		return b.String()
	}
	// invalid bytes would stop NFD from decomposing the letters after them
	for _, r := range norm.NFD.String(strings.ToValidUTF8(s, "")) {
		switch {
		case r == 'đ' || r == 'Đ' || r == 'Ð' || r == 'ð':
			b.WriteByte('d')
		case unicode.Is(unicode.Mn, r):
			// a combining mark: the diacritic of the letter before it
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// cleanText trims a cell and puts it in NFC, so the warehouse holds one spelling
// of each Vietnamese string whatever form the unit's software wrote.
func cleanText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return s
	}
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			if !strings.Contains(s, "\u00a0") && norm.NFC.IsNormalString(s) {
				return s // already one spelling: nothing to allocate
			}
			return norm.NFC.String(strings.TrimSpace(strings.ReplaceAll(s, "\u00a0", " ")))
		}
	}
	return s
}
