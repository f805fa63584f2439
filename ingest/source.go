package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Source is one report to load: a workbook, or the CSV files one reporting unit
// sent for one year.
type Source struct {
	Path    string   // the workbook, or dir/<unit>_<year>_*.csv for a CSV set
	Kind    string   // "xlsx", "xls", "ods" or "csv"
	Files   []string // the physical files
	ModTime time.Time
	// Parts are further workbooks of the same report (a report split over
	// several files, each with its own sheets): Files lists theirs too
	Parts []Source
	// for a CSV set, what its file names say
	csvUnit string
	csvYear int
}

// Limits bound what one report may make orgqa read, so that a zip bomb, an
// absurdly wide or long sheet is refused instead of filling memory or disk.
type Limits struct {
	UnzipSize    int64 // a workbook may not inflate beyond this
	UnzipXMLSize int64 // a worksheet larger than this is streamed from a temp file
	MaxColumns   int   // cells in one row
	MaxRows      int   // rows in one sheet
}

// DefaultLimits fit the largest real report many times over.
// A worksheet above UnzipXMLSize is read from a temporary file instead of memory,
// so memory stops growing with sheet size (measured: 67 MB peak at 16 MB, 16 MB
// at 1 MB for 8 MB sheets); typical sheets (under 2 MB) stay in memory.
var DefaultLimits = Limits{UnzipSize: 1 << 30, UnzipXMLSize: 4 << 20, MaxColumns: 512, MaxRows: 1_048_576}

func (l Limits) orDefault() Limits {
	d := DefaultLimits
	if l.UnzipSize > 0 {
		d.UnzipSize = l.UnzipSize
	}
	if l.UnzipXMLSize > 0 {
		d.UnzipXMLSize = l.UnzipXMLSize
	}
	if l.MaxColumns > 0 {
		d.MaxColumns = l.MaxColumns
	}
	if l.MaxRows > 0 {
		d.MaxRows = l.MaxRows
	}
	return d
}

var csvName = regexp.MustCompile(`^(.+)_(\d{4})_([^_]+)\.[cC][sS][vV]$`)

// Discover lists the reports in dir (and its subfolders), oldest first so that a
// newer file for the same unit and year replaces an older one. Files that cannot
// be a report are returned as problems; other files (notes, PDFs) are ignored.
// Symbolic links are followed (a folder already being walked is not entered
// again, so a link loop ends); a broken link or a subfolder that cannot be read
// is a problem of its own, and the rest of the inbox is still read. Only dir
// itself failing to be read is an error.
func Discover(dir string) ([]Source, []error, error) {
	d, err := discover(dir)
	if err != nil {
		return nil, nil, err
	}
	return d.sources, d.problems, nil
}

// discover is Discover, also listing the files that are no report (a note,
// a PDF, a Word file): the manifest records them as ignored.
func discover(dir string) (*discovery, error) {
	d := &discovery{csvSets: map[string]*Source{}}
	root, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", dir, err)
	}
	if !root.IsDir() {
		return nil, fmt.Errorf("discover %s: not a folder", dir)
	}
	if err := d.walk(dir, []os.FileInfo{root}); err != nil {
		return nil, fmt.Errorf("discover %s: %w", dir, err)
	}
	for _, s := range d.csvSets {
		sort.Strings(s.Files)
		d.sources = append(d.sources, *s)
	}
	sort.Slice(d.sources, func(i, j int) bool {
		if !d.sources[i].ModTime.Equal(d.sources[j].ModTime) {
			return d.sources[i].ModTime.Before(d.sources[j].ModTime)
		}
		return d.sources[i].Path < d.sources[j].Path
	})
	sort.Strings(d.ignored)
	return d, nil
}

type discovery struct {
	sources  []Source
	problems []error
	ignored  []string // files of no format orgqa reads
	csvSets  map[string]*Source
}

// walk reads one folder; open holds the folders from the root down to it.
func (d *discovery) walk(dir string, open []os.FileInfo) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if len(open) == 1 {
			return err // the inbox itself
		}
		d.problems = append(d.problems, &FileError{Path: dir, Msg: "cannot read folder", Err: err,
			Reason: "Không đọc được thư mục (không có quyền đọc?): các tệp trong đó chưa được nạp"})
		return nil
	}
	for _, e := range entries {
		name := e.Name()
		path := filepath.Join(dir, name)
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "~$") {
			continue
		}
		info, err := e.Info()
		if err == nil && info.Mode()&fs.ModeSymlink != 0 {
			info, err = os.Stat(path) // what the link points to
			if err != nil {
				d.problems = append(d.problems, &FileError{Path: path, Msg: "broken symbolic link", Err: err,
					Reason: "Liên kết (symlink) trỏ tới tệp hoặc thư mục không còn tồn tại"})
				continue
			}
		}
		if err != nil {
			d.problems = append(d.problems, &FileError{Path: path, Msg: "cannot read", Reason: "Không đọc được tệp", Err: err})
			continue
		}
		switch {
		case info.IsDir():
			if slices.ContainsFunc(open, func(o os.FileInfo) bool { return os.SameFile(o, info) }) {
				d.problems = append(d.problems, &FileError{Path: path, Msg: "a link back to a folder above it: not followed",
					Reason: "Liên kết trỏ ngược về thư mục cha (vòng lặp): bỏ qua"})
				continue
			}
			if err := d.walk(path, append(open, info)); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			d.file(path, name, info)
		}
	}
	return nil
}

// file takes one regular file found in the inbox.
func (d *discovery) file(path, name string, info os.FileInfo) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		d.sources = append(d.sources, Source{Path: path, Kind: "xlsx", Files: []string{path}, ModTime: info.ModTime()})
	case ".xls":
		d.sources = append(d.sources, Source{Path: path, Kind: "xls", Files: []string{path}, ModTime: info.ModTime()})
	case ".ods":
		d.sources = append(d.sources, Source{Path: path, Kind: "ods", Files: []string{path}, ModTime: info.ModTime()})
	case ".csv":
		m := csvName.FindStringSubmatch(name)
		if m == nil {
			d.problems = append(d.problems, &FileError{Path: path,
				Msg:    "CSV file name must be <unit code>_<year>_<Sheet>.csv",
				Reason: "Tên tệp CSV phải có dạng <mã đơn vị>_<năm>_<Sheet>.csv"})
			return
		}
		year, _ := strconv.Atoi(m[2])
		key := filepath.Join(filepath.Dir(path), m[1]+"_"+m[2])
		set := d.csvSets[key]
		if set == nil {
			set = &Source{Path: key + "_*.csv", Kind: "csv", csvUnit: m[1], csvYear: year}
			d.csvSets[key] = set
		}
		set.Files = append(set.Files, path)
		if info.ModTime().After(set.ModTime) {
			set.ModTime = info.ModTime()
		}
	default:
		d.ignored = append(d.ignored, path)
	}
}

// FileError is a whole file (or sheet) that cannot be loaded. Msg is for logs;
// Reason says the same in Vietnamese for the unit that sent it.
type FileError struct {
	Path, Sheet string
	Msg, Reason string
	Err         error
}

func (e *FileError) Error() string {
	where := e.Path
	if e.Sheet != "" {
		where += "!" + e.Sheet
	}
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", where, e.Msg, e.Err)
	}
	return where + ": " + e.Msg
}

func (e *FileError) Unwrap() error { return e.Err }

// RowError is one row that could not be read (a character XML forbids in one
// of its cells, a CSV line that is not UTF-8). The row is rejected with Reason;
// the rows around it are read as usual. Cells are those read before the bad one.
type RowError struct {
	Col    int    // 1-based column of the bad cell; 0 when unknown
	Value  string // what can be shown of it
	Msg    string // English, for logs
	Reason string // Vietnamese, for the unit
	Cells  []string
}

func (e *RowError) Error() string {
	if e.Col > 0 {
		return fmt.Sprintf("column %s: %s", ColumnLetter(e.Col-1), e.Msg)
	}
	return e.Msg
}

// readHead reads the first n bytes of a file.
func readHead(path string, n int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	_, err = io.ReadFull(f, b)
	return b, err
}

// fileSHA256 hashes a file by streaming it.
// FileSHA256 is a file's content hash, as the manifest records it.
func FileSHA256(path string) (string, error) { return fileSHA256(path) }

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// rowIter walks a sheet's rows in order, one per Excel row, blank rows included.
type rowIter interface {
	Next() bool
	Cells() ([]string, error)
	Close() error
}

// sheetSource is where one contract sheet of a report is read from.
type sheetSource struct {
	file     string // physical file
	sha      string
	sheet    string // the sheet's name as found
	date1904 bool   // the workbook counts date serials from 01/01/1904
	open     func() (rowIter, error)
	computed int // formulas without a cached value that were computed on reading
}

// reportReader gives the contract sheets of one report.
type reportReader struct {
	sheets map[*SheetSpec]*sheetSource
	extra  []string // sheets or files that name no contract sheet
	close  func() error
}

// openReport opens a report's contract sheets; shas are its files' hashes.
func openReport(src Source, shas map[string]string, lim Limits) (*reportReader, error) {
	if len(src.Parts) > 0 {
		return openParts(src, shas, lim)
	}
	switch src.Kind {
	case "xlsx":
		return openWorkbook(src.Files[0], shas[src.Files[0]], lim)
	case "csv":
		return openCSVSet(src, shas, lim)
	case "ods":
		return openODS(src.Files[0], shas[src.Files[0]], lim)
	case "xls":
		return openXLS(src.Files[0], shas[src.Files[0]], lim)
	}
	return nil, fmt.Errorf("unknown source kind %q", src.Kind)
}

// oleMagic starts an OLE compound file: an encrypted (password-protected)
// workbook, or a legacy .xls given an .xlsx name.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

func openWorkbook(path, sha string, lim Limits) (*reportReader, error) {
	if head, err := readHead(path, len(oleMagic)); err == nil && bytes.Equal(head, oleMagic) {
		return nil, &FileError{Path: path, Msg: "password-protected (encrypted) workbook, or an .xls renamed to .xlsx",
			Reason: "Tệp Excel có mật khẩu (hoặc là tệp .xls đổi tên): hãy bỏ mật khẩu và lưu lại thành .xlsx"}
	}
	f, err := excelize.OpenFile(path, excelize.Options{RawCellValue: true, UnzipSizeLimit: lim.UnzipSize, UnzipXMLSizeLimit: lim.UnzipXMLSize})
	if err != nil {
		return nil, &FileError{Path: path, Msg: "not a readable .xlsx workbook", Reason: "Không mở được tệp Excel (tệp hỏng, có mật khẩu hoặc không phải .xlsx)", Err: err}
	}
	wb := &workbookFast{path: path, f: f}
	props, err := f.GetWorkbookProps()
	if err != nil {
		f.Close()
		return nil, &FileError{Path: path, Msg: "not a readable .xlsx workbook", Reason: "Không mở được tệp Excel (tệp hỏng)", Err: err}
	}
	date1904 := props.Date1904 != nil && *props.Date1904
	rr := &reportReader{sheets: map[*SheetSpec]*sheetSource{}, close: func() error {
		wb.close()
		return f.Close()
	}}
	for _, name := range f.GetSheetList() {
		spec, err := SheetFor(name)
		if err != nil {
			f.Close()
			return nil, err
		}
		if spec == nil {
			rr.extra = append(rr.extra, name)
			continue
		}
		if prev, dup := rr.sheets[spec]; dup {
			f.Close()
			return nil, &FileError{Path: path, Sheet: name,
				Msg:    fmt.Sprintf("sheets %q and %q both hold %s", prev.sheet, name, spec.Name),
				Reason: fmt.Sprintf("Hai sheet %q và %q cùng là sheet %s", prev.sheet, name, spec.Name)}
		}
		name := name
		ss := &sheetSource{file: path, sha: sha, sheet: name, date1904: date1904}
		ss.open = func() (rowIter, error) {
			rows, err := f.Rows(name)
			if err != nil {
				return nil, err
			}
			fast := newFastRows(wb, name, rows)
			var it sheetRows = fast
			if verifyXLSX() {
				ref, err := f.Rows(name)
				if err != nil {
					return nil, err
				}
				it = &verifiedRows{fast: fast, ref: ref, where: path + "!" + name}
			}
			x := &xlsxRows{rows: it, maxColumns: lim.MaxColumns,
				disp: &displayed{f: f, sheet: name, pads: map[int]int{}, computed: &ss.computed}}
			return withMerges(x, sheetMerges(wb, f, name, fast.path), lim.MaxColumns), nil
		}
		rr.sheets[spec] = ss
	}
	return rr, nil
}

// sheetRows is excelize's row iterator, or one that reads like it.
type sheetRows interface {
	Next() bool
	Columns(...excelize.Options) ([]string, error)
	Error() error
	Close() error
}

type xlsxRows struct {
	rows       sheetRows
	maxColumns int
	disp       *displayed // numbers as their format shows them, formulas computed
}

func (x *xlsxRows) Next() bool {
	if x.rows.Next() {
		x.disp.row++
		return true
	}
	return false
}

func (x *xlsxRows) Cells() ([]string, error) {
	c, err := x.rows.Columns()
	if err == nil && len(c) > x.maxColumns {
		return nil, fmt.Errorf("row has %d columns, more than the %d a report may have", len(c), x.maxColumns)
	}
	if err == nil {
		if ex, ok := x.rows.(extrasRows); ok {
			if uncalc, styled := ex.extras(); len(uncalc) > 0 || len(styled) > 0 {
				x.disp.apply(c, uncalc, styled)
			}
		}
	}
	return c, err
}
func (x *xlsxRows) Close() error {
	if err := x.rows.Error(); err != nil {
		x.rows.Close()
		return err
	}
	return x.rows.Close()
}

func openCSVSet(src Source, shas map[string]string, lim Limits) (*reportReader, error) {
	rr := &reportReader{sheets: map[*SheetSpec]*sheetSource{}, close: func() error { return nil }}
	for _, path := range src.Files {
		m := csvName.FindStringSubmatch(filepath.Base(path))
		spec, err := SheetFor(m[3])
		if err != nil {
			return nil, err
		}
		if spec == nil {
			rr.extra = append(rr.extra, filepath.Base(path))
			continue
		}
		if prev, dup := rr.sheets[spec]; dup {
			return nil, &FileError{Path: path, Msg: fmt.Sprintf("%s and %s both hold %s", prev.file, path, spec.Name),
				Reason: fmt.Sprintf("Hai tệp cùng là sheet %s", spec.Name)}
		}
		path := path
		rr.sheets[spec] = &sheetSource{file: path, sha: shas[path], sheet: m[3], open: func() (rowIter, error) { return openCSV(path, lim.MaxColumns) }}
	}
	return rr, nil
}

// sourceHashes are a report's content hashes: each file's, and the report's own
// (a workbook's file hash; for a CSV set, the hash of its files' names and hashes).
type sourceHashes struct {
	report string
	files  map[string]string
	stats  map[string]fileStat // each file's size, time and hash, for the next night
}

// fileStat is what a file was when it was last hashed. A file whose size and
// modification time (to the nanosecond) are the same is taken to hold the
// same bytes, so a night with nothing new does not read the inbox again
// (--force hashes everything).
type fileStat struct {
	size, modNs int64
	sha         string
}

// hashSource hashes every file of a report once, streaming.
func hashSource(src Source) (sourceHashes, error) { return hashSourceWith(src, nil) }

// hashSourceWith is hashSource taking a file's hash from known when its size
// and modification time are as known says.
func hashSourceWith(src Source, known map[string]fileStat) (sourceHashes, error) {
	h := sourceHashes{files: map[string]string{}, stats: map[string]fileStat{}}
	var lines []string
	for _, f := range src.Files {
		fi, err := os.Stat(f)
		if err != nil {
			return h, err
		}
		st := fileStat{size: fi.Size(), modNs: fi.ModTime().UnixNano()}
		if k, ok := known[f]; ok && k.size == st.size && k.modNs == st.modNs {
			st.sha = k.sha
		} else if st.sha, err = fileSHA256(f); err != nil {
			return h, err
		}
		h.files[f], h.stats[f] = st.sha, st
		sha := st.sha
		lines = append(lines, filepath.Base(f)+" "+sha)
	}
	if src.Kind != "csv" && len(src.Parts) == 0 { // one file: its own hash
		h.report = h.files[src.Files[0]]
		return h, nil
	}
	sort.Strings(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	h.report = hex.EncodeToString(sum[:])
	return h, nil
}

type csvRows struct {
	f          *os.File
	r          *csv.Reader
	rec        []string
	err        error
	maxColumns int
	encoding   string // "" for UTF-8, else what the file was decoded from
}

// openCSV opens a CSV file: UTF-8 (with or without BOM), UTF-16 with a BOM, or,
// when the text is not UTF-8, Windows-1258 (the Vietnamese Windows code page of
// older Excel exports), decoded to Unicode. The delimiter is what the header
// line uses: a comma, or the semicolon of Excel in Vietnamese locales.
func openCSV(path string, maxColumns int) (rowIter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	c := &csvRows{f: f, maxColumns: maxColumns}
	br := bufio.NewReaderSize(f, 1<<16)
	head, _ := br.Peek(1 << 16)
	var text io.Reader = br
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		text = transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder())
		c.encoding = "UTF-16"
	case bytes.HasPrefix(head, []byte("\xEF\xBB\xBF")):
		br.Discard(3)
	case !utf8.Valid(trimPartialRune(head)):
		// 8-bit text: Windows-1258, or the raw bytes of a .VnTime or VNI-Times
		// sheet, whose cells the TCVN3/VNI decoder then reads
		if legacyBytesRead(head) {
			text = transform.NewReader(br, charmap.ISO8859_1.NewDecoder())
			c.encoding = "8-bit TCVN3/VNI"
		} else {
			text = transform.NewReader(br, charmap.Windows1258.NewDecoder())
			c.encoding = "Windows-1258"
		}
	}
	tb := bufio.NewReaderSize(text, 1<<16)
	first, _ := tb.Peek(4096)
	if i := bytes.IndexAny(first, "\r\n"); i >= 0 {
		first = first[:i]
	}
	r := csv.NewReader(tb)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	r.ReuseRecord = true
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	c.r = r
	return c, nil
}

// legacyBytesRead reports whether 8-bit text reads better as TCVN3/VNI bytes
// than as Windows-1258: the reading with fewer words that are not Vietnamese
// syllables wins (Windows-1258 on a tie).
func legacyBytesRead(sample []byte) bool {
	cp, _ := charmap.Windows1258.NewDecoder().Bytes(sample)
	asCP := implausible(norm.NFC.String(string(cp)))
	latin, _ := charmap.ISO8859_1.NewDecoder().Bytes(sample)
	asLegacy := 0
	for _, line := range strings.Split(string(latin), "\n") {
		dec, _ := DecodeLegacy(line, Unicode)
		asLegacy += implausible(dec) + 10*foreign(dec)
	}
	return asLegacy < asCP
}

// trimPartialRune drops a UTF-8 sequence cut off at the end of a sample.
func trimPartialRune(b []byte) []byte {
	for i := 0; i < utf8.UTFMax && i < len(b); i++ {
		if utf8.RuneStart(b[len(b)-1-i]) {
			if !utf8.FullRune(b[len(b)-1-i:]) {
				return b[:len(b)-1-i]
			}
			break
		}
	}
	return b
}

func (c *csvRows) Next() bool {
	if c.err != nil {
		return false
	}
	c.rec, c.err = c.r.Read()
	return c.err == nil
}

func (c *csvRows) Cells() ([]string, error) {
	if len(c.rec) > c.maxColumns {
		return nil, fmt.Errorf("row has %d columns, more than the %d a report may have", len(c.rec), c.maxColumns)
	}
	for i, v := range c.rec {
		if !utf8.ValidString(v) {
			// this row alone: the file's encoding was settled on its start
			return nil, &RowError{Col: i + 1, Value: strings.ToValidUTF8(v, "[?]"), Cells: append([]string(nil), c.rec[:i]...),
				Msg:    "not UTF-8 text past the start of the file",
				Reason: fmt.Sprintf("Cột %s có byte không phải văn bản UTF-8 (tệp CSV ghi bằng hai bảng mã khác nhau?); dòng này không đọc được — hãy lưu tệp CSV dạng UTF-8 rồi gửi lại", ColumnLetter(i))}
		}
	}
	return c.rec, nil
}

// Encoding says what the file was decoded from ("" for UTF-8).
func (c *csvRows) Encoding() string { return c.encoding }

func (c *csvRows) Close() error {
	err := c.f.Close()
	if c.err != nil && c.err != io.EOF {
		return c.err
	}
	return err
}
