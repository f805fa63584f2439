package ingest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The rules no single row can check — a key seen earlier in the same sheet (the
// first row is kept), a code that names no row of the sheet it refers to — are
// checked while the rows stream in, before a row reaches the Appender: a
// report's codes fit in memory (a few thousand), and a row found bad is never
// appended and then deleted. Sheets come in contract order, so the sheet a
// reference points to is complete, with its own rejects, when the referring
// rows arrive. (These checks were SQL statements after each sheet; at province
// scale they cost a third of ingest.)

// setState is what one report's checks remember.
type setState struct {
	// per single-key sheet: the codes of rows accepted, and the first row
	// rejected for each code (so a reference can say its target was rejected)
	accepted map[*SheetSpec]map[string]bool
	rejected map[*SheetSpec]map[string]int
	// unpadded: per sheet, its accepted codes by their digits without leading
	// zeros (built when a reference first misses); "" when two codes share them
	unpadded map[*SheetSpec]map[string]string
	// headersOnly: a sheet lacked required columns, so the report fails; the
	// sheets after it are read only for their headers, to name all that is missing
	headersOnly bool
}

func newSetState() *setState {
	return &setState{accepted: map[*SheetSpec]map[string]bool{}, rejected: map[*SheetSpec]map[string]int{}}
}

// sheetChecks checks the rows of one sheet.
type sheetChecks struct {
	st      *setState
	spec    *SheetSpec
	keyCols []int
	what    string         // the key's header(s), as the reject names them
	first   map[string]int // key → first row with it
	refs    []refCheck
	// codes read with their leading zeros restored: per column, each code
	fixed     map[int]map[string]string
	fixedRows map[int]int
}

type refCheck struct {
	Ref
	col, whenCol int // -1: no condition
	target       *SheetSpec
}

func (st *setState) sheet(spec *SheetSpec) (*sheetChecks, error) {
	c := &sheetChecks{st: st, spec: spec, first: map[string]int{}}
	var hs []string
	for _, k := range spec.Key {
		c.keyCols = append(c.keyCols, spec.column(k))
		hs = append(hs, spec.Columns[spec.column(k)].Header)
	}
	if c.what = strings.Join(hs, ", "); len(hs) > 1 {
		c.what = "(" + c.what + ")"
	}
	for _, ref := range spec.Refs {
		target := tableSheet(ref.Table)
		if target == nil || len(target.Key) != 1 || target.Key[0] != ref.TargetColumn {
			return nil, fmt.Errorf("contract: %s.%s must refer to the key of a sheet", spec.Name, ref.Column)
		}
		rc := refCheck{Ref: ref, col: spec.column(ref.Column), whenCol: -1, target: target}
		if ref.WhenColumn != "" {
			rc.whenCol = spec.column(ref.WhenColumn)
		}
		c.refs = append(c.refs, rc)
	}
	if len(spec.Key) == 1 {
		st.accepted[spec], st.rejected[spec] = map[string]bool{}, map[string]int{}
	}
	return c, nil
}

// keyText is a key value as the reject shows it: dates dd/mm/yyyy, codes as stored.
func keyText(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case time.Time:
		return v.Format("02/01/2006")
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// setProblem is a problem of a row that parsed: a repeated key, or a reference
// to nothing. col is the contract column it is reported under.
type setProblem struct {
	col           int
	value, reason string
}

// check looks at one parsed row; a nil problem means it may be loaded. own is
// the row's code in a sheet keyed by one column ("" otherwise), for accept and
// reject and the rejects' row_key.
func (c *sheetChecks) check(vals []any, row int) (own string, _ *setProblem) {
	switch len(c.keyCols) {
	case 0:
	case 1:
		own = keyText(vals[c.keyCols[0]])
		if p := c.repeated(own, vals, row); p != nil {
			return own, p
		}
	default:
		parts := make([]string, len(c.keyCols))
		for i, k := range c.keyCols {
			parts[i] = keyText(vals[k])
		}
		if p := c.repeated(strings.Join(parts, "\x00"), vals, row); p != nil {
			return "", p
		}
	}
	for _, r := range c.refs {
		code, _ := vals[r.col].(string)
		if code == "" {
			continue
		}
		if r.whenCol >= 0 {
			if w, _ := vals[r.whenCol].(string); w != r.WhenIs {
				continue
			}
		}
		if c.st.accepted[r.target][code] {
			continue
		}
		if full, ok := c.st.restore(r.target, code); ok {
			vals[r.col] = full // a code whose leading zeros were lost when it was typed as a number
			c.restored(r.col, code, full)
			continue
		}
		header := c.spec.Columns[r.col].Header
		why := "không có trong sheet " + r.target.Name
		if at, ok := c.st.rejected[r.target][code]; ok {
			why = fmt.Sprintf("thuộc dòng %d của sheet %s, dòng đó đã bị từ chối", at, r.target.Name)
		}
		return own, &setProblem{col: r.col, value: code, reason: fmt.Sprintf("%s \"%s\" %s", header, code, why)}
	}
	return own, nil
}

// repeated is the problem of a row whose key an earlier row had; it records
// the key's first row otherwise.
func (c *sheetChecks) repeated(key string, vals []any, row int) *setProblem {
	first, seen := c.first[key]
	if !seen {
		c.first[key] = row
		return nil
	}
	var shown []string
	for _, k := range c.keyCols {
		if vals[k] != nil {
			shown = append(shown, keyText(vals[k]))
		}
	}
	return &setProblem{col: c.keyCols[0], value: strings.Join(shown, " / "), reason: fmt.Sprintf("%s trùng với dòng %d", c.what, first)}
}

// accept records a loaded row's code (check's own), for the references to it.
func (c *sheetChecks) accept(own string) {
	if own != "" {
		c.st.accepted[c.spec][own] = true
	}
}

// reject records a rejected row's code (the first row for each code).
func (c *sheetChecks) reject(code string, row int) {
	if m := c.st.rejected[c.spec]; m != nil && code != "" {
		if _, ok := m[code]; !ok {
			m[code] = row
		}
	}
}

func tableSheet(table string) *SheetSpec {
	for _, s := range Contract {
		if s.Table == table {
			return s
		}
	}
	return nil
}

// restore finds the one accepted code of target that code names once its
// leading zeros are put back ("701" for "0701"): a code typed into a General
// cell as a number. Never when two codes could be meant, nor for a code with
// anything but digits.
func (st *setState) restore(target *SheetSpec, code string) (string, bool) {
	if !isDigits(code) {
		return "", false
	}
	if st.unpadded == nil {
		st.unpadded = map[*SheetSpec]map[string]string{}
	}
	idx := st.unpadded[target]
	if idx == nil {
		idx = map[string]string{}
		for k := range st.accepted[target] {
			if isDigits(k) && k[0] == '0' {
				short := strings.TrimLeft(k, "0")
				if _, two := idx[short]; two {
					idx[short] = ""
				} else {
					idx[short] = k
				}
			}
		}
		st.unpadded[target] = idx
	}
	full := idx[strings.TrimLeft(code, "0")]
	return full, full != "" && full != code
}

// restored records a code read with its zeros restored, for the file's note.
func (c *sheetChecks) restored(col int, from, to string) {
	if c.fixed == nil {
		c.fixed, c.fixedRows = map[int]map[string]string{}, map[int]int{}
	}
	if c.fixed[col] == nil {
		c.fixed[col] = map[string]string{}
	}
	c.fixed[col][from] = to
	c.fixedRows[col]++
}

// restoredNotes says, per column, which codes were read with their zeros restored.
func (c *sheetChecks) restoredNotes() []string {
	var out []string
	for col, m := range c.fixed {
		var ex []string
		for from, to := range m {
			ex = append(ex, fmt.Sprintf("%q được đọc là %q", from, to))
		}
		sort.Strings(ex)
		more := ""
		if len(ex) > 3 {
			more = fmt.Sprintf(" và %d mã khác", len(ex)-3)
			ex = ex[:3]
		}
		out = append(out, fmt.Sprintf("Sheet %s: %d dòng có %s bị mất số 0 ở đầu (gõ thành số) — %s%s; hãy định dạng cột này là Văn bản (Text) để giữ số 0",
			c.spec.Name, c.fixedRows[col], strings.ToLower(c.spec.Columns[col].Header[:1])+c.spec.Columns[col].Header[1:], strings.Join(ex, ", "), more))
	}
	sort.Strings(out)
	return out
}
