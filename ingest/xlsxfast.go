package ingest

// A purpose-built reader of worksheet rows. Profiling ingest showed excelize's
// row iterator spending nine tenths of its time in encoding/xml (a token, an
// allocation and an interface conversion per element and attribute); this
// reader scans the same bytes directly.
//
// excelize stays the reference and the fallback. The workbook is still opened
// by excelize (its structure, limits and errors are excelize's), and this
// reader only walks the rows of a worksheet that is written the way Excel,
// LibreOffice and excelize write one: a <sheetData> of <row r="N"> elements in
// increasing order, holding <c> cells with <v>, <f> and <is> children. The
// moment it meets anything else — a comment, CDATA, a namespace prefix, a
// row without its number, an entity it does not know, text that is not valid
// XML, a shared string table in Strict OOXML — it hands over to excelize's own
// iterator, advanced past the rows already returned, so the rows a caller sees
// are exactly excelize's. xlsxfast_test.go checks that on every test workbook
// and under fuzzing, and ORGQA_VERIFY_XLSX=1 makes every sheet any test loads
// be read both ways and compared.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// errFallback says the fast reader met something it does not read itself.
var errFallback = errors.New("xlsxfast: hand over to excelize")

// xmlError is text no XML reader accepts: a character XML forbids, bytes that
// are not UTF-8, an entity XML does not define (&nbsp;), an end tag that closes
// nothing, a part cut off. It is not handed to excelize, whose iterator ends
// the sheet silently at the first one (rows.go: token, _ := decoder.Token()):
// inside a row the row is returned as bad (a *RowError) and reading resumes at
// the row's end; anywhere else the sheet fails with it.
type xmlError struct {
	what  string // English, for logs
	vi    string // the same for the unit, in Vietnamese
	value string // the text it was met in, the bad part shown as [U+000B], [0xFF]
}

func (e *xmlError) Error() string { return "XML error: " + e.what }

var errCutOff = &xmlError{what: "the worksheet's XML is cut off", vi: "phần dữ liệu của sheet bị cắt cụt (tệp hỏng hoặc chưa lưu xong)"}

// badText describes the first thing in raw XML text that XML refuses.
func badText(raw []byte) *xmlError {
	e := badPart(raw)
	e.value = showBad(raw)
	return e
}

// showBad is raw text with what XML refuses made visible, at most 200 characters.
func showBad(raw []byte) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(raw) && n < 200; n++ {
		r, size := utf8.DecodeRune(raw[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, "[0x%02X]", raw[i])
		case !inCharRange(r):
			fmt.Fprintf(&b, "[U+%04X]", r)
		default:
			b.Write(raw[i : i+size])
		}
		i += size
	}
	return b.String()
}

func badPart(raw []byte) *xmlError {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '&':
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 || semi > 12 {
				return &xmlError{what: "an '&' that starts no entity", vi: "ký tự '&' không được mã hóa đúng (phải là &amp;)"}
			}
			ent := raw[i : i+semi+1]
			switch string(ent[1 : len(ent)-1]) {
			case "lt", "gt", "amp", "apos", "quot":
			default:
				if _, ok := charRef(ent[1 : len(ent)-1]); !ok {
					return &xmlError{what: fmt.Sprintf("the entity %s, which XML does not define", ent),
						vi: fmt.Sprintf("mã %s không hợp lệ trong tệp Excel (thường do phần mềm xuất theo kiểu trang web)", ent)}
				}
			}
			i += semi + 1
			continue
		case c == ']' && bytes.HasPrefix(raw[i:], []byte("]]>")):
			return &xmlError{what: "an unescaped ]]>", vi: "chuỗi ]]> không được mã hóa"}
		}
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			return &xmlError{what: fmt.Sprintf("the byte 0x%02X, which is not UTF-8", c),
				vi: fmt.Sprintf("byte 0x%02X không phải văn bản UTF-8 (tệp hỏng hoặc ghi bằng bảng mã khác)", c)}
		}
		if !inCharRange(r) {
			return &xmlError{what: fmt.Sprintf("the character U+%04X, which XML forbids", r),
				vi: fmt.Sprintf("ký tự điều khiển U+%04X không được phép trong tệp Excel (thường do dán văn bản có ngắt dòng hoặc tab lạ)", r)}
		}
		i += size
	}
	return &xmlError{what: "text XML refuses", vi: "văn bản không hợp lệ trong tệp Excel"}
}

// fastReadLimit bounds one token (a tag, or a text between two tags) of a
// worksheet read from a stream; a longer one is left to excelize.
const fastReadLimit = 32 << 20

// workbookFast holds what the fast reader needs of an open workbook: the
// shared strings, decoded once, and where the worksheets are.
type workbookFast struct {
	path    string // the .xlsx file, for worksheets excelize keeps in temp files
	f       *excelize.File
	sst     []string
	sstBad  map[int]*xmlError // strings XML refuses, in a table excelize refused (recoverSST)
	sstErr  error             // the table could not be read here: every sheet falls back
	sstDone bool
	zip     *zip.ReadCloser
}

func (w *workbookFast) close() error {
	if w.zip != nil {
		return w.zip.Close()
	}
	return nil
}

// sharedStrings is the workbook's shared string table as excelize reads it.
// excelize decodes the table on the first Columns of any sheet and keeps it in
// its exported SharedStrings field; a throwaway iterator over sheet triggers
// that, so the strings (and any error decoding them) are excelize's own.
func (w *workbookFast) sharedStrings(sheet string) ([]string, error) {
	if w.sstDone {
		return w.sst, w.sstErr
	}
	w.sstDone = true
	rows, err := w.f.Rows(sheet)
	if err == nil {
		_, err = rows.Columns()
		rows.Close()
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) && w.recoverSST() {
		return w.sst, nil
	}
	if err != nil || w.f.SharedStrings == nil {
		w.sstErr = errFallback
		return nil, w.sstErr
	}
	si := w.f.SharedStrings.SI
	w.sst = make([]string, len(si))
	for i := range si {
		w.sst[i] = si[i].String()
	}
	return w.sst, nil
}

// recoverSST reads a shared string table excelize refused as XML, string by
// string: each <si> decoded by encoding/xml as excelize decodes one, and the
// ones XML refuses kept as errors, so that only the cells using them are
// rejected (excelize fails every row of every sheet). False when the table
// is not in memory, or no single string is to blame.
func (w *workbookFast) recoverSST() bool {
	v, ok := w.f.Pkg.Load("xl/sharedStrings.xml")
	if !ok {
		return false
	}
	b, _ := v.([]byte)
	var sst []string
	bad := map[int]*xmlError{}
	for i := 0; ; {
		j := bytes.Index(b[i:], []byte("<si"))
		if j < 0 {
			break
		}
		i += j
		if i+3 >= len(b) {
			return false
		}
		switch b[i+3] {
		case '/': // <si/>
			sst = append(sst, "")
			i += 3
			continue
		case '>', ' ', '\t', '\r', '\n':
		default:
			i += 3
			continue
		}
		end := bytes.Index(b[i:], []byte("</si>"))
		if end < 0 {
			return false
		}
		chunk := b[i : i+end+len("</si>")]
		i += end + len("</si>")
		var si struct {
			T *struct {
				Val string `xml:",chardata"`
			} `xml:"t"`
			R []struct {
				T *struct {
					Val string `xml:",chardata"`
				} `xml:"t"`
			} `xml:"r"`
		}
		if err := xml.Unmarshal(chunk, &si); err != nil {
			e := badText(chunk)
			e.value = strings.TrimSpace(xmlTags.ReplaceAllString(e.value, ""))
			bad[len(sst)] = e
			sst = append(sst, "")
			continue
		}
		var x fastSI
		if si.T != nil {
			x.T, x.hasT = si.T.Val, true
		}
		for _, r := range si.R {
			if r.T != nil {
				x.R = append(x.R, fastR{T: r.T.Val, hasT: true})
			} else {
				x.R = append(x.R, fastR{})
			}
		}
		sst = append(sst, x.String())
	}
	if len(bad) == 0 {
		return false
	}
	w.sst, w.sstBad = sst, bad
	return true
}

var xmlTags = regexp.MustCompile(`<[^>]*>`)

// sstElsewhere reports whether the workbook has a shared string table that
// excelize did not hold in memory (one above UnzipXMLSizeLimit, which it reads
// from a temporary file its own way). Asked only when a sheet refers to a
// shared string the table in memory does not have.
func (w *workbookFast) sstElsewhere() bool {
	if _, ok := w.f.Pkg.Load("xl/sharedStrings.xml"); ok {
		return false
	}
	parts, err := w.parts(func(name string) bool { return strings.EqualFold(name, "xl/sharedStrings.xml") })
	return err != nil || len(parts) > 0 // cannot tell: let excelize decide
}

// parts are the zip entries whose name, as excelize normalizes it, matches.
func (w *workbookFast) parts(match func(string) bool) ([]*zip.File, error) {
	if w.zip == nil {
		z, err := zip.OpenReader(w.path)
		if err != nil {
			return nil, err
		}
		w.zip = z
	}
	var out []*zip.File
	for _, zf := range w.zip.File {
		if match(strings.ReplaceAll(zf.Name, "\\", "/")) {
			out = append(out, zf)
		}
	}
	return out, nil
}

// fastSI is an inline string (<is>): its own <t>, and its rich text runs'.
type fastSI struct {
	T    string
	hasT bool
	R    []fastR
}

type fastR struct {
	T    string
	hasT bool
}

// String is excelize's xlsxSI.String: the texts joined, _xHHHH_ undone.
func (x *fastSI) String() string {
	if len(x.R) == 0 { // one <t>: no joining
		if x.T == "" {
			return ""
		}
		return bstrUnmarshal(x.T)
	}
	var b strings.Builder
	b.WriteString(x.T)
	for _, r := range x.R {
		b.WriteString(r.T)
	}
	if b.Len() == 0 {
		return ""
	}
	return bstrUnmarshal(b.String())
}

var bstrExp = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)

// bstrUnmarshal is excelize's: _xHHHH_ stands for the character U+HHHH,
// _x005F_ for "_".
func bstrUnmarshal(s string) (result string) {
	if !strings.Contains(s, "_x") {
		return s
	}
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			result += "_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			v, _ := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`)
			result += v
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// plainProlog reports whether an XML declaration names no encoding other than
// UTF-8 (encoding/xml would hand any other to a charset reader).
func plainProlog(decl []byte) bool {
	i := bytes.Index(decl, []byte("encoding"))
	if i < 0 {
		return true
	}
	m := encodingDecl.FindSubmatch(decl[i:])
	return m != nil && strings.EqualFold(string(m[1]), "utf-8")
}

var encodingDecl = regexp.MustCompile(`^encoding\s*=\s*["']([A-Za-z0-9._-]+)["']`)

// sheetPath is the part excelize reads a sheet from (its Rows iterator knows it;
// excelize has no exported way to ask). ok is false when it cannot be told.
func sheetPath(rows *excelize.Rows) (string, bool) {
	v := reflect.ValueOf(rows).Elem().FieldByName("sheet")
	if !v.IsValid() || v.Kind() != reflect.String || v.String() == "" {
		return "", false
	}
	return v.String(), true
}

// fastRows iterates a worksheet's rows like excelize's Rows (Next, then
// Columns), falling back to ex — excelize's own iterator over the same sheet,
// not yet advanced — when it meets what it does not read.
type fastRows struct {
	sc    scanner
	sst   []string
	sheet string
	wb    *workbookFast
	ex    *excelize.Rows

	done      bool
	ended     bool // </sheetData> read
	seek      int  // rows returned by Next
	pend      int  // number of the row element read but not yet returned; 0: none
	pendEmpty bool // that row is <row .../>
	cells     []string
	width     int // the widest row so far
	fellBack  bool
	closer    io.Closer

	path      string    // the worksheet's part in the zip
	dataDepth int       // open elements inside <sheetData>
	cellCol   int       // when rowCells fails: the column of the cell it failed in, 1-based
	rowErr    *RowError // the current row could not be read
	err       error     // the sheet cannot be read on: Next is false, Error says why
	invalid   bool      // XML no reader accepts was met (excelize would have read a prefix)
	guarded   bool      // before handing over, the sheet was checked whole (checkSheetXML)
	lastRow   int       // then: the number of its last row
	exRows    int       // rows excelize returned

	// what the row's raw values do not say, for the layer above (xlsxRows):
	uncalc []int    // 1-based columns of formulas without a cached value
	styled [][2]int // 1-based column and style of numbers with a style
}

// extras gives the current row's formulas without a value and styled numbers
// (nothing after a hand-over to excelize).
func (r *fastRows) extras() ([]int, [][2]int) {
	if r.fellBack {
		return nil, nil
	}
	return r.uncalc, r.styled
}

// newFastRows reads the sheet excelize's ex would read.
func newFastRows(w *workbookFast, sheet string, ex *excelize.Rows) *fastRows {
	fr := &fastRows{ex: ex, wb: w, sheet: sheet}
	path, ok := sheetPath(ex)
	if !ok {
		fr.fellBack = true
		return fr
	}
	fr.path = path
	if v, ok := w.f.Pkg.Load(path); ok {
		b, _ := v.([]byte)
		// a UTF-8 byte-order mark (sheets written by .NET programs) is not text
		fr.sc = scanner{buf: bytes.TrimPrefix(b, utf8BOM), eof: true}
		return fr
	}
	// a large sheet excelize keeps in a temporary file: stream it from the zip
	found, err := w.parts(func(name string) bool { return name == path })
	if err != nil || len(found) != 1 {
		fr.fellBack = true
		return fr
	}
	rc, err := found[0].Open()
	if err != nil {
		fr.fellBack = true
		return fr
	}
	fr.closer = rc
	br := bufio.NewReaderSize(rc, 1<<16)
	if head, _ := br.Peek(len(utf8BOM)); bytes.Equal(head, utf8BOM) {
		br.Discard(len(utf8BOM))
	}
	fr.sc = scanner{src: br, buf: make([]byte, 0, 1<<16)}
	return fr
}

var utf8BOM = []byte("\xEF\xBB\xBF")

// Next moves to the next row, blank rows included, as excelize's Rows.Next.
func (r *fastRows) Next() bool {
	if r.err != nil {
		return false
	}
	if r.fellBack {
		return r.exNext()
	}
	if r.done {
		return false
	}
	ok, err := r.next()
	if err != nil {
		if xe, bad := err.(*xmlError); bad {
			r.failSheet(xe, r.seek-1)
			return false
		}
		return r.fallBack()
	}
	return ok
}

// Columns returns the current row's cells, as excelize's Rows.Columns with
// RawCellValue: values as stored, shared strings resolved, trailing empty
// cells dropped.
func (r *fastRows) Columns(...excelize.Options) ([]string, error) {
	if r.fellBack {
		return r.ex.Columns()
	}
	if r.rowErr != nil {
		return r.cells, r.rowErr
	}
	return r.cells, nil
}

// Error is the iterator's error: excelize's Rows.Error, or a sheet that holds
// XML no reader accepts past its last good row (a *FileError without a path).
func (r *fastRows) Error() error {
	if r.err != nil {
		return r.err
	}
	if r.fellBack {
		return r.ex.Error()
	}
	return nil
}

// Invalid reports whether the sheet held XML no reader accepts, where the
// fast reader and excelize part ways on purpose.
func (r *fastRows) Invalid() bool { return r.invalid }

// failSheet ends the sheet after row last with the XML error met there.
func (r *fastRows) failSheet(xe *xmlError, last int) {
	r.invalid, r.done = true, true
	r.err = &FileError{Msg: fmt.Sprintf("after row %d: %s", last, xe.what),
		Reason: fmt.Sprintf("Sheet bị lỗi sau dòng %d: %s; các dòng sau đó không đọc được nên cả tệp không được nạp — hãy mở tệp bằng Excel, sửa hoặc lưu lại rồi gửi lại", last, xe.vi)}
}

func (r *fastRows) Close() error {
	if r.closer != nil {
		r.closer.Close()
	}
	return r.ex.Close()
}

// FellBack reports whether excelize read (part of) the sheet.
func (r *fastRows) FellBack() bool { return r.fellBack }

// fallBack hands over to excelize, advanced past the rows already returned.
// The sheet is first checked whole by encoding/xml (checkSheetXML): excelize's
// iterator ends silently at XML it cannot read, so a sheet that has any fails
// here instead, and one that reads to its end must give excelize's rows up to
// its last numbered row.
func (r *fastRows) fallBack() bool {
	r.fellBack = true
	if r.closer != nil {
		r.closer.Close()
		r.closer = nil
	}
	if err := r.guard(); err != nil {
		r.invalid = true
		r.err = err
		return false
	}
	for i := 1; i < r.seek; i++ { // r.seek counts the Next in progress
		if !r.exNext() {
			return false
		}
		r.ex.Columns()
	}
	return r.exNext()
}

// exNext is excelize's Next, with its silent end detected.
func (r *fastRows) exNext() bool {
	if r.ex.Next() {
		r.exRows++
		return true
	}
	if r.guarded && r.ex.Error() == nil && r.exRows < r.lastRow {
		r.err = &FileError{Msg: fmt.Sprintf("excelize's row reader ended at row %d of %d", r.exRows, r.lastRow),
			Reason: fmt.Sprintf("Chỉ đọc được %d trong %d dòng của sheet; cả tệp không được nạp — hãy mở tệp bằng Excel, lưu lại rồi gửi lại", r.exRows, r.lastRow)}
	}
	return false
}

// guard checks the whole sheet before excelize reads it.
func (r *fastRows) guard() error {
	last, err, ok := r.checkWhole()
	if err != nil {
		return err
	}
	r.guarded, r.lastRow = ok, last
	return nil
}

// checkWhole runs checkSheetXML on the sheet; ok is false when the sheet's
// part cannot be found (excelize reads what it can, with nothing to check).
func (r *fastRows) checkWhole() (last int, err error, ok bool) {
	if r.path == "" {
		return 0, nil, false
	}
	var rd io.Reader
	if v, found := r.wb.f.Pkg.Load(r.path); found {
		b, _ := v.([]byte)
		rd = bytes.NewReader(b)
	} else {
		found, err := r.wb.parts(func(name string) bool { return name == r.path })
		if err != nil || len(found) != 1 {
			return 0, nil, false
		}
		rc, err := found[0].Open()
		if err != nil {
			return 0, nil, false
		}
		defer rc.Close()
		rd = rc
	}
	last, err = checkSheetXML(rd, r.wb.f.CharsetReader)
	return last, err, true
}

// checkSheetXML reads a worksheet with encoding/xml, as strictly as excelize's
// decoder, and returns the number of its last row inside <sheetData> (rows
// without a number counted as excelize counts them). A sheet that is not
// well-formed, declares a DOCTYPE, nests rows, numbers a row below zero or has a row outside
// <sheetData> is a *FileError naming the last good row.
func checkSheetXML(rd io.Reader, charset func(string, io.Reader) (io.Reader, error)) (int, error) {
	d := xml.NewDecoder(rd)
	d.CharsetReader = charset
	row, done, last, inRow, inData, afterData := 0, 0, 0, false, false, false
	fail := func(en, vi string) error {
		return &FileError{Msg: fmt.Sprintf("after row %d: %s", done, en),
			Reason: fmt.Sprintf("Sheet bị lỗi sau dòng %d: %s; cả tệp không được nạp — hãy mở tệp bằng Excel, lưu lại rồi gửi lại", done, vi)}
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return last, nil
		}
		if err != nil {
			return 0, fail(err.Error(), "dữ liệu XML hỏng ("+err.Error()+")")
		}
		switch t := tok.(type) {
		case xml.Directive:
			return 0, fail("a <!"+firstWord(t)+"> declaration, which spreadsheet programs do not write",
				"tệp có khai báo <!"+firstWord(t)+"> mà chương trình bảng tính không bao giờ ghi")
		case xml.StartElement:
			switch t.Name.Local {
			case "sheetData":
				inData = !afterData
			case "row":
				if inRow {
					return 0, fail("a row inside a row", "có dòng lồng bên trong một dòng khác")
				}
				if !inData { // excelize would skip it, or stop before it: a row nobody reads
					return 0, fail("a row outside <sheetData>", "có dòng nằm ngoài vùng dữ liệu của sheet")
				}
				inRow = true
				n := row + 1
				switch v := rowAttr(t.Attr); {
				case v < 0:
					// excelize merges such a row into the row before it, or
					// numbers it by its place: rows would be lost
					return 0, fail(fmt.Sprintf("a row numbered %d", v),
						fmt.Sprintf("có dòng mang số thứ tự âm (%d) mà chương trình bảng tính không bao giờ ghi", v))
				case v > 0:
					n = v
				}
				row = n
				last = max(last, n)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "row":
				inRow, done = false, row
			case "sheetData":
				inData, afterData = false, true
			}
		}
	}
}

// rowAttr is a row's r attribute read as excelize reads it (attrValToInt):
// the last one, or the first that is not a number — then 0, or ±max for a
// number out of range.
func rowAttr(attrs []xml.Attr) int {
	v := 0
	for _, a := range attrs {
		if a.Name.Local == "r" {
			var err error
			if v, err = strconv.Atoi(a.Value); err != nil {
				return v
			}
		}
	}
	return v
}

func firstWord(b []byte) string {
	w, _, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	if len(w) > 20 {
		w = w[:20]
	}
	return strings.ToValidUTF8(w, "?")
}

func (r *fastRows) next() (bool, error) {
	r.seek++
	r.cells = nil
	r.rowErr = nil
	if r.seek == 1 {
		// excelize reads the shared strings for every sheet, and fails
		// every row if it cannot
		sst, err := r.wb.sharedStrings(r.sheet)
		if err != nil {
			return false, err
		}
		r.sst = sst
		if err := r.toSheetData(); err != nil {
			return false, err
		}
	}
	if r.done {
		return false, nil
	}
	if r.pend == 0 && !r.ended {
		if err := r.readRowStart(0); err != nil {
			return false, err
		}
	}
	if r.ended {
		if err := r.tail(); err != nil {
			return false, err
		}
		r.done = true
		return false, nil
	}
	if r.pend > r.seek {
		return true, nil // a row the sheet does not hold: blank
	}
	cur, empty := r.pend, r.pendEmpty
	r.pend = 0
	if !empty {
		if err := r.rowCells(); err != nil {
			xe, bad := err.(*xmlError)
			if !bad {
				return false, err
			}
			if err := r.skipRow(); err != nil {
				return false, err
			}
			if r.rowErr == nil {
				r.rowErr = &RowError{Col: r.cellCol, Value: xe.value, Msg: xe.what, Reason: xe.vi}
			}
		}
		if e := r.rowErr; e != nil {
			r.invalid = true
			e.Cells = r.cells
			e.Reason = fmt.Sprintf("Ô %s%d có %s; dòng này không đọc được — hãy sửa ô đó rồi gửi lại", ColumnLetter(max(e.Col, 1)-1), cur, e.Reason)
		}
	}
	// excelize's Columns reads on to the next row's start, and a row number
	// there that does not go forward changes the row it returns
	if err := r.readRowStart(cur); err != nil {
		if xe, bad := err.(*xmlError); bad {
			r.failSheet(xe, cur) // this row is whole; the sheet ends after it
			return true, nil
		}
		return false, err
	}
	return true, nil
}

// skipCell moves past the end tag of the cell being read, after an XML error
// in its text; false when no plain </c> ends it before another cell or row.
func (r *fastRows) skipCell() bool {
	sc := &r.sc
	i := sc.findSeq(0, "</c>")
	if i < 0 {
		return false
	}
	between := sc.buf[sc.pos : sc.pos+i]
	for _, start := range []string{"<c ", "<c>", "<c/", "<row", "</row"} {
		if bytes.Contains(between, []byte(start)) {
			return false
		}
	}
	sc.pos += i + len("</c>")
	sc.stack = sc.stack[:r.dataDepth+1] // the row stays open
	return true
}

// skipRow moves past the end tag of the row being read, after an XML error in
// it, and drops the elements opened inside the row. A row start before that
// end tag means rows are not where they should be: the sheet fails.
func (r *fastRows) skipRow() error {
	sc := &r.sc
	from := 0
	for {
		i := sc.findSeq(from, "</row")
		if i < 0 {
			return errCutOff
		}
		sc.fill(i + 6)
		if sc.pos+i+5 >= len(sc.buf) {
			return errCutOff
		}
		if c := sc.buf[sc.pos+i+5]; c != '>' && !isSpace(c) {
			from = i + 1
			continue
		}
		if bytes.Contains(sc.buf[sc.pos:sc.pos+i], []byte("<row")) {
			return &xmlError{what: "a row starts inside the bad row", vi: "dòng sau không tách khỏi dòng lỗi"}
		}
		j := sc.find(i+5, '>')
		if j < 0 {
			return errCutOff
		}
		sc.pos += j + 1
		sc.stack = sc.stack[:r.dataDepth]
		return nil
	}
}

// readRowStart reads up to the next <row>, which must be numbered above after.
func (r *fastRows) readRowStart(after int) error {
	n, empty, end, err := r.rowStart()
	switch {
	case err != nil:
		return err
	case end:
		r.ended = true
	case n <= after:
		return errFallback
	default:
		r.pend, r.pendEmpty = n, empty
	}
	return nil
}

// toSheetData skips what comes before <sheetData>: the prolog, the root, the
// sheet's properties, views and columns.
func (r *fastRows) toSheetData() error {
	sc := &r.sc
	first := true
	for {
		t, err := sc.token()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			r.done = true // no sheetData: no rows
			return nil
		case tokProlog:
			if !first || !plainProlog(t.raw) { // a byte-order mark before it is a first token too
				return errFallback
			}
		case tokStart, tokEmpty:
			if t.prefixed && (t.local == "sheetData" || t.local == "row") {
				return errFallback
			}
			switch t.local {
			case "row":
				return errFallback
			case "sheetData":
				if t.kind == tokEmpty {
					r.done = true
					return r.tail()
				}
				r.dataDepth = len(sc.stack)
				return nil
			}
		}
		first = false
	}
}

// tail checks what follows </sheetData> holds no further row element, which
// excelize's iterator would go on to read.
func (r *fastRows) tail() error {
	for {
		t, err := r.sc.token()
		if err != nil {
			return err
		}
		switch t.kind {
		case tokEOF:
			return nil
		case tokStart, tokEmpty:
			if t.local == "row" {
				return errFallback
			}
		}
	}
}

// rowStart reads up to the next <row> and returns its number, or end at </sheetData>.
func (r *fastRows) rowStart() (n int, empty, end bool, err error) {
	for {
		t, err := r.sc.token()
		if err != nil {
			return 0, false, false, err
		}
		switch {
		case t.kind == tokText:
			continue
		case t.kind == tokEnd && t.local == "sheetData" && !t.prefixed:
			return 0, false, true, nil
		case (t.kind == tokStart || t.kind == tokEmpty) && t.local == "row" && !t.prefixed:
			n, ok := rowNumber(t.attrs)
			if !ok {
				return 0, false, false, errFallback
			}
			return n, t.kind == tokEmpty, false, nil
		}
		return 0, false, false, errFallback
	}
}

// rowNumber is a row's r attribute: digits, 1 to excelize.TotalRows.
func rowNumber(attrs []attr) (int, bool) {
	n, seen := 0, false
	for _, a := range attrs {
		if a.local != "r" {
			continue
		}
		if seen || a.prefixed {
			return 0, false
		}
		seen = true
		if len(a.value) == 0 || len(a.value) > 7 {
			return 0, false
		}
		for _, c := range a.value {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
	}
	return n, seen && n >= 1 && n <= excelize.TotalRows
}

// rowCells reads the cells of the current row up to </row>.
func (r *fastRows) rowCells() error {
	col := 0
	r.cells = make([]string, 0, r.width) // a fresh slice: callers may keep rows
	r.uncalc, r.styled = r.uncalc[:0], r.styled[:0]
	for {
		var c cellXML
		if r.sc.quickCell(&c) {
			col++
			if c.col > 0 {
				col = c.col
			}
			if err := r.cell(&c, col); err != nil {
				return err
			}
			continue
		}
		if r.sc.quickEnd("row") {
			r.endRow()
			return nil
		}
		t, err := r.sc.token()
		if err != nil {
			r.cellCol = col + 1 // the cell whose tag could not be read, as far as known
			return err
		}
		switch {
		case t.kind == tokText:
			continue
		case t.kind == tokEnd && t.local == "row" && !t.prefixed:
			r.endRow()
			return nil
		case (t.kind == tokStart || t.kind == tokEmpty) && t.local == "c" && !t.prefixed:
			if err := c.attrs(t.attrs); err != nil {
				return err
			}
			col++
			if c.col > 0 {
				col = c.col
			}
			if t.kind == tokStart {
				if err := r.cellBody(&c); err != nil {
					xe, bad := err.(*xmlError)
					if !bad || r.rowErr != nil || !r.skipCell() {
						r.cellCol = col
						return err
					}
					// this cell alone is bad: the row's other cells are read, for its key
					r.rowErr = &RowError{Col: col, Value: xe.value, Msg: xe.what, Reason: xe.vi}
					continue
				}
			}
			if err := r.cell(&c, col); err != nil {
				return err
			}
		default:
			return errFallback
		}
	}
}

// endRow ends the row's cells at its </row>.
func (r *fastRows) endRow() {
	r.width = max(r.width, len(r.cells))
	if len(r.cells) == 0 {
		r.cells = nil // as excelize: a row without values is nil
	}
}

// cell puts a cell read whole, in column col, into the row: its value, or the
// row's error when its shared string is one XML refuses.
func (r *fastRows) cell(c *cellXML, col int) error {
	val, err := r.value(c)
	if xe, bad := err.(*xmlError); bad { // a shared string XML refuses: this cell alone
		if r.rowErr == nil {
			r.rowErr = &RowError{Col: col, Value: xe.value, Msg: xe.what + " (in the shared strings)", Reason: xe.vi}
		}
		return nil
	} else if err != nil {
		return err
	}
	if val != "" || c.hasF {
		for i, blank := 1, col-len(r.cells); i < blank; i++ {
			r.cells = append(r.cells, "")
		}
		r.cells = append(r.cells, val)
		// no <v>, or an empty one on a cell not typed as text: never calculated
		// (excelize writes t="str" and no <v>; openpyxl <v></v>)
		if c.hasF && (!c.hasV || c.v == "" && c.typ != "str") {
			r.uncalc = append(r.uncalc, col)
		} else if c.style > 0 && (c.typ == "" || c.typ == "n") {
			r.styled = append(r.styled, [2]int{col, c.style})
		}
	}
	return nil
}

// quickWindow is how much of a streamed sheet quickCell looks at: a cell
// longer than that is read by the tokenizer.
const quickWindow = 4096

// quickCell reads, without the tokenizer, a cell in the shapes programs write
// most: <c r="B2" s="1" t="inlineStr"><is><t>text</t></is></c>,
// <c r="B2" s="1"><v>text</v></c>, <c r="B2"></c> or <c r="B2"/>; the
// attributes r, s and t each at most once, in any order, each after one space,
// in double quotes, with values the tokenizer's path would take as they are
// (a plain reference, up to 6 digits, a usual type); <is> only on an inline
// string, <v> on any other; nothing between the tags. It gives the cell the
// tokenizer's path would give (the differential tests and FuzzSheetXML compare
// both with excelize). Anything else, a text XML refuses among it, is left
// where it was for the tokenizer: false, and nothing read.
func (s *scanner) quickCell(c *cellXML) bool {
	s.fill(quickWindow)
	b := s.buf[s.pos:]
	if len(b) < 4 || b[0] != '<' || b[1] != 'c' {
		return false
	}
	var seen [3]bool
	i := 2
attrs:
	for {
		if i+1 >= len(b) {
			return false
		}
		switch b[i] {
		case '>':
			i++
			break attrs
		case '/':
			if b[i+1] != '>' {
				return false
			}
			s.pos += i + 2
			return true
		case ' ':
		default:
			return false
		}
		if i+4 >= len(b) || b[i+2] != '=' || b[i+3] != '"' {
			return false
		}
		k := strings.IndexByte("rst", b[i+1])
		if k < 0 || seen[k] {
			return false
		}
		seen[k] = true
		end := bytes.IndexByte(b[i+4:], '"')
		if end < 0 {
			return false
		}
		v := b[i+4 : i+4+end]
		switch k {
		case 0:
			col, ok := refColumn(v)
			if !ok {
				return false
			}
			c.col = col
		case 1:
			if !digits(v, 6) {
				return false
			}
			for _, d := range v {
				c.style = c.style*10 + int(d-'0')
			}
		case 2:
			typ, ok := usualType(v)
			if !ok {
				return false
			}
			c.typ = typ
		}
		i += 4 + end + 1
	}
	if bytes.HasPrefix(b[i:], []byte("</c>")) {
		s.pos += i + 4
		return true
	}
	open, close := "<v>", "</v></c>"
	if c.typ == "inlineStr" {
		open, close = "<is><t>", "</t></is></c>"
	}
	if !bytes.HasPrefix(b[i:], []byte(open)) {
		return false
	}
	i += len(open)
	lt := bytes.IndexByte(b[i:], '<')
	if lt < 0 || !bytes.HasPrefix(b[i+lt:], []byte(close)) {
		return false
	}
	text, ok := decodeText(s.text[:0], b[i:i+lt])
	if !ok {
		return false
	}
	s.text = text
	if c.typ == "inlineStr" {
		c.hasIS, c.is.hasT, c.is.T = true, true, string(text)
	} else {
		c.hasV, c.v = true, string(text)
	}
	s.pos += i + lt + len(close)
	return true
}

// quickEnd reads the end tag </name> of the element open innermost, written
// plainly; false, and nothing read, otherwise.
func (s *scanner) quickEnd(name string) bool {
	s.fill(len(name) + 3)
	b := s.buf[s.pos:]
	n := len(s.stack)
	if n == 0 || s.stack[n-1] != name || len(b) < len(name)+3 ||
		b[0] != '<' || b[1] != '/' || string(b[2:2+len(name)]) != name || b[2+len(name)] != '>' {
		return false
	}
	s.stack = s.stack[:n-1]
	s.pos += len(name) + 3
	return true
}

type cellXML struct {
	col   int // the column ref names, 0 until known
	style int // the s attribute: the cell's format
	typ   string
	v     string
	hasV  bool
	hasF  bool
	hasIS bool
	is    fastSI
}

func (c *cellXML) attrs(attrs []attr) error {
	var seen [3]bool
	for _, a := range attrs {
		i := strings.Index("rst", a.local)
		if len(a.local) != 1 || i < 0 {
			continue
		}
		if a.prefixed || seen[i] || bytes.IndexByte(a.value, '&') >= 0 {
			return errFallback
		}
		seen[i] = true
		switch a.local {
		case "r":
			// read now: a.value is only good until the next token
			col, ok := refColumn(a.value)
			if !ok {
				var err error
				if col, _, err = excelize.CellNameToCoordinates(string(a.value)); err != nil {
					return errFallback // excelize reports it
				}
			}
			c.col = col
		case "s":
			if !digits(a.value, 18) {
				if _, err := strconv.ParseInt(string(a.value), 10, 64); err != nil {
					return errFallback // excelize drops the cell's value
				}
				continue
			}
			if len(a.value) <= 6 {
				for _, d := range a.value {
					c.style = c.style*10 + int(d-'0')
				}
			}
		case "t":
			typ, ok := usualType(a.value)
			if !ok {
				typ = string(a.value)
			}
			c.typ = typ
		}
	}
	return nil
}

// usualType is a cell's t attribute when it is one of the usual types, as a
// constant string: no allocation for them.
func usualType(v []byte) (string, bool) {
	switch string(v) {
	case "s":
		return "s", true
	case "str":
		return "str", true
	case "inlineStr":
		return "inlineStr", true
	case "n":
		return "n", true
	case "b":
		return "b", true
	}
	return "", false
}

// cellBody reads a cell's children up to </c>.
func (r *fastRows) cellBody(c *cellXML) error {
	sc := &r.sc
	for {
		t, err := sc.token()
		if err != nil {
			return err
		}
		if t.prefixed && t.kind != tokText {
			return errFallback
		}
		switch {
		case t.kind == tokText:
			continue
		case t.kind == tokEnd && t.local == "c":
			return nil
		case t.local == "v" && !c.hasV:
			c.hasV = true
			if t.kind == tokStart {
				if c.v, err = sc.textUntilEnd("v", true); err != nil {
					return err
				}
			}
		case t.local == "f" && !c.hasF:
			c.hasF = true
			if t.kind == tokStart {
				if _, err := sc.textUntilEnd("f", false); err != nil {
					return err
				}
			}
		case t.local == "is" && !c.hasIS && t.kind == tokStart:
			c.hasIS = true
			if c.is, err = sc.inlineString(); err != nil {
				return err
			}
		case t.local == "is" && !c.hasIS && t.kind == tokEmpty:
			c.hasIS = true
		default:
			return errFallback
		}
	}
}

// value is excelize's getValueFrom with RawCellValue.
func (r *fastRows) value(c *cellXML) (string, error) {
	switch c.typ {
	case "s":
		if c.v == "" {
			return "", nil
		}
		i, _ := strconv.Atoi(strings.TrimSpace(c.v))
		if e := r.wb.sstBad[i]; e != nil {
			return "", e
		}
		if i < 0 || i >= len(r.sst) {
			if r.wb.sstElsewhere() {
				return "", errFallback
			}
			return "", nil // excelize: an error it does not pass on, and no value
		}
		return r.sst[i], nil
	case "inlineStr":
		if c.hasIS {
			return c.is.String(), nil
		}
	}
	return c.v, nil
}

// The scanner: a subset of XML 1.0, checked as strictly as encoding/xml checks it.

type tokKind int

const (
	tokEOF tokKind = iota
	tokText
	tokStart
	tokEmpty // <x/>
	tokEnd
	tokProlog // <?xml ...?>
	tokOther  // a comment or processing instruction outside the rows
)

type attr struct {
	local    string
	prefixed bool
	value    []byte // raw, entities not decoded
}

type token struct {
	kind     tokKind
	local    string
	prefixed bool
	attrs    []attr
	raw      []byte // a prolog's text (a text token's decoded form is in scanner.text)
}

type scanner struct {
	src     *bufio.Reader // nil when buf is the whole part
	buf     []byte
	pos     int
	eof     bool
	stack   []string // open elements, for checking end tags
	attrs   []attr
	names   map[string]string
	text    []byte // the last text token, decoded
	scratch []byte // attribute values decoded to be checked
}

// fill makes at least n bytes available from pos, unless the part ends first.
func (s *scanner) fill(n int) {
	for !s.eof && len(s.buf)-s.pos < n {
		if s.pos > 0 {
			s.buf = append(s.buf[:0], s.buf[s.pos:]...)
			s.pos = 0
		}
		if cap(s.buf)-len(s.buf) < 1<<15 {
			nb := make([]byte, len(s.buf), 2*cap(s.buf)+1<<16)
			copy(nb, s.buf)
			s.buf = nb
		}
		m, err := s.src.Read(s.buf[len(s.buf):cap(s.buf)])
		s.buf = s.buf[:len(s.buf)+m]
		if err != nil {
			s.eof = true
		}
	}
}

// find returns the offset from pos of the first c, reading more as needed; -1 if none.
func (s *scanner) find(from int, c byte) int {
	for {
		if i := bytes.IndexByte(s.buf[s.pos+from:], c); i >= 0 {
			return from + i
		}
		if s.eof || len(s.buf)-s.pos > fastReadLimit {
			return -1
		}
		from = len(s.buf) - s.pos
		s.fill(len(s.buf) - s.pos + 1)
	}
}

func (s *scanner) name(b []byte) string {
	switch string(b) { // the names of every cell, without a map lookup
	case "c":
		return "c"
	case "v":
		return "v"
	case "r":
		return "r"
	case "s":
		return "s"
	case "t":
		return "t"
	case "f":
		return "f"
	case "is":
		return "is"
	case "row":
		return "row"
	case "spans":
		return "spans"
	}
	if s.names == nil {
		s.names = map[string]string{}
	}
	if n, ok := s.names[string(b)]; ok {
		return n
	}
	n := string(b)
	s.names[n] = n
	return n
}

// token reads the next token; a text token is decoded into s.text.
func (s *scanner) token() (token, error) {
	s.fill(1)
	if s.pos >= len(s.buf) {
		if len(s.stack) > 0 {
			return token{}, errCutOff
		}
		return token{kind: tokEOF}, nil
	}
	if s.buf[s.pos] != '<' {
		i := s.find(0, '<')
		if i < 0 {
			if !s.eof {
				return token{}, errFallback
			}
			i = len(s.buf) - s.pos
		}
		raw := s.buf[s.pos : s.pos+i]
		s.pos += i
		var ok bool
		if s.text, ok = decodeText(s.text[:0], raw); !ok {
			return token{}, badText(raw)
		}
		return token{kind: tokText}, nil
	}
	s.fill(4)
	rest := s.buf[s.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<?")):
		i := s.findSeq(2, "?>")
		if i < 0 {
			return token{}, errFallback
		}
		raw := s.buf[s.pos : s.pos+i+2]
		s.pos += i + 2
		if bytes.HasPrefix(raw, []byte("<?xml ")) || bytes.HasPrefix(raw, []byte("<?xml?")) {
			return token{kind: tokProlog, raw: raw}, nil
		}
		if len(s.stack) > 1 || !utf8.Valid(raw) {
			return token{}, errFallback
		}
		return token{kind: tokOther}, nil
	case bytes.HasPrefix(rest, []byte("<!--")):
		if len(s.stack) > 1 { // inside the root's children: keep it simple
			return token{}, errFallback
		}
		i := s.findSeq(4, "-->")
		if i < 0 {
			return token{}, errFallback
		}
		raw := s.buf[s.pos+4 : s.pos+i]
		s.pos += i + 3
		if bytes.Contains(raw, []byte("--")) || !validChars(raw) {
			return token{}, errFallback
		}
		return token{kind: tokOther}, nil
	case bytes.HasPrefix(rest, []byte("<!")):
		return token{}, errFallback // CDATA, DOCTYPE
	}
	end := s.tagEnd()
	if end < 0 {
		if s.eof && s.pos+fastReadLimit > len(s.buf) {
			return token{}, errCutOff
		}
		return token{}, errFallback
	}
	tag := s.buf[s.pos+1 : s.pos+end]
	start := s.pos
	s.pos += end + 1
	if len(tag) > 0 && tag[0] == '/' {
		full := tag[1:]
		for len(full) > 0 && isSpace(full[len(full)-1]) {
			full = full[:len(full)-1]
		}
		local, prefixed, ok := s.qname(full)
		if !ok {
			return token{}, errFallback
		}
		if len(s.stack) == 0 || s.stack[len(s.stack)-1] != string(full) {
			s.pos = start // left unread: a row's own end tag is where reading resumes
			return token{}, &xmlError{what: fmt.Sprintf("end tag </%s> closes no open element", full),
				vi: fmt.Sprintf("thẻ đóng </%s> không khớp với thẻ mở nào", full)}
		}
		s.stack = s.stack[:len(s.stack)-1]
		return token{kind: tokEnd, local: local, prefixed: prefixed}, nil
	}
	kind := tokStart
	if len(tag) > 0 && tag[len(tag)-1] == '/' {
		kind = tokEmpty
		tag = tag[:len(tag)-1]
	}
	n := 0
	for n < len(tag) && !isSpace(tag[n]) {
		n++
	}
	full := tag[:n]
	local, prefixed, ok := s.qname(full)
	if !ok {
		return token{}, errFallback
	}
	attrs, err := s.parseAttrs(tag[n:])
	if err != nil {
		return token{}, err
	}
	if kind == tokStart {
		s.stack = append(s.stack, s.name(full))
	}
	return token{kind: kind, local: local, prefixed: prefixed, attrs: attrs}, nil
}

// findSeq finds seq from offset from (relative to pos); -1 if not found.
func (s *scanner) findSeq(from int, seq string) int {
	for {
		i := s.find(from, seq[0])
		if i < 0 {
			return -1
		}
		s.fill(i + len(seq))
		if bytes.HasPrefix(s.buf[s.pos+i:], []byte(seq)) {
			return i
		}
		from = i + 1
	}
}

// tagEnd is the offset of the '>' closing the tag at pos, quotes respected.
func (s *scanner) tagEnd() int {
	from := 1
	for {
		i := s.find(from, '>')
		if i < 0 {
			return -1
		}
		if quotedEnd(s.buf[s.pos+1 : s.pos+i]) {
			return i
		}
		from = i + 1 // a '>' inside a quoted value
	}
}

// quotedEnd reports whether a tag's text ends outside any quoted value.
func quotedEnd(tag []byte) bool {
	var q byte
	for _, c := range tag {
		switch {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		}
	}
	return q == 0
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// qname splits an element or attribute name: ASCII names only, at most one prefix.
func (s *scanner) qname(b []byte) (local string, prefixed bool, ok bool) {
	if len(b) == 0 {
		return "", false, false
	}
	colon := -1
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_':
		case (c >= '0' && c <= '9') || c == '-' || c == '.':
			if i == 0 || i == colon+1 {
				return "", false, false
			}
		case c == ':':
			if colon >= 0 || i == 0 || i == len(b)-1 {
				return "", false, false
			}
			colon = i
		default:
			return "", false, false
		}
	}
	return s.name(b[colon+1:]), colon >= 0, true
}

// parseAttrs reads name="value" pairs; values are checked, not decoded. A
// value XML refuses is an *xmlError; a tag this reader leaves to excelize, errFallback.
func (s *scanner) parseAttrs(b []byte) ([]attr, error) {
	s.attrs = s.attrs[:0]
	for {
		for len(b) > 0 && isSpace(b[0]) {
			b = b[1:]
		}
		if len(b) == 0 {
			return s.attrs, nil
		}
		eq := bytes.IndexByte(b, '=')
		if eq <= 0 {
			return nil, errFallback
		}
		local, prefixed, ok := s.qname(bytes.TrimRight(b[:eq], " \t\r\n"))
		if !ok {
			return nil, errFallback
		}
		b = b[eq+1:]
		for len(b) > 0 && isSpace(b[0]) {
			b = b[1:]
		}
		if len(b) == 0 || (b[0] != '"' && b[0] != '\'') {
			return nil, errFallback
		}
		q := b[0]
		end := bytes.IndexByte(b[1:], q)
		if end < 0 {
			return nil, errFallback
		}
		v := b[1 : 1+end]
		if bytes.IndexByte(v, '<') >= 0 {
			return nil, errFallback
		}
		if s.scratch, ok = decodeText(s.scratch[:0], v); !ok { // checked, not kept
			return nil, badText(v)
		}
		s.attrs = append(s.attrs, attr{local: local, prefixed: prefixed, value: v})
		b = b[2+end:]
		if len(b) > 0 && !isSpace(b[0]) {
			return nil, errFallback
		}
	}
}

// textUntilEnd reads the decoded text of the element just opened, up to its
// end tag; any child element hands over to excelize. keep false checks the
// text without making a string of it (a formula's).
func (s *scanner) textUntilEnd(name string, keep bool) (string, error) {
	text, seen := "", false
	for {
		t, err := s.token()
		if err != nil {
			return "", err
		}
		switch {
		case t.kind == tokText && !seen: // at most one: text runs to the next tag
			seen = true
			if keep {
				text = string(s.text) // the text token's decoded form
			}
		case t.kind == tokEnd && t.local == name && !t.prefixed:
			return text, nil
		default:
			return "", errFallback
		}
	}
}

// refColumn is the column of a plain cell reference, uppercase letters then
// digits without a leading zero (A1, XFD1048576), as excelize's
// CellNameToCoordinates gives it; ok is false for anything else, which is
// left to excelize.
func refColumn(b []byte) (col int, ok bool) {
	i := 0
	for i < len(b) && b[i] >= 'A' && b[i] <= 'Z' {
		col = col*26 + int(b[i]-'A'+1)
		if col > excelize.MaxColumns {
			return 0, false
		}
		i++
	}
	if i == 0 || i == len(b) || b[i] == '0' {
		return 0, false
	}
	row := 0
	for ; i < len(b); i++ {
		if b[i] < '0' || b[i] > '9' {
			return 0, false
		}
		row = row*10 + int(b[i]-'0')
		if row > excelize.TotalRows {
			return 0, false
		}
	}
	return col, true
}

// digits reports whether b is 1 to max ASCII digits.
func digits(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// inlineString reads <is> up to </is>: one <t>, or rich text runs each
// holding one <t> after an optional <rPr> of empty elements.
func (s *scanner) inlineString() (fastSI, error) {
	var si fastSI
	for {
		t, err := s.token()
		if err != nil {
			return si, err
		}
		if t.prefixed && t.kind != tokText {
			return si, errFallback
		}
		switch {
		case t.kind == tokText:
		case t.kind == tokEnd && t.local == "is":
			return si, nil
		case t.local == "t" && !si.hasT && len(si.R) == 0:
			si.hasT = true
			if t.kind == tokStart {
				if si.T, err = s.textUntilEnd("t", true); err != nil {
					return si, err
				}
			}
		case t.local == "r" && t.kind == tokStart:
			run, err := s.run()
			if err != nil {
				return si, err
			}
			si.R = append(si.R, run)
		default:
			return si, errFallback
		}
	}
}

func (s *scanner) run() (fastR, error) {
	var r fastR
	rPr := false
	for {
		t, err := s.token()
		if err != nil {
			return r, err
		}
		if t.prefixed && t.kind != tokText {
			return r, errFallback
		}
		switch {
		case t.kind == tokText:
		case t.kind == tokEnd && t.local == "r":
			return r, nil
		case t.local == "rPr" && !rPr && !r.hasT:
			rPr = true
			if t.kind == tokStart {
				if err := s.emptyChildren("rPr"); err != nil {
					return r, err
				}
			}
		case t.local == "t" && !r.hasT:
			r.hasT = true
			if t.kind == tokStart {
				if r.T, err = s.textUntilEnd("t", true); err != nil {
					return r, err
				}
			}
		default:
			return r, errFallback
		}
	}
}

// emptyChildren skips an element whose children are all empty elements.
func (s *scanner) emptyChildren(name string) error {
	for {
		t, err := s.token()
		if err != nil {
			return err
		}
		switch {
		case t.kind == tokText:
		case t.kind == tokEmpty && t.local != name:
		case t.kind == tokEnd && t.local == name && !t.prefixed:
			return nil
		default:
			return errFallback
		}
	}
}

// decodeText appends raw XML text to dst, decoded as encoding/xml decodes it:
// the five predefined entities and character references, CR LF and lone CR as
// LF. ok is false for what encoding/xml would refuse (an unknown entity, a
// character outside XML's range, bytes that are not UTF-8) or that this
// reader leaves to it (]]>).
func decodeText(dst, raw []byte) ([]byte, bool) {
	if bytes.IndexByte(raw, '&') < 0 && bytes.IndexByte(raw, '\r') < 0 {
		if !validChars(raw) || bytes.Contains(raw, []byte("]]>")) {
			return dst, false
		}
		return append(dst, raw...), true
	}
	if bytes.Contains(raw, []byte("]]>")) {
		return dst, false
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch c {
		case '\r':
			dst = append(dst, '\n')
			i++
			if i < len(raw) && raw[i] == '\n' {
				i++
			}
			continue
		case '&':
			semi := bytes.IndexByte(raw[i:], ';')
			if semi < 0 {
				return dst, false
			}
			ent := raw[i+1 : i+semi]
			i += semi + 1
			switch string(ent) {
			case "lt":
				dst = append(dst, '<')
			case "gt":
				dst = append(dst, '>')
			case "amp":
				dst = append(dst, '&')
			case "apos":
				dst = append(dst, '\'')
			case "quot":
				dst = append(dst, '"')
			default:
				r, ok := charRef(ent)
				if !ok {
					return dst, false
				}
				dst = utf8.AppendRune(dst, r)
			}
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		if (r == utf8.RuneError && size == 1) || !inCharRange(r) {
			return dst, false
		}
		dst = append(dst, raw[i:i+size]...)
		i += size
	}
	return dst, true
}

// charRef decodes the inside of &#N; or &#xH;.
func charRef(ent []byte) (rune, bool) {
	if len(ent) < 2 || ent[0] != '#' {
		return 0, false
	}
	digits, base := ent[1:], 10
	if digits[0] == 'x' {
		digits, base = digits[1:], 16
	}
	if len(digits) == 0 || len(digits) > 8 {
		return 0, false
	}
	for _, c := range digits {
		if !(c >= '0' && c <= '9') && !(base == 16 && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(string(digits), base, 32)
	if err != nil || !inCharRange(rune(n)) {
		return 0, false
	}
	return rune(n), true
}

// validChars reports whether b is UTF-8 made of characters XML allows.
func validChars(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if (r == utf8.RuneError && size == 1) || !inCharRange(r) {
			return false
		}
		i += size
	}
	return true
}

// inCharRange is encoding/xml's isInCharacterRange.
func inCharRange(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

// verifyXLSX (ORGQA_VERIFY_XLSX=1, set by the tests) reads every sheet both
// ways and panics where they differ.
func verifyXLSX() bool { return os.Getenv("ORGQA_VERIFY_XLSX") == "1" }

// verifyMismatch is what the both-ways reading panics with: a difference
// between the readers, which guarded (load.go) must not turn into a failed file.
type verifyMismatch string

// verifiedRows compares the fast reader with excelize row by row, up to XML
// no reader accepts: there excelize ends silently and the fast reader says so
// (checked to be so by encoding/xml).
type verifiedRows struct {
	fast     *fastRows
	ref      *excelize.Rows
	where    string
	row      int
	diverged bool
}

func (v *verifiedRows) Next() bool {
	a := v.fast.Next()
	v.row++
	if v.diverged || v.diverge() {
		return a
	}
	if b := v.ref.Next(); a != b {
		panic(verifyMismatch(fmt.Sprintf("xlsxfast: %s row %d: Next %v, excelize %v", v.where, v.row, a, b)))
	}
	return a
}

// diverge reports whether the fast reader has met XML no reader accepts, and
// panics unless encoding/xml refuses the sheet too.
func (v *verifiedRows) diverge() bool {
	if v.fast.wb.sstBad != nil {
		// recoverSST read a table excelize refused: excelize fails every row
		v.diverged = true
		return true
	}
	if !v.fast.Invalid() {
		return false
	}
	if _, err, ok := v.fast.checkWhole(); ok && err == nil {
		panic(verifyMismatch(fmt.Sprintf("xlsxfast: %s row %d: called invalid (%v), but encoding/xml reads the sheet", v.where, v.row, v.fast.Error())))
	}
	v.diverged = true
	return true
}

func (v *verifiedRows) Columns(...excelize.Options) ([]string, error) {
	a, errA := v.fast.Columns()
	if v.diverged {
		return a, errA
	}
	b, errB := v.ref.Columns()
	if !slices.Equal(a, b) || (errA == nil) != (errB == nil) {
		panic(verifyMismatch(fmt.Sprintf("xlsxfast: %s row %d: %q (%v), excelize %q (%v)", v.where, v.row, a, errA, b, errB)))
	}
	return a, errA
}

func (v *verifiedRows) extras() ([]int, [][2]int) { return v.fast.extras() }

func (v *verifiedRows) Error() error {
	if v.diverged || v.diverge() {
		return v.fast.Error()
	}
	a, b := v.fast.Error(), v.ref.Error()
	if (a == nil) != (b == nil) {
		panic(verifyMismatch(fmt.Sprintf("xlsxfast: %s: error %v, excelize %v", v.where, a, b)))
	}
	return a
}

func (v *verifiedRows) Close() error {
	v.ref.Close()
	return v.fast.Close()
}
