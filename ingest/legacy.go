package ingest

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Legacy Vietnamese encodings. Government offices still type in TCVN3 (ABC,
// .VnTime fonts) and VNI (VNI-Times fonts): the workbook stores the font's bytes
// as if they were Latin-1, so "Hà Nội" arrives as "Hµ Néi" (TCVN3) or "Haø Noäi"
// (VNI). Such text is recognised and converted back to Unicode.

// Encoding names a text encoding found in a cell.
type Encoding string

const (
	Unicode Encoding = ""
	TCVN3   Encoding = "TCVN3"
	VNI     Encoding = "VNI"
)

// tcvn3Table is TCVN 5712 for bytes 0xA1..0xFF (read as U+00A1..U+00FF); the
// test checks it against glibc's TCVN5712-1 converter.
const tcvn3Table = "\u0102\u00C2\u00CA\u00D4\u01A0\u01AF\u0110\u0103\u00E2\u00EA\u00F4\u01A1\u01B0\u0111\u1EB0\u0300\u0309\u0303\u0301\u0323\u00E0\u1EA3\u00E3\u00E1\u1EA1\u1EB2\u1EB1\u1EB3\u1EB5\u1EAF\u1EB4\u1EAE\u1EA6\u1EA8\u1EAA\u1EA4\u1EC0\u1EB7\u1EA7\u1EA9\u1EAB\u1EA5\u1EAD\u00E8\u1EC2\u1EBB\u1EBD\u00E9\u1EB9\u1EC1\u1EC3\u1EC5\u1EBF\u1EC7\u00EC\u1EC9\u1EC4\u1EBE\u1ED2\u0129\u00ED\u1ECB\u00F2\u1ED4\u1ECF\u00F5\u00F3\u1ECD\u1ED3\u1ED5\u1ED7\u1ED1\u1ED9\u1EDD\u1EDF\u1EE1\u1EDB\u1EE3\u00F9\u1ED6\u1EE7\u0169\u00FA\u1EE5\u1EEB\u1EED\u1EEF\u1EE9\u1EF1\u1EF3\u1EF7\u1EF9\u00FD\u1EF5\u1ED0"

var tcvn3Runes = []rune(tcvn3Table)

func decodeTCVN3(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for _, r := range s {
		if r >= 0xA1 && r <= 0xFF {
			r = tcvn3Runes[r-0xA1]
		}
		b.WriteRune(r)
	}
	out := norm.NFC.String(b.String())
	// .VnTimeH, the capitals font, uses the same bytes: text whose plain letters
	// are all capitals was typed in it
	if allCapitals(s) {
		out = strings.ToUpper(out)
	}
	return out
}

func allCapitals(s string) bool {
	n := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'a' && c <= 'z':
			return false
		case c >= 'A' && c <= 'Z':
			n++
		}
	}
	return n >= 2
}

// VNI writes a letter as its base followed by a mark character, or as one
// character for đ, ơ, ư and some i/y forms.
var (
	vniLetters = map[rune]string{
		'ñ': "đ", 'Ñ': "Đ", 'ô': "ơ", 'Ô': "Ơ", 'ö': "ư", 'Ö': "Ư",
		'æ': "ỉ", 'Æ': "Ỉ", 'ò': "ị", 'Ò': "Ị", 'ó': "ĩ", 'Ó': "Ĩ", 'î': "ỵ", 'Î': "Ỵ",
	}
	// mark character -> combining marks (lower and upper case marks alike)
	vniMarks = map[rune]string{
		'ø': "\u0300", 'Ø': "\u0300", 'ù': "\u0301", 'Ù': "\u0301", 'û': "\u0309", 'Û': "\u0309",
		'õ': "\u0303", 'Õ': "\u0303", 'ï': "\u0323", 'Ï': "\u0323",
		'â': "\u0302", 'Â': "\u0302", 'ê': "\u0306", 'Ê': "\u0306",
		'á': "\u0302\u0301", 'Á': "\u0302\u0301", 'à': "\u0302\u0300", 'À': "\u0302\u0300",
		'å': "\u0302\u0309", 'Å': "\u0302\u0309", 'ã': "\u0302\u0303", 'Ã': "\u0302\u0303",
		'ä': "\u0302\u0323", 'Ä': "\u0302\u0323",
		'é': "\u0306\u0301", 'É': "\u0306\u0301", 'è': "\u0306\u0300", 'È': "\u0306\u0300",
		'ú': "\u0306\u0309", 'Ú': "\u0306\u0309", 'ü': "\u0306\u0303", 'Ü': "\u0306\u0303",
		'ë': "\u0306\u0323", 'Ë': "\u0306\u0323",
	}
)

func isVowelBase(r rune) bool {
	switch unicode.ToLower(r) {
	case 'a', 'e', 'i', 'o', 'u', 'y', 'ơ', 'ư':
		return true
	}
	return false
}

func decodeVNI(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	var prev rune
	for _, r := range s {
		if m, ok := vniMarks[r]; ok && isVowelBase(prev) {
			b.WriteString(m)
			prev = 0 // one mark character per letter
			continue
		}
		if l, ok := vniLetters[r]; ok {
			b.WriteString(l)
			prev, _ = utf8.DecodeRuneInString(l)
			continue
		}
		b.WriteRune(r)
		prev = r
	}
	return norm.NFC.String(b.String())
}

// vietLatin1 are the Latin-1 letters that proper Vietnamese uses.
const vietLatin1 = "ÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝàáâãèéêìíòóôõùúý"

// foreign counts the runes of U+0080..U+00FF that Vietnamese text never holds.
func foreign(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x80 && r <= 0xFF && !strings.ContainsRune(vietLatin1, r) {
			n++
		}
	}
	return n
}

// Vietnamese syllables: an initial consonant, a vowel nucleus and a final
// consonant, any of them possibly empty but the nucleus. A wrong decoding of
// legacy text leaves words that are not syllables ("Haứ Noọi").
var (
	initials = []string{"ngh", "ng", "nh", "ch", "gh", "gi", "kh", "ph", "qu", "th", "tr", "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x", ""}
	finals   = []string{"ng", "nh", "ch", "c", "m", "n", "p", "t", ""}
	nuclei   = map[string]bool{}
)

func init() {
	for _, n := range strings.Fields(`a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ
		ưa ưi ươ ưu uy yê oo iêu oai oao oay oeo uây uôi uya uyê uyu ươi ươu yêu`) {
		nuclei[n] = true
	}
}

// toneless drops the five tone marks, keeping the vowel marks (â, ă, ơ …).
func toneless(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(w)) {
		switch r {
		case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
			continue
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

func tones(w string) int {
	n := 0
	for _, r := range norm.NFD.String(w) {
		switch r {
		case '\u0300', '\u0301', '\u0303', '\u0309', '\u0323':
			n++
		}
	}
	return n
}

// syllableMemo remembers isSyllable's answer per word: names and places
// repeat, and each answer costs two Unicode normalizations (0,33 s of a
// province ingest's loader, every Latin-1-only text cell being scored). Bounded,
// so a file of random words cannot grow it.
var syllableMemo = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

const syllableMemoMax = 1 << 14

func isSyllable(w string) bool {
	syllableMemo.Lock()
	v, ok := syllableMemo.m[w]
	syllableMemo.Unlock()
	if ok {
		return v
	}
	v = syllable(w)
	syllableMemo.Lock()
	if len(syllableMemo.m) < syllableMemoMax {
		syllableMemo.m[strings.Clone(w)] = v
	}
	syllableMemo.Unlock()
	return v
}

func syllable(w string) bool {
	if tones(w) > 1 {
		return false
	}
	t := toneless(w)
	for _, ini := range initials {
		if !strings.HasPrefix(t, ini) {
			continue
		}
		rest := t[len(ini):]
		for _, fin := range finals {
			if strings.HasSuffix(rest, fin) && nuclei[rest[:len(rest)-len(fin)]] {
				return true
			}
		}
	}
	return false
}

// implausible counts the words of s that are not Vietnamese syllables.
func implausible(s string) int {
	n := 0
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) }) {
		if !isSyllable(w) {
			n++
		}
	}
	return n
}

// DecodeLegacy returns s in Unicode (NFC) and the legacy encoding it was in, or s
// unchanged and Unicode when it is not legacy text. Only text made of ASCII and
// Latin-1 alone can be legacy: anything with a character beyond U+00FF is
// already Unicode. Each reading (as it is, TCVN3, VNI) is scored by characters
// Vietnamese never uses and words that are not syllables; the best wins, and on a
// tie hint (the encoding the sheet's header was found in) wins over leaving it.
func DecodeLegacy(s string, hint Encoding) (string, Encoding) {
	high := false
	for _, r := range s {
		if r > 0xFF {
			return s, Unicode
		}
		if r >= 0x80 {
			high = true
		}
	}
	if !high {
		return s, Unicode
	}
	best, enc, bestScore := s, Unicode, 10*foreign(s)+implausible(s)
	if bestScore == 0 && hint != TCVN3 && hint != VNI {
		// already plausible Vietnamese (Lê Hà, Trần Văn Tâm's Latin-1 letters):
		// no reading can score lower, and no hint breaks a tie
		return best, enc
	}
	for _, c := range []struct {
		enc Encoding
		f   func(string) string
	}{{TCVN3, decodeTCVN3}, {VNI, decodeVNI}} {
		out := c.f(s)
		if foreign(out) > 0 {
			continue // a reading that leaves foreign characters is not this encoding
		}
		score := implausible(out)
		if score < bestScore || score == bestScore && c.enc == hint && hint != Unicode {
			best, enc, bestScore = out, c.enc, score
		}
	}
	return best, enc
}
