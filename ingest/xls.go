package ingest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/richardlehane/mscfb"
)

// Excel 97–2003 workbooks (.xls, BIFF8): an OLE compound file (read with
// mscfb, the reader excelize itself uses for encrypted workbooks) whose
// Workbook stream is a list of records. No Go library for BIFF8 is kept up
// (extrame/xls was last released in 2019 and panics on ordinary files), so
// the reader is here: shared strings (with their CONTINUE records), the cell
// records Excel and LibreOffice write (NUMBER, RK, MULRK, LABELSST, LABEL,
// BOOLERR, FORMULA with its cached result and STRING), number formats (a code
// shown as 0701), the 1904 date system and merged cells. A sheet is decoded
// whole (a .xls holds at most 65.536 rows of 256 cells) within a size limit;
// an encrypted or Excel 5.0/95 workbook is refused with a reason.

// maxXLSStream bounds the Workbook stream read into memory.
const maxXLSStream = 256 << 20

type xlsBook struct {
	data     []byte
	sst      []string
	formats  map[int]string // custom number formats by id
	xfFormat []int          // per XF: its number format id
	date1904 bool
	sheets   []xlsSheetRef
}

type xlsSheetRef struct {
	name   string
	offset int // of its BOF in the stream
}

var errXLSEncrypted = errors.New("encrypted")

func openXLS(path, sha string, lim Limits) (*reportReader, error) {
	bk, err := readXLS(path, min(lim.UnzipSize, maxXLSStream))
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			return nil, err
		}
		if errors.Is(err, errXLSEncrypted) {
			return nil, &FileError{Path: path, Msg: "password-protected (encrypted) .xls workbook",
				Reason: "Tệp Excel (.xls) có mật khẩu: hãy bỏ mật khẩu rồi lưu lại"}
		}
		return nil, &FileError{Path: path, Msg: "not a readable .xls workbook", Err: err,
			Reason: "Không mở được tệp Excel 97–2003 (.xls): tệp hỏng hoặc không phải tệp Excel"}
	}
	rr := &reportReader{sheets: map[*SheetSpec]*sheetSource{}, close: func() error { return nil }}
	for _, sh := range bk.sheets {
		spec, err := SheetFor(sh.name)
		if err != nil {
			return nil, err
		}
		if spec == nil {
			rr.extra = append(rr.extra, sh.name)
			continue
		}
		if prev, dup := rr.sheets[spec]; dup {
			return nil, &FileError{Path: path, Sheet: sh.name,
				Msg:    fmt.Sprintf("sheets %q and %q both hold %s", prev.sheet, sh.name, spec.Name),
				Reason: fmt.Sprintf("Hai sheet %q và %q cùng là sheet %s", prev.sheet, sh.name, spec.Name)}
		}
		sh := sh
		rr.sheets[spec] = &sheetSource{file: path, sha: sha, sheet: sh.name, date1904: bk.date1904, open: func() (rowIter, error) {
			rows, merges, err := bk.sheet(sh.offset, lim)
			if err != nil {
				return nil, &FileError{Msg: "cannot read the sheet: " + err.Error(), Err: err,
					Reason: "Sheet trong tệp .xls bị hỏng, không đọc được; hãy mở tệp bằng Excel, lưu lại rồi gửi lại"}
			}
			return withMerges(&gridRows{rows: rows}, merges, lim.MaxColumns), nil
		}}
	}
	return rr, nil
}

func readXLS(path string, max int64) (*xlsBook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if isZip(path) {
		return nil, &FileError{Path: path, Msg: "an .xlsx workbook named .xls",
			Reason: "Tệp là .xlsx nhưng mang đuôi .xls: hãy đổi đuôi tệp thành .xlsx"}
	}
	if head, err := readHead(path, 2); err == nil && head[1] <= 0x08 && head[0] == 0x09 && head[1]%2 == 0 {
		// a BOF record outside an OLE file: Excel 2.x–4.0 (BIFF2–4)
		return nil, &FileError{Path: path, Msg: "an Excel 2.x-4.0 workbook (BIFF2-4)",
			Reason: "Tệp Excel định dạng quá cũ (Excel 4.0 trở về trước): hãy mở bằng Excel hoặc LibreOffice và lưu lại thành .xlsx"}
	}
	doc, err := mscfb.New(f)
	if err != nil {
		return nil, err
	}
	var data []byte
	biff5 := false
	for entry, err := doc.Next(); err == nil; entry, err = doc.Next() {
		switch strings.ToLower(entry.Name) { // some writers spell it WORKBOOK
		case "encryptioninfo", "encryptedpackage":
			return nil, errXLSEncrypted
		case "book":
			biff5 = true
		case "workbook":
			if entry.Size > max {
				return nil, fmt.Errorf("the Workbook stream is %d bytes, more than %d", entry.Size, max)
			}
			if data, err = io.ReadAll(io.LimitReader(entry, max)); err != nil {
				return nil, err
			}
		}
	}
	if data == nil && biff5 {
		return nil, &FileError{Path: path, Msg: "an Excel 5.0/95 workbook (BIFF5)",
			Reason: "Tệp Excel 5.0/95 quá cũ: hãy mở bằng Excel hoặc LibreOffice và lưu lại thành .xlsx"}
	}
	if data == nil {
		return nil, errors.New("no Workbook stream")
	}
	bk := &xlsBook{data: data, formats: map[int]string{}}
	return bk, bk.globals()
}

func isZip(path string) bool {
	b, err := readHead(path, 4)
	return err == nil && string(b) == "PK\x03\x04"
}

// record reads the record at off: its type, data and the next record's offset.
func (bk *xlsBook) record(off int) (typ int, body []byte, next int, err error) {
	if off+4 > len(bk.data) {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	typ = int(binary.LittleEndian.Uint16(bk.data[off:]))
	n := int(binary.LittleEndian.Uint16(bk.data[off+2:]))
	if off+4+n > len(bk.data) {
		return 0, nil, 0, io.ErrUnexpectedEOF
	}
	return typ, bk.data[off+4 : off+4+n], off + 4 + n, nil
}

const (
	recBOF         = 0x0809
	recEOF         = 0x000A
	recBoundSheet  = 0x0085
	recSST         = 0x00FC
	recContinue    = 0x003C
	recFormat      = 0x041E
	recXF          = 0x00E0
	recDateMode    = 0x0022
	recFilePass    = 0x002F
	recNumber      = 0x0203
	recRK          = 0x027E
	recMulRK       = 0x00BD
	recLabelSST    = 0x00FD
	recLabel       = 0x0204
	recRString     = 0x00D6
	recBoolErr     = 0x0205
	recFormula     = 0x0006
	recString      = 0x0207
	recMergedCells = 0x00E5
)

// globals reads the workbook globals substream.
func (bk *xlsBook) globals() error {
	typ, body, off, err := bk.record(0)
	if err != nil {
		return err
	}
	if typ != recBOF || len(body) < 4 {
		return errors.New("the stream does not start with a BOF record")
	}
	if v := binary.LittleEndian.Uint16(body); v != 0x0600 {
		return &FileError{Msg: fmt.Sprintf("BIFF version %#x, not BIFF8", v),
			Reason: "Tệp Excel định dạng quá cũ (trước Excel 97): hãy mở bằng Excel hoặc LibreOffice và lưu lại thành .xlsx"}
	}
	for {
		typ, body, next, err := bk.record(off)
		if err != nil {
			return err
		}
		switch typ {
		case recEOF:
			return nil
		case recFilePass:
			return errXLSEncrypted
		case recDateMode:
			bk.date1904 = len(body) >= 2 && binary.LittleEndian.Uint16(body) == 1
		case recFormat:
			if len(body) >= 2 {
				s, _, err := xlsString(segments{body[2:]}, 2)
				if err == nil {
					bk.formats[int(binary.LittleEndian.Uint16(body))] = s
				}
			}
		case recXF:
			if len(body) >= 4 {
				bk.xfFormat = append(bk.xfFormat, int(binary.LittleEndian.Uint16(body[2:])))
			}
		case recBoundSheet:
			if len(body) < 8 {
				return errors.New("short BOUNDSHEET record")
			}
			name, _, err := xlsString(segments{body[6:]}, 1)
			if err != nil {
				return err
			}
			if body[5] == 0 { // a worksheet (not a chart or macro sheet)
				bk.sheets = append(bk.sheets, xlsSheetRef{name: name, offset: int(binary.LittleEndian.Uint32(body))})
			}
		case recSST:
			segs := segments{body}
			for {
				t, b, n, err := bk.record(next)
				if err != nil || t != recContinue {
					break
				}
				segs = append(segs, b)
				next = n
			}
			if err := bk.readSST(segs); err != nil {
				return fmt.Errorf("shared strings: %w", err)
			}
		}
		off = next
	}
}

// segments is a record's data with its CONTINUE records: a string may be cut
// between two, and its characters go on after a new flags byte.
type segments [][]byte

type segReader struct {
	segs segments
	i, p int
}

func (r *segReader) left() int {
	if r.i >= len(r.segs) {
		return 0
	}
	return len(r.segs[r.i]) - r.p
}

// bytes reads n bytes that may span segments (not character data).
func (r *segReader) bytes(n int) ([]byte, error) {
	var out []byte
	for n > 0 {
		if r.i >= len(r.segs) {
			return nil, io.ErrUnexpectedEOF
		}
		k := min(n, r.left())
		out = append(out, r.segs[r.i][r.p:r.p+k]...)
		r.p += k
		n -= k
		if r.left() == 0 {
			r.i, r.p = r.i+1, 0
		}
	}
	return out, nil
}

func (r *segReader) u8() (int, error) {
	b, err := r.bytes(1)
	if err != nil {
		return 0, err
	}
	return int(b[0]), nil
}

func (r *segReader) u16() (int, error) {
	b, err := r.bytes(2)
	if err != nil {
		return 0, err
	}
	return int(binary.LittleEndian.Uint16(b)), nil
}

func (r *segReader) u32() (int, error) {
	b, err := r.bytes(4)
	if err != nil {
		return 0, err
	}
	return int(binary.LittleEndian.Uint32(b)), nil
}

// str reads an XLUnicodeRichExtendedString (lenBytes 2) or a short string
// (lenBytes 1): its characters, then skips its formatting runs and phonetic data.
func (r *segReader) str(lenBytes int) (string, error) {
	var cch int
	var err error
	if lenBytes == 1 {
		cch, err = r.u8()
	} else {
		cch, err = r.u16()
	}
	if err != nil {
		return "", err
	}
	flags, err := r.u8()
	if err != nil {
		return "", err
	}
	runs, ext := 0, 0
	if flags&0x08 != 0 {
		if runs, err = r.u16(); err != nil {
			return "", err
		}
	}
	if flags&0x04 != 0 {
		if ext, err = r.u32(); err != nil {
			return "", err
		}
	}
	wide := flags&0x01 != 0
	units := make([]uint16, 0, cch)
	for len(units) < cch {
		if r.left() == 0 { // the characters go on in the next CONTINUE, after its own flags byte
			r.i, r.p = r.i+1, 0
			if r.i >= len(r.segs) {
				return "", io.ErrUnexpectedEOF
			}
			f, _ := r.u8()
			wide = f&0x01 != 0
			continue
		}
		if wide {
			if r.left() < 2 {
				return "", errors.New("a character cut between records")
			}
			b := r.segs[r.i][r.p:]
			units = append(units, binary.LittleEndian.Uint16(b))
			r.p += 2
		} else {
			units = append(units, uint16(r.segs[r.i][r.p]))
			r.p++
		}
		if r.left() == 0 && len(units) < cch {
			continue
		}
	}
	if r.left() == 0 {
		r.i, r.p = r.i+1, 0
	}
	if _, err := r.bytes(4*runs + ext); err != nil {
		return "", err
	}
	return strings.ReplaceAll(string(utf16.Decode(units)), "\x00", ""), nil
}

// xlsString reads one string from data (no CONTINUE), returning what follows.
func xlsString(segs segments, lenBytes int) (string, int, error) {
	r := &segReader{segs: segs}
	s, err := r.str(lenBytes)
	return s, r.p, err
}

func (bk *xlsBook) readSST(segs segments) error {
	r := &segReader{segs: segs}
	if _, err := r.u32(); err != nil { // total references
		return err
	}
	n, err := r.u32()
	if err != nil {
		return err
	}
	if n > 1<<24 {
		return fmt.Errorf("%d strings", n)
	}
	bk.sst = make([]string, 0, min(n, 1<<16))
	for i := 0; i < n; i++ {
		if r.left() == 0 && r.i >= len(r.segs)-1 {
			break // fewer strings than the count says (some writers overcount): the cells say which they use
		}
		s, err := r.str(2)
		if err != nil {
			return fmt.Errorf("string %d of %d: %w", i, n, err)
		}
		bk.sst = append(bk.sst, s)
	}
	return nil
}

type xlsCell struct {
	row, col int
	v        string
}

// sheet decodes one worksheet's cells and merges.
func (bk *xlsBook) sheet(off int, lim Limits) ([][]string, []mergeRange, error) {
	typ, _, off, err := bk.record(off)
	if err != nil || typ != recBOF {
		return nil, nil, errors.New("the sheet does not start with a BOF record")
	}
	var cells []xlsCell
	var merges []mergeRange
	maxRow := 0
	add := func(row, col int, v string) error {
		if v == "" {
			return nil
		}
		if col >= lim.MaxColumns {
			return fmt.Errorf("row %d has more than the %d columns a report may have", row+1, lim.MaxColumns)
		}
		cells = append(cells, xlsCell{row, col, v})
		maxRow = max(maxRow, row+1)
		return nil
	}
	pendingFormula := [2]int{-1, -1} // a string result comes in the next STRING record
	for depth := 0; ; {
		typ, body, next, err := bk.record(off)
		if err != nil {
			return nil, nil, err
		}
		off = next
		if typ == recBOF { // an embedded chart's substream
			depth++
			continue
		}
		if typ == recEOF {
			if depth == 0 {
				break
			}
			depth--
			continue
		}
		if depth > 0 {
			continue
		}
		rc := func() (int, int, int, bool) {
			if len(body) < 6 {
				return 0, 0, 0, false
			}
			return int(binary.LittleEndian.Uint16(body)), int(binary.LittleEndian.Uint16(body[2:])), int(binary.LittleEndian.Uint16(body[4:])), true
		}
		switch typ {
		case recNumber:
			if row, col, xf, ok := rc(); ok && len(body) >= 14 {
				err = add(row, col, bk.number(math.Float64frombits(binary.LittleEndian.Uint64(body[6:])), xf))
			}
		case recRK:
			if row, col, xf, ok := rc(); ok && len(body) >= 10 {
				err = add(row, col, bk.number(rkValue(binary.LittleEndian.Uint32(body[6:])), xf))
			}
		case recMulRK:
			if len(body) >= 6 {
				row, col := int(binary.LittleEndian.Uint16(body)), int(binary.LittleEndian.Uint16(body[2:]))
				for p := 4; p+6 <= len(body)-2 && err == nil; p, col = p+6, col+1 {
					xf := int(binary.LittleEndian.Uint16(body[p:]))
					err = add(row, col, bk.number(rkValue(binary.LittleEndian.Uint32(body[p+2:])), xf))
				}
			}
		case recLabelSST:
			if row, col, _, ok := rc(); ok && len(body) >= 10 {
				i := int(binary.LittleEndian.Uint32(body[6:]))
				if i >= len(bk.sst) {
					return nil, nil, fmt.Errorf("cell %s names shared string %d of %d", cellName(row, col), i, len(bk.sst))
				}
				err = add(row, col, bk.sst[i])
			}
		case recLabel, recRString:
			if row, col, _, ok := rc(); ok {
				s, _, e := xlsString(segments{body[6:]}, 2)
				if e != nil {
					return nil, nil, e
				}
				err = add(row, col, s)
			}
		case recBoolErr:
			if row, col, _, ok := rc(); ok && len(body) >= 8 {
				if body[7] == 0 {
					err = add(row, col, map[bool]string{true: "TRUE", false: "FALSE"}[body[6] != 0])
				} else {
					err = add(row, col, xlsError(body[6]))
				}
			}
		case recFormula:
			if row, col, xf, ok := rc(); ok && len(body) >= 14 {
				res := body[6:14]
				if binary.LittleEndian.Uint16(res[6:]) != 0xFFFF {
					err = add(row, col, bk.number(math.Float64frombits(binary.LittleEndian.Uint64(res)), xf))
					break
				}
				switch res[0] {
				case 0: // a string: the next STRING record
					pendingFormula = [2]int{row, col}
				case 1:
					err = add(row, col, map[bool]string{true: "TRUE", false: "FALSE"}[res[2] != 0])
				case 2:
					err = add(row, col, xlsError(res[2]))
				}
			}
		case recString:
			if pendingFormula[0] >= 0 {
				segs := segments{body}
				for {
					t, b, n, e := bk.record(off)
					if e != nil || t != recContinue {
						break
					}
					segs, off = append(segs, b), n
				}
				s, _, e := xlsString(segs, 2)
				if e == nil {
					err = add(pendingFormula[0], pendingFormula[1], s)
				}
				pendingFormula = [2]int{-1, -1}
			}
		case recMergedCells:
			if len(body) >= 2 {
				n := int(binary.LittleEndian.Uint16(body))
				for p := 2; p+8 <= len(body) && n > 0; p, n = p+8, n-1 {
					r1, r2 := int(binary.LittleEndian.Uint16(body[p:])), int(binary.LittleEndian.Uint16(body[p+2:]))
					c1, c2 := int(binary.LittleEndian.Uint16(body[p+4:])), int(binary.LittleEndian.Uint16(body[p+6:]))
					if r1 <= r2 && c1 <= c2 {
						merges = append(merges, mergeRange{top: r1 + 1, bottom: r2 + 1, left: c1, right: c2})
					}
				}
			}
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if maxRow > lim.MaxRows {
		return nil, nil, fmt.Errorf("more than %d rows", lim.MaxRows)
	}
	sort.SliceStable(cells, func(i, j int) bool {
		if cells[i].row != cells[j].row {
			return cells[i].row < cells[j].row
		}
		return cells[i].col < cells[j].col
	})
	rows := make([][]string, maxRow)
	for _, c := range cells {
		r := rows[c.row]
		for len(r) < c.col {
			r = append(r, "")
		}
		if len(r) == c.col {
			r = append(r, c.v)
		} else {
			r[c.col] = c.v // a cell written twice: the later record
		}
		rows[c.row] = r
	}
	return rows, merges, nil
}

// xlsError is an error value as Excel shows it (and .xlsx stores it): the
// unit sees "#DIV/0!", and so does the reason its row is rejected for.
func xlsError(code byte) string {
	switch code {
	case 0x00:
		return "#NULL!"
	case 0x07:
		return "#DIV/0!"
	case 0x0F:
		return "#VALUE!"
	case 0x17:
		return "#REF!"
	case 0x1D:
		return "#NAME?"
	case 0x24:
		return "#NUM!"
	case 0x2A:
		return "#N/A"
	}
	return "#N/A"
}

func cellName(row, col int) string { return ColumnLetter(col) + strconv.Itoa(row+1) }

// rkValue decodes an RK number: a 30-bit integer or the high bits of a
// double, either possibly multiplied by 100.
func rkValue(rk uint32) float64 {
	var v float64
	if rk&0x02 != 0 {
		v = float64(int32(rk) >> 2)
	} else {
		v = math.Float64frombits(uint64(rk&0xFFFFFFFC) << 32)
	}
	if rk&0x01 != 0 {
		v /= 100
	}
	return v
}

// number renders a number as .xlsx holds it raw, or with the zeros a
// zero-padding format shows.
func (bk *xlsBook) number(f float64, xf int) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if math.Abs(f) >= 1e21 || (f != 0 && math.Abs(f) < 1e-7) {
		s = strconv.FormatFloat(f, 'G', -1, 64)
	}
	if xf >= 0 && xf < len(bk.xfFormat) {
		if w := zeroPad(bk.formats[bk.xfFormat[xf]]); w > 0 {
			return padCode(s, w)
		}
	}
	return s
}

// gridRows gives a decoded sheet's rows.
type gridRows struct {
	rows [][]string
	i    int
}

func (g *gridRows) Next() bool {
	if g.i >= len(g.rows) {
		return false
	}
	g.i++
	return true
}

func (g *gridRows) Cells() ([]string, error) { return g.rows[g.i-1], nil }
func (g *gridRows) Close() error             { return nil }
