package ingest

import (
	_ "embed"
	"fmt"
	"strings"
	"sync"
)

//go:embed aliases.txt
var aliasesText string

// names maps, per contract sheet, folded sheet names and folded headers to what they name.
type names struct {
	sheets  map[string]*SheetSpec         // folded sheet name -> sheet
	columns map[*SheetSpec]map[string]int // folded header -> column index
}

var (
	namesOnce sync.Once
	namesVal  *names
	namesErr  error
)

// matchNames returns the header and sheet-name index built from the contract and aliases.txt.
func matchNames() (*names, error) {
	namesOnce.Do(func() { namesVal, namesErr = buildNames(aliasesText) })
	return namesVal, namesErr
}

func buildNames(aliases string) (*names, error) {
	n := &names{sheets: map[string]*SheetSpec{}, columns: map[*SheetSpec]map[string]int{}}
	for _, s := range Contract {
		n.sheets[Fold(s.Name)] = s
		n.columns[s] = map[string]int{}
		for i, c := range s.Columns {
			n.columns[s][Fold(c.Header)] = i
		}
	}
	for ln, line := range strings.Split(aliases, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			return nil, fmt.Errorf("aliases.txt:%d: want sheet<TAB>column<TAB>alias, got %q", ln+1, line)
		}
		s := SheetByName(f[0])
		if s == nil {
			return nil, fmt.Errorf("aliases.txt:%d: unknown sheet %q", ln+1, f[0])
		}
		key := Fold(f[2])
		if f[1] == "*" {
			if other, ok := n.sheets[key]; ok && other != s {
				return nil, fmt.Errorf("aliases.txt:%d: %q already names sheet %s", ln+1, f[2], other.Name)
			}
			n.sheets[key] = s
			continue
		}
		idx := -1
		for i, c := range s.Columns {
			if c.Name == f[1] {
				idx = i
			}
		}
		if idx < 0 {
			return nil, fmt.Errorf("aliases.txt:%d: sheet %s has no column %q", ln+1, f[0], f[1])
		}
		if other, ok := n.columns[s][key]; ok && other != idx {
			return nil, fmt.Errorf("aliases.txt:%d: %q already names column %s of %s", ln+1, f[2], s.Columns[other].Name, s.Name)
		}
		n.columns[s][key] = idx
	}
	return n, nil
}

// SheetFor returns the contract sheet a workbook sheet or CSV file part names, or nil.
func SheetFor(name string) (*SheetSpec, error) {
	n, err := matchNames()
	if err != nil {
		return nil, err
	}
	name, _ = DecodeLegacy(name, Unicode)
	return n.sheets[Fold(name)], nil
}

// HeaderMap says where each contract column sits in a sheet: Index[i] is the
// 0-based position of spec.Columns[i], or -1 when the sheet lacks it.
type HeaderMap struct {
	Spec  *SheetSpec
	Row   int // 1-based row of the header
	Index []int
	// Legacy is the legacy encoding the header was typed in, if any: the sheet's
	// font, and so the likely encoding of its text cells.
	Legacy Encoding
}

// MissingHeaderError is a sheet whose header row lacks required columns.
type MissingHeaderError struct {
	Sheet    string
	Missing  []string // contract headers not found
	Found    []string // headers of the best candidate row
	Searched int      // rows searched
}

func (e *MissingHeaderError) Error() string {
	return fmt.Sprintf("sheet %s: no header row with the required columns in the first %d rows; missing %s; best row has %s",
		e.Sheet, e.Searched, quoteList(e.Missing), quoteList(e.Found))
}

func quoteList(xs []string) string {
	if len(xs) == 0 {
		return "nothing"
	}
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprintf("%q", x)
	}
	return strings.Join(q, ", ")
}

// headerFinder looks for the header among the first rows of a sheet: the
// first row that, alone or with up to two rows right above it (the header block
// of an official form), names every required column. Title rows, merged cells
// and blank rows above it are passed over.
type headerFinder struct {
	spec     *SheetSpec
	index    map[string]int
	best     []string     // the header names of the row that named the most columns
	bestIdx  map[int]bool // the contract columns it named
	bestHits int
	searched int
	above    [][]string // copies of the rows right above, nearest last
	again    textMemo   // first required column's values judged by headerAgain
	aboveEnd int        // the row number of above's last row
}

// maxHeaderSearch is how many rows may stand above the header.
const maxHeaderSearch = 30

func newHeaderFinder(spec *SheetSpec) (*headerFinder, error) {
	n, err := matchNames()
	if err != nil {
		return nil, err
	}
	return &headerFinder{spec: spec, index: n.columns[spec], bestHits: -1}, nil
}

// try matches one row, with the rows right above it; it returns the map when
// the row ends a header, and the number of columns named.
func (h *headerFinder) try(rowNum int, cells []string) (*HeaderMap, int) {
	h.searched = rowNum
	if h.aboveEnd != rowNum-1 {
		h.above = h.above[:0]
	}
	block := append(append([][]string{}, h.above...), cells)
	m := &HeaderMap{Spec: h.spec, Row: rowNum, Index: make([]int, len(h.spec.Columns))}
	for i := range m.Index {
		m.Index[i] = -1
	}
	hits := 0
	width := 0
	for _, r := range block {
		width = max(width, len(r))
	}
	var shown []string
	for pos := 0; pos < width; pos++ {
		names := headerNames(block, pos)
		if len(names) > 0 {
			shown = append(shown, names[0])
		}
		for _, name := range names {
			name, enc := DecodeLegacy(name, Unicode)
			if i, ok := h.lookup(name); ok && m.Index[i] < 0 {
				m.Index[i] = pos
				hits++
				if enc != Unicode {
					m.Legacy = enc
				}
				break
			}
		}
	}
	if hits > h.bestHits {
		h.bestHits, h.best, h.bestIdx = hits, shown, map[int]bool{}
		for i, p := range m.Index {
			if p >= 0 {
				h.bestIdx[i] = true
			}
		}
	}
	// keep this row for the next one
	if len(h.above) == 2 {
		h.above = h.above[1:]
	}
	h.above = append(h.above, append([]string(nil), cells...))
	h.aboveEnd = rowNum
	for i, c := range h.spec.Columns {
		if c.Required && m.Index[i] < 0 {
			return nil, hits
		}
	}
	return m, hits
}

// lookup finds the column a header names: as written, or without a note in
// brackets that changes nothing ("Số đảng viên (người)", "Ngày họp
// (dd/mm/yyyy)"). A bracket that could name a unit ("(giờ)") is never dropped.
func (h *headerFinder) lookup(name string) (int, bool) {
	if i, ok := h.index[Fold(name)]; ok {
		return i, true
	}
	name = strings.TrimSpace(name)
	if open := strings.LastIndexByte(name, '('); open > 0 && strings.HasSuffix(name, ")") && plainNote[Fold(name[open:])] {
		i, ok := h.index[Fold(name[:open])]
		return i, ok
	}
	return 0, false
}

var plainNote = map[string]bool{"nguoi": true, "dongchi": true, "dc": true, "ngaythangnam": true, "ddmmyyyy": true,
	"ngaythang": true, "neuco": true, "cokhong": true, "ghiro": true}

// headerAgain reports a data row that repeats the header (copied under a page
// break, or at the top of each pasted block): every required column holds its
// header. It is decided cheaply first: a code with no space in it is data.
func (h *headerFinder) headerAgain(hm *HeaderMap, cells []string) bool {
	checked := false
	if h.again == nil {
		h.again = textMemo{}
	}
	for i, c := range h.spec.Columns {
		if !c.Required {
			continue
		}
		pos := hm.Index[i]
		if pos < 0 || pos >= len(cells) {
			return false
		}
		v := cells[pos]
		if !checked && !strings.Contains(strings.TrimSpace(v), " ") {
			return false
		}
		names := func(v string) bool {
			dec, _ := DecodeLegacy(v, Unicode)
			j, ok := h.lookup(dec)
			return ok && j == i
		}
		if !checked && !h.again.is(v, names) || checked && !names(v) {
			return false
		}
		checked = true
	}
	return checked
}

func (h *headerFinder) missing() *MissingHeaderError {
	e := &MissingHeaderError{Sheet: h.spec.Name, Found: h.best, Searched: h.searched}
	for i, c := range h.spec.Columns {
		if c.Required && !h.bestIdx[i] {
			e.Missing = append(e.Missing, c.Header)
		}
	}
	return e
}

// blankRow reports a row with nothing in it, without allocating: it runs on every row.
func blankRow(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// isTotalRow reports a trailing "Tổng cộng" row: its first non-empty cell says total.
func isTotalRow(cells []string) bool {
	for _, c := range cells {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if c[0] >= '0' && c[0] <= '9' {
			return false // an STT number or a code: a data row, decided without folding (this runs on every row)
		}
		f := Fold(c)
		return f == "tongcong" || f == "tong" || f == "cong" || f == "tongso"
	}
	return false
}

// ColumnLetter turns a 0-based column position into Excel's letters (0 -> A, 27 -> AB).
func ColumnLetter(pos int) string {
	var b []byte
	for pos++; pos > 0; pos = (pos - 1) / 26 {
		b = append([]byte{byte('A' + (pos-1)%26)}, b...)
	}
	return string(b)
}
