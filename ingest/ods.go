package ingest

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// OpenDocument spreadsheets (.ods), the format state agencies are asked to
// exchange: a zip whose content.xml holds every sheet as a table:table. The
// reader streams content.xml: the sheets are found by a scan of its tags,
// and each sheet is read from its own start with encoding/xml, row by row, in
// memory bounded by one row. Repeated rows and cells
// (table:number-rows-repeated, table:number-columns-repeated) are expanded,
// blank ones only when something follows them; a cell spanning rows or
// columns counts for every cell it covers; a date cell reads as yyyy-mm-dd,
// a number as its value, or as its text when that is the value with leading
// zeros (a code shown as 0701).

const odsMime = "application/vnd.oasis.opendocument.spreadsheet"

type odsSheet struct {
	name   string
	offset int64 // of the table:table start tag in content.xml
}

func openODS(path, sha string, lim Limits) (*reportReader, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, &FileError{Path: path, Msg: "not a readable .ods file", Err: err,
			Reason: "Không mở được tệp OpenDocument (.ods): tệp hỏng hoặc không phải bảng tính .ods"}
	}
	fail := func(msg, reason string, err error) (*reportReader, error) {
		zr.Close()
		return nil, &FileError{Path: path, Msg: msg, Reason: reason, Err: err}
	}
	var content *zip.File
	for _, f := range zr.File {
		switch f.Name {
		case "content.xml":
			content = f
		case "META-INF/manifest.xml":
			if f.UncompressedSize64 < 1<<20 {
				if b, err := readZipFile(f, 1<<20); err == nil && bytes.Contains(b, []byte("encryption-data")) {
					return fail("password-protected (encrypted) .ods file", "Tệp .ods có mật khẩu: hãy bỏ mật khẩu rồi lưu lại", nil)
				}
			}
		case "mimetype":
			if b, err := readZipFile(f, 200); err == nil && !strings.HasPrefix(strings.TrimSpace(string(b)), odsMime) {
				return fail("not a spreadsheet: mimetype "+string(b), "Tệp OpenDocument này không phải bảng tính (.ods)", nil)
			}
		}
	}
	if content == nil {
		return fail("no content.xml", "Tệp .ods hỏng (không có content.xml)", nil)
	}
	if int64(content.UncompressedSize64) > lim.UnzipSize {
		return fail(fmt.Sprintf("content.xml inflates to %d bytes, more than %d", content.UncompressedSize64, lim.UnzipSize),
			"Tệp .ods quá lớn khi giải nén", nil)
	}
	sheets, err := odsSheets(content, lim.UnzipSize)
	if err != nil {
		return fail("cannot read content.xml", "Tệp .ods hỏng: không đọc được nội dung", err)
	}
	rr := &reportReader{sheets: map[*SheetSpec]*sheetSource{}, close: zr.Close}
	for _, sh := range sheets {
		spec, err := SheetFor(sh.name)
		if err != nil {
			zr.Close()
			return nil, err
		}
		if spec == nil {
			rr.extra = append(rr.extra, sh.name)
			continue
		}
		if prev, dup := rr.sheets[spec]; dup {
			zr.Close()
			return nil, &FileError{Path: path, Sheet: sh.name,
				Msg:    fmt.Sprintf("sheets %q and %q both hold %s", prev.sheet, sh.name, spec.Name),
				Reason: fmt.Sprintf("Hai sheet %q và %q cùng là sheet %s", prev.sheet, sh.name, spec.Name)}
		}
		sh := sh
		rr.sheets[spec] = &sheetSource{file: path, sha: sha, sheet: sh.name, open: func() (rowIter, error) {
			return openODSSheet(content, sh.offset, lim)
		}}
	}
	return rr, nil
}

func readZipFile(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}

// countingReader counts what was read and refuses to read past max.
type countingReader struct {
	r   io.Reader
	n   int64
	max int64
}

var errTooLarge = errors.New("inflates beyond the limit")

func (c *countingReader) Read(p []byte) (int, error) {
	if c.n >= c.max {
		return 0, errTooLarge
	}
	if int64(len(p)) > c.max-c.n {
		p = p[:c.max-c.n]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// odsSheets finds the table:table start tags of content.xml and their offsets.
func odsSheets(content *zip.File, max int64) ([]odsSheet, error) {
	rc, err := content.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return scanODSSheets(rc, max)
}

func scanODSSheets(r io.Reader, max int64) ([]odsSheet, error) {
	cr := &countingReader{r: r, max: max}
	br := bufio.NewReaderSize(cr, 1<<16)
	var out []odsSheet
	var off int64
	for {
		skipped, err := br.ReadSlice('<')
		off += int64(len(skipped))
		if err == bufio.ErrBufferFull {
			continue
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		start := off - 1
		head, _ := br.Peek(64)
		name := head
		if i := bytes.IndexAny(head, " \t\r\n/>"); i >= 0 {
			name = head[:i]
		}
		if _, local, found := bytes.Cut(name, []byte{':'}); !found || string(local) != "table" {
			continue // not a table:table start tag
		}
		tag, err := br.ReadSlice('>')
		off += int64(len(tag))
		if err != nil {
			return nil, fmt.Errorf("a table tag longer than 64 KB or cut off: %w", err)
		}
		d := xml.NewDecoder(bytes.NewReader(append([]byte("<"), tag...)))
		tok, err := d.RawToken()
		if err != nil {
			return nil, err
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "table" {
			continue
		}
		sh := odsSheet{offset: start}
		for _, a := range se.Attr {
			if a.Name.Local == "name" {
				sh.name = a.Value
			}
		}
		out = append(out, sh)
	}
}

// odsRows reads one table's rows.
type odsRows struct {
	rc         io.Closer
	d          *xml.Decoder
	maxColumns int
	maxRows    int

	row       int // rows given so far
	cells     []string
	repeat    int // the current row is given this many more times
	blankRows int // blank rows read, given only if a row with cells follows
	pending   []string
	done      bool
	err       error
	merges    mergeFiller
}

func openODSSheet(content *zip.File, offset int64, lim Limits) (rowIter, error) {
	rc, err := content.Open()
	if err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, rc, offset); err != nil {
		rc.Close()
		return nil, err
	}
	return newODSRows(rc, lim.UnzipSize-offset, lim), nil
}

// newODSRows reads the table that r starts with.
func newODSRows(rc io.ReadCloser, max int64, lim Limits) *odsRows {
	d := xml.NewDecoder(&countingReader{r: rc, max: max})
	d.Strict = true
	// the namespaces are declared on the document's root, which is not read:
	// elements are matched by their local names
	return &odsRows{rc: rc, d: d, maxColumns: lim.MaxColumns, maxRows: lim.MaxRows,
		merges: mergeFiller{maxColumns: lim.MaxColumns}}
}

func (o *odsRows) Next() bool {
	if o.err != nil {
		return false
	}
	for {
		switch {
		case o.pending != nil && o.blankRows > 0: // blank rows before a row with cells
			o.blankRows--
			o.cells = nil
			o.row++
			return true
		case o.pending != nil:
			o.cells, o.pending = o.pending, nil
			o.row++
			return true
		case o.repeat > 0: // the same row again
			o.repeat--
			o.row++
			return true
		case o.done:
			return false
		}
		cells, n, err := o.readRow()
		if err != nil {
			o.err = err
			return false
		}
		if n == 0 { // the table ended: trailing blank rows are not rows of the sheet
			o.done = true
			return false
		}
		if len(cells) == 0 {
			if o.blankRows += n; o.blankRows > o.maxRows {
				o.blankRows = o.maxRows + 1 // the loader refuses the sheet when it gets there
			}
			continue
		}
		o.pending, o.repeat = cells, n-1
	}
}

func (o *odsRows) Cells() ([]string, error) {
	if len(o.cells) > o.maxColumns {
		return nil, fmt.Errorf("row has %d columns, more than the %d a report may have", len(o.cells), o.maxColumns)
	}
	return o.merges.fill(o.row, o.cells), nil
}

func (o *odsRows) Close() error {
	o.rc.Close()
	return o.err
}

// readRow reads up to the next table-row and returns its cells (trailing blank
// cells dropped) and how many rows it stands for; 0 rows at the table's end.
func (o *odsRows) readRow() ([]string, int, error) {
	for {
		tok, err := o.d.Token()
		if err != nil {
			if err == io.EOF {
				return nil, 0, fmt.Errorf("content.xml ends inside a table")
			}
			return nil, 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "table-row":
				n := repeated(t, "number-rows-repeated")
				cells, err := o.rowCells()
				return cells, n, err
			case "table-column", "table-source", "named-expressions", "shapes", "scenario", "forms", "office:forms",
				"table-protection", "dde-source", "sheet-name", "title", "desc", "annotation":
				if err := o.d.Skip(); err != nil {
					return nil, 0, err
				}
			}
		case xml.EndElement:
			if t.Name.Local == "table" {
				return nil, 0, nil
			}
		}
	}
}

// repeated reads a number-*-repeated attribute (1 when absent or nonsense).
func repeated(se xml.StartElement, name string) int {
	for _, a := range se.Attr {
		if a.Name.Local == name {
			if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
				return min(n, 1<<20)
			}
		}
	}
	return 1
}

// rowCells reads a table-row's cells, up to its end tag.
func (o *odsRows) rowCells() ([]string, error) {
	var cells []string
	blank := 0 // blank cells read, added only when a cell with a value follows
	row := o.row + o.blankRows + 1
	if o.pending != nil {
		row++
	}
	for {
		tok, err := o.d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "table-cell" && t.Name.Local != "covered-table-cell" {
				if err := o.d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			n := repeated(t, "number-columns-repeated")
			v, err := o.cellValue(t)
			if err != nil {
				return nil, err
			}
			if v == "" {
				blank += n
				if len(cells)+blank > o.maxColumns*4 {
					blank = o.maxColumns * 4 // past the limit with nothing in it: no memory spent
				}
				continue
			}
			if len(cells)+blank+n > o.maxColumns {
				return nil, fmt.Errorf("row has more than the %d columns a report may have", o.maxColumns)
			}
			for ; blank > 0; blank-- {
				cells = append(cells, "")
			}
			col := len(cells)
			for i := 0; i < n; i++ {
				cells = append(cells, v)
			}
			if t.Name.Local == "table-cell" {
				rs, cs := repeated(t, "number-rows-spanned"), repeated(t, "number-columns-spanned")
				if rs > 1 || cs > 1 {
					o.merges.add(mergeRange{top: row, left: col, bottom: row + rs - 1, right: col + cs - 1})
				}
			}
		case xml.EndElement:
			if t.Name.Local == "table-row" {
				return cells, nil
			}
		}
	}
}

// cellValue reads one cell, up to its end tag, as the loader takes it.
func (o *odsRows) cellValue(se xml.StartElement) (string, error) {
	var typ, value, date, boolean, str, formula string
	for _, a := range se.Attr {
		switch a.Name.Local {
		case "value-type":
			typ = a.Value
		case "value":
			value = a.Value
		case "date-value":
			date = a.Value
		case "time-value":
			date = odsTime(a.Value)
		case "boolean-value":
			boolean = a.Value
		case "string-value":
			str = a.Value
		case "formula":
			formula = a.Value
		}
	}
	text, err := o.cellText()
	if err != nil {
		return "", err
	}
	switch typ {
	case "float", "percentage", "currency":
		if isDigits(text) && len(text) > 1 && text[0] == '0' && strings.TrimLeft(text, "0") == strings.TrimLeft(value, "0") {
			return text, nil // a code shown with its zeros
		}
		return value, nil
	case "date", "time":
		if date == "" {
			return text, nil
		}
		return date, nil
	case "boolean":
		return boolean, nil
	case "string":
		if str != "" {
			return str, nil
		}
		return text, nil
	case "":
		if formula != "" && text == "" {
			return uncalculated, nil
		}
	}
	return text, nil
}

// cellText reads a cell's paragraphs: text:p joined by line breaks, text:s as
// spaces, text:tab, text:line-break; annotations (comments) left out.
func (o *odsRows) cellText() (string, error) {
	var b strings.Builder
	depth, paras := 0, 0
	for {
		tok, err := o.d.Token()
		if err != nil {
			return "", err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "annotation", "tracked-changes", "frame", "custom-shape", "rect", "line", "note":
				if err := o.d.Skip(); err != nil {
					return "", err
				}
				continue
			case "p", "h":
				if depth == 0 {
					if paras > 0 {
						b.WriteByte('\n')
					}
					paras++
				}
			case "s":
				b.WriteString(strings.Repeat(" ", min(repeatedC(t), 1000)))
			case "tab":
				b.WriteByte('\t')
			case "line-break":
				b.WriteByte('\n')
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return strings.ReplaceAll(b.String(), "\x00", ""), nil // the cell's end
			}
			depth--
		case xml.CharData:
			if depth > 0 {
				if b.Len()+len(t) > maxCellBytes {
					return "", fmt.Errorf("a cell longer than %d bytes", maxCellBytes)
				}
				b.Write(t)
			}
		}
	}
}

// maxCellBytes bounds one cell's text (Excel's own limit is 32.767 characters).
const maxCellBytes = 1 << 20

func repeatedC(se xml.StartElement) int {
	for _, a := range se.Attr {
		if a.Name.Local == "c" {
			if n, err := strconv.Atoi(a.Value); err == nil && n > 0 {
				return n
			}
		}
	}
	return 1
}

// odsTime turns a time-value ("PT10H10M10S", an ISO 8601 duration) into the
// day fraction an .xlsx time cell holds, as text; "" when it is not one.
func odsTime(v string) string {
	m := odsDuration.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	h, _ := strconv.ParseFloat(m[1], 64)
	mi, _ := strconv.ParseFloat(m[2], 64)
	sec, _ := strconv.ParseFloat(m[3], 64)
	return strconv.FormatFloat((h*3600+mi*60+sec)/86400, 'f', -1, 64)
}

var odsDuration = regexp.MustCompile(`^-?PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$`)
