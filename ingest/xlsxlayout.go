package ingest

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// What an .xlsx sheet shows beyond its raw values: merged cells, numbers in a
// zero-padding format (a code typed as 701 and shown as 0701), formulas
// without a cached value.

// sheetMerges lists a worksheet's merged cells. They follow the sheet's data
// in the XML, so the part's tail is scanned for them (a sheet kept in a
// temporary file is streamed from the zip); excelize's GetMergeCells would
// decode the whole sheet a second time.
func sheetMerges(w *workbookFast, f *excelize.File, sheet, path string) []mergeRange {
	if path == "" {
		cells, err := f.GetMergeCells(sheet)
		if err != nil {
			return nil
		}
		var out []mergeRange
		for _, c := range cells {
			if m, ok := parseRange(c.GetStartAxis() + ":" + c.GetEndAxis()); ok {
				out = append(out, m)
			}
		}
		return out
	}
	if v, ok := f.Pkg.Load(path); ok {
		b, _ := v.([]byte)
		if i := bytes.LastIndex(b, []byte("sheetData>")); i >= 0 {
			b = b[i:]
		}
		if bytes.Index(b, []byte("mergeCell")) < 0 {
			return nil
		}
		return scanMerges(bytes.NewReader(b))
	}
	found, err := w.parts(func(name string) bool { return name == path })
	if err != nil || len(found) != 1 {
		return nil
	}
	rc, err := found[0].Open()
	if err != nil {
		return nil
	}
	defer rc.Close()
	return scanMerges(rc)
}

var mergeRef = regexp.MustCompile(`^<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?\bref\s*=\s*["']([A-Za-z$]{1,4}[$]?\d{1,7}(?::[A-Za-z$]{1,4}[$]?\d{1,7})?)["']`)

// scanMerges reads <mergeCell ref="A1:B2"/> tags from XML, tag by tag, in
// bounded memory.
func scanMerges(r io.Reader) []mergeRange {
	br := bufio.NewReaderSize(r, 1<<16)
	var out []mergeRange
	for {
		if _, err := br.ReadSlice('<'); err != nil && err != bufio.ErrBufferFull {
			return out
		}
		tag, err := br.ReadSlice('>')
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			return out
		}
		if !bytes.Contains(tag, []byte("mergeCell")) {
			continue
		}
		if m := mergeRef.FindSubmatch(append([]byte("<"), tag...)); m != nil {
			if mr, ok := parseRange(string(m[1])); ok {
				out = append(out, mr)
			}
		}
	}
}

// displayed finishes an .xlsx row as the sheet shows it: numbers in a
// zero-padding format get their zeros, formulas without a cached value the
// value excelize's engine computes, or uncalculated.
type displayed struct {
	f        *excelize.File
	sheet    string
	row      int
	pads     map[int]int // style → digits its format pads to (0: none)
	computed *int        // formulas computed, for the file's note
}

type extrasRows interface {
	extras() ([]int, [][2]int)
}

func (d *displayed) apply(cells []string, uncalc []int, styled [][2]int) {
	for _, cs := range styled {
		col, style := cs[0], cs[1]
		if col > len(cells) {
			continue
		}
		w, ok := d.pads[style]
		if !ok {
			w = 0
			if st, err := d.f.GetStyle(style); err == nil && st != nil && st.CustomNumFmt != nil {
				w = zeroPad(*st.CustomNumFmt)
			}
			d.pads[style] = w
		}
		if w > 0 {
			cells[col-1] = padCode(cells[col-1], w)
		}
	}
	for _, col := range uncalc {
		if col > len(cells) {
			continue
		}
		ref, err := excelize.CoordinatesToCellName(col, d.row)
		v := ""
		if err == nil {
			v, err = d.f.CalcCellValue(d.sheet, ref, excelize.Options{RawCellValue: true})
		}
		if err != nil {
			cells[col-1] = uncalculated
			continue
		}
		cells[col-1] = v
		*d.computed++
	}
}

// zeroPad is the number of digits a format like "0000" pads an integer to; 0
// for any other format.
func zeroPad(format string) int {
	format = strings.TrimSpace(format)
	if len(format) < 2 || len(format) > 30 || strings.Trim(format, "0") != "" {
		return 0
	}
	return len(format)
}

// padCode writes a whole number with the zeros its format shows.
func padCode(v string, width int) string {
	if !isDigits(v) {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f < 1e15 && f == float64(int64(f)) {
			v = strconv.FormatInt(int64(f), 10)
		} else {
			return v
		}
	}
	if len(v) >= width {
		return v
	}
	return strings.Repeat("0", width-len(v)) + v
}
