package ingest

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// The layouts offices really send around the contract's table: header blocks
// of official forms (a group cell merged over sub-headers, cells merged down
// over two header rows), a row of column numbers under the header, merged data
// cells, and a signature block under the data. The readers give rows of cells;
// what is here turns those into the table the contract describes.

// uncalculated stands in a cell for a formula whose value no reader could
// give: no cached value in the file, and none excelize's engine could compute.
// It is a byte no workbook text can hold (XML forbids it; the .xls and .ods
// readers drop it from text).
const uncalculated = "\x00"

const uncalculatedReason = "Ô có công thức chưa được tính giá trị (tệp do chương trình không tính công thức ghi ra): mở tệp bằng Excel hoặc LibreOffice và lưu lại rồi gửi lại"

// mergeRange is a merged block: rows 1-based, columns 0-based, inclusive.
type mergeRange struct{ top, left, bottom, right int }

// parseRange reads "A1:C3" (or one cell, "B2").
func parseRange(ref string) (mergeRange, bool) {
	a, b, found := strings.Cut(ref, ":")
	if !found {
		b = a
	}
	c1, r1, ok1 := cellRef(a)
	c2, r2, ok2 := cellRef(b)
	if !ok1 || !ok2 {
		return mergeRange{}, false
	}
	m := mergeRange{top: min(r1, r2), bottom: max(r1, r2), left: min(c1, c2), right: max(c1, c2)}
	return m, true
}

// cellRef reads "AB12" (a "$" anywhere is allowed) as 0-based column and 1-based row.
func cellRef(s string) (col, row int, ok bool) {
	s = strings.ReplaceAll(s, "$", "")
	i := 0
	for i < len(s) && i < 3 && (s[i] >= 'A' && s[i] <= 'Z' || s[i] >= 'a' && s[i] <= 'z') {
		col = col*26 + int(unicode.ToUpper(rune(s[i]))-'A'+1)
		i++
	}
	if i == 0 || i == len(s) || len(s)-i > 7 {
		return 0, 0, false
	}
	for _, c := range s[i:] {
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		row = row*10 + int(c-'0')
	}
	if row < 1 || col > 16384 {
		return 0, 0, false
	}
	return col - 1, row, true
}

// mergeFiller gives every cell a merge covers the value of the merge's first
// cell, as the sheet shows it: a code merged down over a cell's meetings
// counts for each meeting, a header merged down counts for each header row.
// Merges are added before the row they start on is filled.
type mergeFiller struct {
	merges     []mergeRange // by top row
	next       int          // merges[next:] have not started
	active     []mergeRange
	anchor     map[mergeRange]string
	buf        []string
	maxColumns int
}

func (m *mergeFiller) add(r mergeRange) {
	if r.right >= m.maxColumns {
		r.right = m.maxColumns - 1
	}
	if r.left <= r.right && (r.bottom > r.top || r.right > r.left) {
		m.merges = append(m.merges, r)
	}
}

// fill returns row's cells with the merges over it filled in (cells itself
// when none covers it).
func (m *mergeFiller) fill(row int, cells []string) []string {
	live := m.active[:0]
	for _, r := range m.active { // merges that ended above this row are done
		if r.bottom >= row {
			live = append(live, r)
		} else {
			delete(m.anchor, r)
		}
	}
	m.active = live
	for m.next < len(m.merges) && m.merges[m.next].top <= row {
		r := m.merges[m.next]
		m.next++
		if r.bottom < row {
			continue
		}
		v := ""
		if r.top == row && r.left < len(cells) {
			v = cells[r.left]
		}
		if m.anchor == nil {
			m.anchor = map[mergeRange]string{}
		}
		m.anchor[r] = v
		m.active = append(m.active, r)
	}
	if len(m.active) == 0 {
		return cells
	}
	m.buf = append(m.buf[:0], cells...)
	for _, r := range m.active {
		v := m.anchor[r]
		if v == "" {
			continue
		}
		for len(m.buf) <= r.right {
			m.buf = append(m.buf, "")
		}
		for c := r.left; c <= r.right; c++ {
			if c != r.left || row != r.top {
				m.buf[c] = v
			}
		}
	}
	return m.buf
}

// merged is a reader with the sheet's merges filled in.
type merged struct {
	rowIter
	mergeFiller
	row int
}

// withMerges wraps it when the sheet has merged cells.
func withMerges(it rowIter, ms []mergeRange, maxColumns int) rowIter {
	m := &merged{rowIter: it, mergeFiller: mergeFiller{maxColumns: maxColumns}}
	for _, r := range ms {
		m.add(r)
	}
	if len(m.merges) == 0 {
		return it
	}
	sort.SliceStable(m.merges, func(i, j int) bool { return m.merges[i].top < m.merges[j].top })
	return m
}

func (m *merged) Next() bool {
	if !m.rowIter.Next() {
		return false
	}
	m.row++
	return true
}

func (m *merged) Cells() ([]string, error) {
	cells, err := m.rowIter.Cells()
	filled := m.fill(m.row, cells)
	if err != nil {
		return cells, err
	}
	return filled, nil
}

// Encoding passes on what a CSV reader says.
func (m *merged) Encoding() string {
	if e, ok := m.rowIter.(interface{ Encoding() string }); ok {
		return e.Encoding()
	}
	return ""
}

// headerNames gives, for each column, the names a header block of up to three
// rows can give it, most specific first: the last row's cell preceded by the
// cells above it ("Vắng" over "Có lý do" gives "Vắng Có lý do", then "Có lý
// do"). A value repeated down (a cell merged over the block) counts once.
func headerNames(block [][]string, pos int) []string {
	var parts []string
	for _, row := range block {
		v := ""
		if pos < len(row) {
			v = strings.TrimSpace(row[pos])
		}
		parts = append(parts, v)
	}
	var names []string
	for from := 0; from < len(parts); from++ {
		var b []string
		for _, p := range parts[from:] {
			if p != "" && p != uncalculated && (len(b) == 0 || b[len(b)-1] != p) {
				b = append(b, p)
			}
		}
		if len(b) > 0 {
			name := strings.Join(b, " ")
			if len(names) == 0 || names[len(names)-1] != name {
				names = append(names, name)
			}
		}
	}
	return names
}

// columnNumbers recognises the row of column numbers official forms put under
// the header: "1, 2, 3…", "(1), (2)…", "A, B, C, 1, 2", also "4=5+6". Every
// non-empty cell is such a label, there are at least two, and the plain numbers
// among them rise from left to right.
func columnNumbers(cells []string) bool {
	n, last := 0, -1
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		m := columnLabel.FindStringSubmatch(c)
		if m == nil {
			return false
		}
		n++
		if num := m[1]; num != "" {
			v := 0
			for _, d := range num {
				v = v*10 + int(d-'0')
			}
			if v <= last {
				return false
			}
			last = v
		}
	}
	return n >= 2
}

var columnLabel = regexp.MustCompile(`^[(\[]?\s*(?:(\d{1,3})(?:\s*[=+\-*/x]\s*\d{1,3})*|[A-Za-z])\s*[)\]]?\.?$`)

// The end of a table: an official form closes with a place and date line,
// the signers' titles, a "(Ký, ghi rõ họ tên)" line, their names, and a "Nơi
// nhận" list. Such rows are passed over with a note; any row that could be
// data is still read as data.

// signatureStart reports a row that opens a signature or footer block: every
// non-empty cell is a signer's title, a place and date line, a signing
// instruction or "Nơi nhận".
func signatureStart(cells []string, m textMemo) bool {
	n := 0
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !m.is(c, signaturePhrase) {
			return false
		}
		n++
	}
	return n > 0
}

// signatureRest reports a row inside a signature block: phrases as above,
// names of signers, or the lines of a "Nơi nhận" list ("- Như trên;", "- Lưu
// VT."). A row with a digit outside such a line, or more than three filled
// cells, is not passed over.
func signatureRest(cells []string, m textMemo) bool {
	n := 0
	for _, c := range cells {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		n++
		if n > 3 {
			return false
		}
		switch {
		case m.is(c, signaturePhrase):
		case (c[0] == '-' || c[0] == '+' || strings.HasPrefix(c, "–")) && !strings.ContainsAny(c, "0123456789"):
		case personName(c):
		default:
			return false
		}
	}
	return n > 0
}

var signatureTitles = []string{
	"nguoilapbieu", "nguoilapbang", "nguoilap", "nguoibaocao", "nguoitonghop", "nguoiky", "nguoighi",
	"bithu", "phobithu", "thuongtrucdanguy", "thutruongdonvi", "truongban", "photruongban", "chanhvanphong",
	"xacnhancua", "noinhan", "kyghirohoten", "kytenghirohoten", "kytendongdau", "kyhoten", "kyten", "kydongdau",
	"kyvadongdau", "kyghihoten",
}

func signaturePhrase(c string) bool {
	if c[0] >= '0' && c[0] <= '9' {
		return false // an STT or a code: decided without allocating, as this runs on every data row
	}
	for _, p := range []string{"T/M", "TM.", "TM ", "K/T", "KT.", "KT ", "Q.", "TL.", "T/L"} {
		if len(c) > len(p)+2 && strings.EqualFold(c[:len(p)], p) {
			return true
		}
	}
	f := Fold(c)
	if f == "" {
		return strings.Trim(c, ".…_- ") == "" && len(c) >= 3 // a line of dots to sign on
	}
	for _, t := range signatureTitles {
		if f == t || strings.HasPrefix(f, t) && (t == "xacnhancua" || t == "noinhan" || strings.HasPrefix(c, "(")) {
			return true
		}
	}
	if c[0] == '(' && strings.HasPrefix(f, "ky") {
		return true
	}
	// "Long Hồ, ngày 24 tháng 01 năm 2026", "…, ngày … tháng … năm 20…"
	if i := strings.Index(f, "ngay"); i >= 0 && placeDate.MatchString(f[i:]) &&
		(strings.Contains(c, ",") || strings.ContainsAny(c, ".…_")) {
		return true
	}
	return false
}

var placeDate = regexp.MustCompile(`^ngay\d{0,2}thang\d{0,2}nam\d{0,4}$`)

// personName is a signer's name under a title: two to seven words of letters.
func personName(c string) bool {
	words := strings.Fields(c)
	if len(words) < 2 || len(words) > 7 {
		return false
	}
	for _, w := range words {
		for _, r := range w {
			if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) && r != '.' {
				return false
			}
		}
	}
	return true
}

// textMemo remembers a test of a cell's text, as the same labels fill whole
// columns and the tests fold text: bounded, as a hostile file could put a new
// value in every row.
type textMemo map[string]bool

func (m textMemo) is(s string, test func(string) bool) bool {
	if v, ok := m[s]; ok {
		return v
	}
	v := test(s)
	if len(m) < memoLimit {
		m[s] = v
	}
	return v
}

// rowSpan formats a run of rows for a note: "dòng 25" or "dòng 25–31".
func rowSpan(first, last int) string {
	if first == last {
		return fmt.Sprintf("dòng %d", first)
	}
	return fmt.Sprintf("dòng %d–%d", first, last)
}
