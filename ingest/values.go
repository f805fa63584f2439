package ingest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"orgqa/internal/vnfmt"
)

// Dates outside this window are typing errors (a year typed in a date cell is
// serial 2025, which Excel shows as 17/07/1905).
var (
	minDate = time.Date(1920, 1, 1, 0, 0, 0, 0, time.UTC)
	maxDate = time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC)
)

var errBadDate = errors.New("bad date")

// ParseDate reads a date as units send it: an Excel serial (1900 date system, as
// excelize returns raw date cells), text d/m/yyyy or dd/mm/yyyy (also with - or .),
// d/m/yy (two-digit years as Excel reads them: 00–29 → 20xx), yyyy/mm/dd or
// yyyy.mm.dd, ISO yyyy-mm-dd with an optional time, or words: "ngày 8 tháng 6
// năm 2025". The result is midnight UTC, the calendar
// day itself: no time zone can move it to another day.
func ParseDate(s string) (time.Time, error) { return parseDate(s, false) }

// parseDate is ParseDate in a workbook's date system: with date1904 (Excel for
// Mac before 2011 and the templates made with it) serial 0 is 01/01/1904.
func parseDate(s string, date1904 bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errBadDate
	}
	var t time.Time
	var err error
	switch {
	case isSerial(s) && date1904:
		t, err = serialDate1904(s)
	case isSerial(s):
		t, err = serialDate(s)
	case len(s) >= 10 && s[4] == '-' && isDigits(s[:4]):
		t, err = isoDate(s)
	default:
		t, err = dmyDate(s)
	}
	if err != nil {
		return time.Time{}, err
	}
	if t.Before(minDate) || t.After(maxDate) {
		return time.Time{}, fmt.Errorf("%w: out of range", errBadDate)
	}
	return t, nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isSerial(s string) bool {
	intPart, frac, _ := strings.Cut(s, ".")
	return isDigits(intPart) && (frac == "" || isDigits(frac))
}

// serialDate converts an Excel 1900-system serial. Serial 60 is 29/02/1900, a day
// that never existed (Lotus 1-2-3's leap-year bug, kept by Excel); it is rejected.
func serialDate(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 1 || f > 2958465 {
		return time.Time{}, errBadDate
	}
	n := int(math.Floor(f))
	switch {
	case n == 60:
		return time.Time{}, fmt.Errorf("%w: 29/02/1900 does not exist", errBadDate)
	case n < 60:
		return time.Date(1899, 12, 31, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), nil
	default:
		return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n), nil
	}
}

// serialDate1904 converts an Excel 1904-system serial (no phantom day there).
func serialDate1904(s string) (time.Time, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 2957003 {
		return time.Time{}, errBadDate
	}
	return time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(math.Floor(f))), nil
}

func isoDate(s string) (time.Time, error) {
	day := s[:10]
	rest := s[10:]
	if rest != "" && rest[0] != 'T' && rest[0] != ' ' {
		return time.Time{}, errBadDate
	}
	y, err1 := strconv.Atoi(day[:4])
	m, err2 := strconv.Atoi(day[5:7])
	d, err3 := strconv.Atoi(day[8:10])
	if err1 != nil || err2 != nil || err3 != nil || day[7] != '-' {
		return time.Time{}, errBadDate
	}
	return civil(y, m, d)
}

func dmyDate(s string) (time.Time, error) {
	if t, ok, err := wordDate(s); ok {
		return t, err
	}
	sep := byte(0)
	for i := 0; i < len(s); i++ {
		if s[i] == '/' || s[i] == '-' || s[i] == '.' {
			sep = s[i]
			break
		}
	}
	if sep == 0 {
		return time.Time{}, errBadDate
	}
	// a time of day after the date ("05/03/2025 00:00:00") is dropped
	if sp := strings.IndexByte(s, ' '); sp > 0 {
		s = s[:sp]
	}
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return time.Time{}, errBadDate
	}
	for _, p := range parts {
		if !isDigits(p) {
			return time.Time{}, errBadDate
		}
	}
	a, _ := strconv.Atoi(parts[0])
	b, _ := strconv.Atoi(parts[1])
	c, _ := strconv.Atoi(parts[2])
	switch {
	case len(parts[0]) == 4 && len(parts[1]) <= 2 && len(parts[2]) <= 2 && sep != '-':
		return civil(a, b, c) // 2025/05/07, 2025.05.07 (yyyy-mm-dd is isoDate's)
	case len(parts[0]) > 2 || len(parts[1]) > 2:
		return time.Time{}, errBadDate
	case len(parts[2]) == 4:
		return civil(c, b, a)
	case len(parts[2]) == 2:
		return civil(twoDigitYear(c), b, a)
	}
	return time.Time{}, errBadDate
}

// twoDigitYear reads a year typed with two digits the way Excel does (its
// default window): 00–29 are 2000–2029, 30–99 are 1930–1999. "22/07/25" is
// 22/07/2025.
func twoDigitYear(y int) int {
	if y < 30 {
		return 2000 + y
	}
	return 1900 + y
}

// wordDate reads a date written in words: "ngày 8 tháng 6 năm 2025", with or
// without "ngày", diacritics or spaces ("8 thang 6 nam 2025"). ok says it was
// such a text; err then says whether the day exists.
func wordDate(s string) (time.Time, bool, error) {
	if len(s) < 11 || isDigits(s[:1]) && !strings.ContainsAny(s, "tT") {
		return time.Time{}, false, nil
	}
	m := wordDateForm.FindStringSubmatch(Fold(s))
	if m == nil {
		return time.Time{}, false, nil
	}
	d, _ := strconv.Atoi(m[1])
	mo, _ := strconv.Atoi(m[2])
	y, _ := strconv.Atoi(m[3])
	t, err := civil(y, mo, d)
	return t, true, err
}

var wordDateForm = regexp.MustCompile(`^(?:ngay)?(\d{1,2})thang(\d{1,2})nam(\d{4})$`)

// civil builds a date, refusing days that do not exist (31/04, 29/02 in 2025).
func civil(y, m, d int) (time.Time, error) {
	if m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, errBadDate
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, fmt.Errorf("%w: %02d/%02d/%d does not exist", errBadDate, d, m, y)
	}
	return t, nil
}

var errBadInt = errors.New("bad integer")

// ParseInt reads a whole number: 1296, 1.296 (Vietnamese thousands), 1,296,
// or an Excel number that happens to be whole (12.0, 1E3).
func ParseInt(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if isDigits(s) && len(s) < 19 { // the common case: no sign, no separator, no overflow
		return strconv.ParseInt(s, 10, 64)
	}
	s = strings.ReplaceAll(s, " ", "")
	if s == "" {
		return 0, errBadInt
	}
	body := strings.TrimPrefix(s, "-")
	if grouped(body, '.') || grouped(body, ',') {
		s = thousands.Replace(s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e15 {
		return 0, errBadInt
	}
	return int64(f), nil
}

var thousands = strings.NewReplacer(".", "", ",", "")

// grouped reports digits in groups of three joined by sep: 1.296 or 12.345.678.
func grouped(s string, sep byte) bool {
	first := strings.IndexByte(s, sep)
	if first < 1 || first > 3 || !isDigits(s[:first]) {
		return false
	}
	for rest := s[first+1:]; ; {
		if len(rest) < 3 || !isDigits(rest[:3]) {
			return false
		}
		if len(rest) == 3 {
			return true
		}
		if rest[3] != sep {
			return false
		}
		rest = rest[4:]
	}
}

// maxTextLen bounds one text cell, in characters, so a hostile file cannot
// fill the warehouse.
const maxTextLen = 4000

// maxRejectValue bounds the raw value a reject keeps: enough to find and fix
// the cell, never the 200 MB a hostile cell can hold (every later export and
// workbook of rejects carries it).
const maxRejectValue = 1000

// capMark says a rejected value was cut, and how long the cell was; the
// schema's capRejects writes the same for values stored before the cap.
func capMark(chars int) string { return capMarkHead + vnfmt.Int(int64(chars)) + capMarkTail }

const (
	capMarkHead = "… (đã cắt bớt, ô có "
	capMarkTail = " ký tự)"
)

// capValue cuts a rejected value to maxRejectValue characters, saying so.
func capValue(v string) string {
	if len(v) <= maxRejectValue { // bytes ≥ characters
		return v
	}
	n := utf8.RuneCountInString(v)
	if n <= maxRejectValue {
		return v
	}
	i := 0
	for k := 0; k < maxRejectValue; k++ {
		_, size := utf8.DecodeRuneInString(v[i:])
		i += size
	}
	return v[:i] + capMark(n)
}

// problem is one thing wrong with one cell.
type problem struct {
	col    int // index into spec.Columns
	value  string
	reason string // Vietnamese
}

// parseCell turns one cell into the warehouse value: string, time.Time, int32,
// bool, or nil for blank. A non-empty reason says why the cell is rejected.
func parseCell(c *Column, raw string) (any, string) { return parseCellIn(c, raw, false) }

// parseCellIn is parseCell in a workbook's date system.
func parseCellIn(c *Column, raw string, date1904 bool) (any, string) {
	if raw == uncalculated {
		return nil, uncalculatedReason
	}
	s := strings.TrimSpace(raw)
	if s == "" {
		if c.Required {
			return nil, "Thiếu giá trị bắt buộc"
		}
		return nil, ""
	}
	switch c.Kind {
	case KindText, KindCode:
		if len(s) > maxTextLen { // bytes ≥ characters: counted only when it may matter
			if n := utf8.RuneCountInString(s); n > maxTextLen {
				return nil, fmt.Sprintf("Nội dung quá dài (%s ký tự, tối đa %s)", vnfmt.Int(int64(n)), vnfmt.Int(maxTextLen))
			}
		}
		return cleanText(s), ""
	case KindDate:
		t, err := parseDate(s, date1904)
		if err != nil {
			return nil, "Ngày không hợp lệ (cần dạng dd/mm/yyyy, từ 01/01/1920 đến 31/12/2100)"
		}
		return t, ""
	case KindInt:
		n, err := ParseInt(s)
		if err != nil {
			return nil, "Không phải số nguyên"
		}
		if n < c.Min || n > c.Max {
			return nil, fmt.Sprintf("Giá trị ngoài khoảng cho phép (%d–%d)", c.Min, c.Max)
		}
		return int32(n), ""
	case KindEnum:
		code, ok := c.Enum.Lookup(s)
		if !ok {
			return nil, "Giá trị không thuộc danh mục: " + c.Enum.Labels()
		}
		return code, ""
	case KindBool:
		code, ok := EnumYesNo.Lookup(s)
		if !ok {
			return nil, "Giá trị không thuộc danh mục: Có, Không"
		}
		return code == "co", ""
	}
	return nil, "Kiểu cột không xác định"
}

// conversion counts the cells of one column converted from a legacy encoding.
type conversion struct {
	col           int
	enc           Encoding
	cells         int
	before, after string // the first one, as an example
}

// rowParser parses the data rows of one sheet.
type rowParser struct {
	h           *HeaderMap
	colIdx      map[string]int
	date1904    bool // serials count from 01/01/1904
	conversions map[conversionKey]*conversion
	// memo holds, per column of a list kind (enumerations, Có/Không), what a
	// raw value parsed to: a few labels fill whole columns, and their legacy
	// check and folding cost microseconds each.
	memo []map[string]parsed
}

type parsed struct {
	text   string
	enc    Encoding
	v      any
	reason string
}

// memoLimit bounds each column's memo (a hostile file could put a new value in every row).
const memoLimit = 256

type conversionKey struct {
	col int
	enc Encoding
}

func newRowParser(h *HeaderMap, colIdx map[string]int) *rowParser {
	p := &rowParser{h: h, colIdx: colIdx, conversions: map[conversionKey]*conversion{}, memo: make([]map[string]parsed, len(h.Spec.Columns))}
	for i, c := range h.Spec.Columns {
		if c.Kind == KindEnum || c.Kind == KindBool {
			p.memo[i] = map[string]parsed{}
		}
	}
	return p
}

// legacyKinds are the kinds whose text may be typed in a legacy font.
func legacyKind(k Kind) bool { return k == KindText || k == KindEnum || k == KindBool }

// parse parses the contract columns of one data row into vals (one per contract
// column) and returns every problem found in it.
func (p *rowParser) parse(cells []string, vals []any, probs []problem) []problem {
	spec := p.h.Spec
	for i := range spec.Columns {
		raw := ""
		if pos := p.h.Index[i]; pos >= 0 && pos < len(cells) {
			raw = cells[pos]
		}
		memo := p.memo[i]
		r, seen := memo[raw]
		if !seen {
			r.text, r.enc = raw, Unicode
			if legacyKind(spec.Columns[i].Kind) {
				if dec, enc := DecodeLegacy(raw, p.h.Legacy); enc != Unicode {
					r.text, r.enc = dec, enc
				}
			}
			r.v, r.reason = parseCellIn(&spec.Columns[i], r.text, p.date1904)
			if memo != nil && len(memo) < memoLimit {
				memo[raw] = r
			}
		}
		if r.enc != Unicode {
			p.record(i, r.enc, raw, r.text)
		}
		v, reason := r.v, r.reason
		vals[i] = v
		if reason != "" {
			probs = append(probs, problem{col: i, value: raw, reason: reason})
		}
	}
	if len(probs) == 0 && spec.Check != nil {
		if col, reason := spec.Check(vals, p.colIdx); reason != "" {
			i := p.colIdx[col]
			raw := ""
			if pos := p.h.Index[i]; pos >= 0 && pos < len(cells) {
				raw = cells[pos]
			}
			probs = append(probs, problem{col: i, value: raw, reason: reason})
		}
	}
	return probs
}

func (p *rowParser) record(col int, enc Encoding, before, after string) {
	k := conversionKey{col, enc}
	c := p.conversions[k]
	if c == nil {
		c = &conversion{col: col, enc: enc, before: before, after: after}
		p.conversions[k] = c
	}
	c.cells++
}
