package ingest

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
	"orgqa/internal/xlsxpatch"
)

// The fast sheet reader (xlsxfast.go) against excelize, the reference: for
// every sheet, the same rows, the same values, errors at the same rows.

// compareSheets reads every sheet of a workbook with both and returns how many
// sheets the fast reader read wholly by itself. Up to XML no reader accepts,
// that is: there excelize ends the sheet silently, the fast reader reports it
// (the sheet is then counted as invalid, and encoding/xml must refuse it too).
func compareSheets(t testing.TB, path string, maxRows int) (fast, total int) {
	t.Helper()
	fast, total, _ = compareSheetsWith(t, path, maxRows, excelize.Options{RawCellValue: true})
	return fast, total
}

func compareSheetsWith(t testing.TB, path string, maxRows int, opts excelize.Options) (fast, total, invalid int) {
	t.Helper()
	f, err := excelize.OpenFile(path, opts)
	if err != nil {
		return 0, 0, 0 // excelize refuses it; so does ingest, before any reader
	}
	defer f.Close()
	wb := &workbookFast{path: path, f: f}
	defer wb.close()
	for _, sh := range f.GetSheetList() {
		ex, err := f.Rows(sh)
		if err != nil {
			continue
		}
		ref, err := f.Rows(sh)
		if err != nil {
			t.Fatal(err)
		}
		it := newFastRows(wb, sh, ex)
		bad := func(row int) bool {
			if wb.sstBad != nil { // a table excelize refused: it fails every row
				return true
			}
			if !it.Invalid() {
				return false
			}
			if _, err, ok := it.checkWhole(); ok && err == nil {
				t.Fatalf("%s!%s row %d: called invalid (%v), but encoding/xml reads the sheet", filepath.Base(path), sh, row, it.Error())
			}
			return true
		}
		diverged := false
		for row := 1; ; row++ {
			a := it.Next()
			if bad(row) {
				diverged = true
				for a { // the rest: every row is whole or a RowError, then the end or a sheet error
					if _, err := it.Columns(); err != nil {
						var re *RowError
						if !errors.As(err, &re) || re.Reason == "" {
							t.Fatalf("%s!%s row %d: %v, want a *RowError", filepath.Base(path), sh, row, err)
						}
					}
					a = it.Next()
				}
				break
			}
			b := ref.Next()
			if a != b {
				t.Fatalf("%s!%s row %d: Next %v, excelize %v", filepath.Base(path), sh, row, a, b)
			}
			if !a || row > maxRows {
				break
			}
			ca, errA := it.Columns()
			cb, errB := ref.Columns()
			if !slices.Equal(ca, cb) || (errA == nil) != (errB == nil) {
				t.Fatalf("%s!%s row %d:\n fast     %q (%v)\n excelize %q (%v)", filepath.Base(path), sh, row, ca, errA, cb, errB)
			}
		}
		total++
		switch {
		case diverged || bad(0):
			invalid++
		case (it.Error() == nil) != (ref.Error() == nil):
			t.Fatalf("%s!%s: error %v, excelize %v", filepath.Base(path), sh, it.Error(), ref.Error())
		case !it.FellBack():
			fast++
		}
		it.Close()
		ref.Close()
	}
	return fast, total, invalid
}

// TestFastReaderOnTestWorkbooks: every workbook in testdata (LibreOffice's and
// excelize's), the generated data sets, and the messy and hostile workbooks the
// other tests build. The fast reader must read the ordinary ones by itself.
func TestFastReaderOnTestWorkbooks(t *testing.T) {
	var files []string
	filepath.WalkDir("../testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".xlsx") {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 4 {
		t.Fatalf("found %d workbooks in testdata", len(files))
	}
	dir := t.TempDir()
	if err := gen.WriteSet(gen.Config{Scale: gen.Scales["demo"], Year: 2025, Seed: 7}, filepath.Join(dir, "demo"), "xlsx", nil); err != nil {
		t.Fatal(err)
	}
	generated, _ := filepath.Glob(filepath.Join(dir, "demo", "*.xlsx"))
	files = append(files, generated...)
	messy := filepath.Join(dir, "messy.xlsx")
	messyBook().write(t, messy)
	files = append(files, messy)
	// sheets written by .NET programs start with a UTF-8 byte-order mark
	bom := filepath.Join(dir, "bom.xlsx")
	messyBook().write(t, bom)
	for i := 1; i <= 10; i++ {
		part := fmt.Sprintf("xl/worksheets/sheet%d.xml", i)
		if err := xlsxpatch.Rewrite(bom, part, func(b []byte) []byte { return append([]byte("\xEF\xBB\xBF"), b...) }); err != nil {
			break
		}
	}
	files = append(files, bom)
	for _, p := range files {
		fast, total := compareSheets(t, p, 1<<20)
		if total == 0 {
			t.Fatalf("%s: no sheet read", p)
		}
		if fast != total {
			t.Errorf("%s: the fast reader handed %d of %d sheets to excelize", p, total-fast, total)
		}
	}
}

// workbookWith builds a workbook whose first sheet's XML is sheet and whose
// shared string table is sst (none when empty).
func workbookWith(t testing.TB, sheet, sst string) string {
	t.Helper()
	templateOnce.Do(func() {
		f := excelize.NewFile()
		f.SetCellValue("Sheet1", "A1", "x")
		var buf bytes.Buffer
		if err := f.Write(&buf); err != nil {
			panic(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			panic(err)
		}
		for _, zf := range zr.File {
			rc, _ := zf.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			templateParts = append(templateParts, templatePart{zf.Name, body})
		}
	})
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	parts := append([]templatePart(nil), templateParts...)
	if sst != "" {
		parts = append(parts, templatePart{name: "xl/sharedStrings.xml"})
	}
	written := map[string]bool{}
	for _, part := range parts {
		body := part.body
		switch part.name {
		case "xl/worksheets/sheet1.xml":
			body = []byte(sheet)
		case "xl/sharedStrings.xml":
			if sst == "" || written[part.name] {
				continue
			}
			body = []byte(sst)
		}
		written[part.name] = true
		w, _ := zw.Create(part.name)
		w.Write(body)
	}
	zw.Close()
	p := filepath.Join(t.TempDir(), "w.xlsx")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// the parts of a one-sheet workbook excelize writes, made once
var (
	templateOnce  sync.Once
	templateParts []templatePart
)

type templatePart struct {
	name string
	body []byte
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
	`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"><dimension ref="A1:C3"/><sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetData>`
const sheetTail = `</sheetData><mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>`

const testSST = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>Mã đơn vị</t></si><si><t xml:space="preserve"> Nguyễn  Văn A </t></si><si><r><rPr><b/><sz val="11"/></rPr><t>Đảng</t></r><r><t xml:space="preserve"> bộ</t></r><rPh sb="0" eb="1"><t>x</t></rPh></si><si><t>a_x000D_b_x005F_c</t></si></sst>`

// wholeSheets are the cases of TestFastReaderCases whose sheet is not rows
// between sheetHead and sheetTail.
var wholeSheets = map[string]string{
	"the sheet cut off":            sheetHead + `<row r="1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2`,
	"a row after the sheet's data": sheetHead + `<row r="1"><c r="A1"><v>1</v></c></row></sheetData><row r="2"><c r="A2"><v>2</v></c></row>` + strings.TrimPrefix(sheetTail, "</sheetData>"),
	"a DOCTYPE":                    strings.Replace(sheetHead, "\n", "\n<!DOCTYPE worksheet [<!ENTITY x \"y\">]>", 1) + `<row r="1"><c r="A1"><v>1</v></c></row>` + sheetTail,
	"a sheet in another encoding": strings.Replace(sheetHead, `encoding="UTF-8"`, `encoding="ISO-8859-1"`, 1) +
		`<row r="1"><c r="A1" t="inlineStr"><is><t>caf` + "\xe9" + `</t></is></c></row>` + sheetTail,
}

// TestFastReaderCases: sheets written in the ways the fast reader reads, and
// in ways it must leave to excelize; either way the rows must be excelize's.
func TestFastReaderCases(t *testing.T) {
	cases := []struct {
		name, rows string
		sst        string
		fast       bool // the fast reader reads it all by itself
		invalid    bool // XML no reader accepts: reported, not read as a prefix
	}{
		{"shared strings, numbers, booleans, errors", `<row r="1" spans="1:5" x14ac:dyDescent="0.25"><c r="A1" t="s"><v>0</v></c><c r="B1" s="2" t="s"><v> 1 </v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c></row><row r="2"><c r="A2"><v>42</v></c><c r="B2" s="3"><v>45292.5</v></c><c r="C2" t="b"><v>1</v></c><c r="D2" t="e"><v>#N/A</v></c><c r="E2" t="n"><v>-1.5E-3</v></c></row>`, testSST, true, false},
		{"a shared string index out of range or not a number", `<row r="1"><c r="A1" t="s"><v>99</v></c><c r="B1" t="s"><v>abc</v></c><c r="C1" t="s"><v></v></c><c r="D1" t="s"/></row>`, testSST, true, false},
		{"gaps between rows and cells", `<row r="2"><c r="C2"><v>1</v></c></row><row r="5"><c r="B5"><v>2</v></c><c r="F5"><v>3</v></c></row><row r="6"/><row r="9"><c r="A9"><v>4</v></c></row>`, "", true, false},
		{"cells without a reference", `<row r="1"><c><v>1</v></c><c><v>2</v></c><c r="E1"><v>5</v></c><c><v>6</v></c></row>`, "", true, false},
		{"formulas: cached values, empty values kept", `<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c><c r="D1"><f>NA()</f></c><c r="E1"><f t="shared" ref="E1:E3" si="0"/><v>0</v></c></row>`, "", true, false},
		{"inline strings, rich runs, escapes", `<row r="1"><c r="A1" t="inlineStr"><is><t>Phường Đông Hà</t></is></c><c r="B1" t="inlineStr"><is><t xml:space="preserve">  hai  dấu cách  </t></is></c><c r="C1" t="inlineStr"><is><r><rPr><b/><i/></rPr><t>Chi</t></r><r><t xml:space="preserve"> bộ 1</t></r></is></c><c r="D1" t="inlineStr"><is><t>x_x000A_y_x005F_z</t></is></c><c r="E1" t="inlineStr"><is/></c><c r="F1" t="inlineStr"><v>plain</v></c></row>`, "", true, false},
		{"entities, character references, CR LF", "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lt;a&gt; &amp; &quot;b&quot; &apos;c&apos; &#7879;&#x1EC7;</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>dòng 1\r\ndòng 2\rdòng 3</t></is></c><c r=\"C1\" t=\"str\"><v>=cmd|' /C calc'!A0</v></c></row>", "", true, false},
		{"whitespace and attributes in odd places", "<row  r = '1' >\n  <c r=\"A1\"\n  t=\"str\" ><v>a b</v></c >\n</row\n>", "", true, false},
		{"a cell column going back", `<row r="1"><c r="C1"><v>3</v></c><c r="A1"><v>1</v></c></row>`, "", true, false},
		{"no sheetData rows at all", ``, "", true, false},

		{"rows out of order", `<row r="3"><c r="A3"><v>3</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>`, "", false, false},
		{"a row without its number", `<row r="1"><c r="A1"><v>1</v></c></row><row><c r="A2"><v>2</v></c></row><row><c r="A3"><v>3</v></c></row>`, "", false, false},
		{"namespace prefixes", `<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row>`, "", false, false},
		{"a comment inside the rows", `<row r="1"><!-- ghi chú --><c r="A1"><v>1</v></c></row>`, "", false, false},
		{"CDATA", `<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[<b>]]></t></is></c></row>`, "", false, false},
		{"an unknown entity", `<row r="1"><c r="A1" t="inlineStr"><is><t>&nbsp;</t></is></c></row>`, "", false, true},
		{"a bad cell reference", `<row r="1"><c r="1A"><v>1</v></c></row>`, "", false, false},
		{"a bad style number", `<row r="1"><c r="A1" s="x"><v>1</v></c></row>`, "", false, false},
		{"a control character", "<row r=\"2\"><c r=\"A2\"><v>1</v></c></row><row r=\"3\"><c r=\"A3\" t=\"inlineStr\"><is><t>a\x01b</t></is></c></row>", "", false, true},
		{"bytes that are not UTF-8", "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>\xff\xfe</t></is></c></row>", "", false, true},
		{"an extension inside a cell", `<row r="1"><c r="A1"><v>1</v><extLst><ext uri="x"/></extLst></c></row>`, "", false, false},
		{"a second value in a cell", `<row r="1"><c r="A1"><v>1</v><v>2</v></c></row>`, "", false, false},
		{"a row past the last Excel row", `<row r="1"><c r="A1"><v>1</v></c></row><row r="1048577"><c r="A1048577"><v>1</v></c></row>`, "", false, false},
		{"a mismatched end tag", `<row r="1"><c r="A1"><v>1</v></x></row>`, "", false, true},
		{"the sheet cut off", "", "", false, true},
		{"a DOCTYPE", "", "", false, true},
		{"a row after the sheet's data", "", "", false, true},
		{"a negative row number after a row", `<row r="1"><c r="A1"><v>1</v></c></row><row r="-1"><c r="A2"><v>2</v></c></row>`, "", false, true},
		{"a negative row number first", `<row r="-1"><c r="A1"><v>1</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>`, "", false, true},
		{"a row inside a row", `<row r="1"><c r="A1"><v>1</v></c><row r="2"><c r="A2"><v>2</v></c></row></row><row r="3"><c r="A3"><v>3</v></c></row>`, "", false, true},
		{"a comment, then a control character further down", "<row r=\"1\"><!-- x --><c r=\"A1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>a\x0bb</t></is></c></row>", "", false, true},
		{"shared strings in Strict OOXML", `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`, `<sst xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"><si><t>x</t></si></sst>`, true, false},
		{"shared strings that do not parse", `<row r="1"><c r="A1" t="s"><v>0</v></c></row>`, `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>x</si></sst>`, false, true},
		{"a sheet in another encoding", "", "", false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			xml := sheetHead + c.rows + sheetTail
			if whole, ok := wholeSheets[c.name]; ok {
				xml = whole
			}
			p := workbookWith(t, xml, c.sst)
			fast, total, invalid := compareSheetsWith(t, p, 1<<21, excelize.Options{RawCellValue: true})
			if total != 1 {
				t.Fatalf("read %d sheets", total)
			}
			if (fast == 1) != c.fast || (invalid == 1) != c.invalid {
				t.Errorf("fast reader alone: %v, invalid: %v; want %v, %v", fast == 1, invalid == 1, c.fast, c.invalid)
			}
		})
	}
}

// TestFastReaderStreamsLargeSheets: a sheet above UnzipXMLSizeLimit, which
// excelize keeps in a temporary file, is streamed from the zip, and its rows
// are still excelize's.
func TestFastReaderStreamsLargeSheets(t *testing.T) {
	var b strings.Builder
	b.WriteString(sheetHead)
	for r := 1; r <= 30000; r++ {
		b.WriteString(`<row r="` + strconv.Itoa(r) + `"><c r="A` + strconv.Itoa(r) + `" t="inlineStr"><is><t>Đảng viên số ` + strconv.Itoa(r) + `</t></is></c><c r="B` + strconv.Itoa(r) + `"><v>` + strconv.Itoa(r*7) + `</v></c></row>`)
	}
	b.WriteString(sheetTail)
	p := workbookWith(t, b.String(), "")
	f, err := excelize.OpenFile(p, excelize.Options{RawCellValue: true, UnzipXMLSizeLimit: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	wb := &workbookFast{path: p, f: f}
	defer wb.close()
	ex, _ := f.Rows("Sheet1")
	ref, _ := f.Rows("Sheet1")
	it := newFastRows(wb, "Sheet1", ex)
	if it.sc.src == nil {
		t.Fatal("the sheet was in memory: the test does not test streaming")
	}
	n := 0
	for it.Next() {
		if !ref.Next() {
			t.Fatal("excelize ended first")
		}
		a, _ := it.Columns()
		c, _ := ref.Columns()
		if !slices.Equal(a, c) {
			t.Fatalf("row %d: %q, excelize %q", n+1, a, c)
		}
		n++
	}
	if ref.Next() || n != 30000 || it.FellBack() {
		t.Fatalf("read %d rows (fell back: %v)", n, it.FellBack())
	}
}

// TestFastReaderLargeSharedStrings: a shared string table above
// UnzipXMLSizeLimit, which excelize reads from a temporary file its own way,
// is left to excelize — and the rows are still excelize's.
func TestFastReaderLargeSharedStrings(t *testing.T) {
	var sst, rows strings.Builder
	sst.WriteString(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`)
	for i := 0; i < 30000; i++ {
		sst.WriteString(`<si><t>Đảng viên số ` + strconv.Itoa(i) + `</t></si>`)
	}
	sst.WriteString(`</sst>`)
	for r := 1; r <= 50; r++ {
		rows.WriteString(`<row r="` + strconv.Itoa(r) + `"><c r="A` + strconv.Itoa(r) + `" t="s"><v>` + strconv.Itoa(r*500) + `</v></c></row>`)
	}
	p := workbookWith(t, sheetHead+rows.String()+sheetTail, sst.String())
	fast, total, _ := compareSheetsWith(t, p, 100, excelize.Options{RawCellValue: true, UnzipXMLSizeLimit: 1 << 20})
	if total != 1 || fast != 0 {
		t.Fatalf("read %d sheets, %d by the fast reader alone; want 1, handed to excelize", total, fast)
	}
}

// FuzzSheetXML: any bytes in the rows of a sheet; the fast reader, with its
// fallback, must return exactly what excelize returns — up to XML no reader
// accepts, which it must report (a *RowError, or the sheet's error) where
// encoding/xml refuses the sheet too.
func FuzzSheetXML(f *testing.F) {
	for _, seed := range []string{
		`<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Chi bộ</t></is></c></row>`,
		`<row r="2"><c r="C2"><f>1+1</f><v>2</v></c></row><row r="4"/>`,
		`<row r="1"><c><v>1</v></c><c r="E1" t="inlineStr"><is><r><rPr><b/></rPr><t>a</t></r><r><t>b</t></r></is></c></row>`,
		"<row r=\"1\"><c r=\"A1\" t=\"str\"><v>&lt;&#x41;&amp;\r\n_x000D_</v></c></row>",
		`<row r="3"><c r="A3"><v>3</v></c></row><row r="2"><c r="A2"><v>2</v></c></row>`,
		"<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a\x0bb</t></is></c><c r=\"B1\"><v>1</v></c></row><row r=\"2\"><c r=\"A2\"><v>&nbsp;</v></c></row><row r=\"3\"><c r=\"A3\"><v>3</v></c></row>",
		// the shapes quickCell reads, and near misses it leaves to the tokenizer
		`<row r="1"><c r="A1" s="2" t="inlineStr"><is><t>_x000D_a&amp;b</t></is></c><c t="s" r="C1"><v> 1 </v></c><c r="D1" s="1"/><c r="E1" t="inlineStr"></c><c r="F1" s="3"><v>45000</v></c></row>`,
		`<row r="1"><c r="A1" t="inlineStr"><v>x</v></c><c r="B1"  s="1"><v>2</v></c><c r="C1" s="0000001"><v>3</v></c><c r="D1" t="e"><v>#N/A</v></c><c r="e1"><v>5</v></c></row >`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rows string) {
		p := workbookWith(t, sheetHead+rows+sheetTail, testSST)
		// the fuzzing engine has no time limit per input: a reader that
		// never ends must crash the worker, so the input is reported
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("no end after 20 s: %q", rows)) })
		defer watchdog.Stop()
		compareSheets(t, p, 300)
	})
}

// FuzzSharedStrings: any bytes as one string of the shared string table. When
// excelize refuses the table, the cells using a string XML refuses are each a
// *RowError and the others read as they are; otherwise the rows are excelize's.
func FuzzSharedStrings(f *testing.F) {
	for _, seed := range []string{
		`<si><t>Chi bộ</t></si>`,
		"<si><t>a\x0bb</t></si>",
		`<si><t>a&nbsp;b</t></si>`,
		`<si><r><t>x</t></r><r><t xml:space="preserve"> y</t></r></si>`,
		`<si><t>x</si>`,
		`<si/>`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, si string) {
		sst := strings.Replace(testSST, `<si><t>Mã đơn vị</t></si>`, si, 1)
		rows := `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row><row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c><c r="C2" t="s"><v>4</v></c></row>`
		p := workbookWith(t, sheetHead+rows+sheetTail, sst)
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("no end after 20 s: %q", si)) })
		defer watchdog.Stop()
		compareSheets(t, p, 10)
	})
}

// TestQuickCellShapes: the cell shapes spreadsheet programs write most are read
// without the tokenizer, to the cell the tokenizer gives; any other shape is
// left unread for it. (FuzzSheetXML and the differential tests compare what
// both read with excelize.)
func TestQuickCellShapes(t *testing.T) {
	for _, tc := range []struct {
		xml  string
		want cellXML // col, style, typ, v / is.T as the tokenizer's path reads them
		ok   bool
	}{
		{`<c r="B6" t="inlineStr"><is><t>Vũ Thanh Linh</t></is></c>`, cellXML{col: 2, typ: "inlineStr", hasIS: true, is: fastSI{T: "Vũ Thanh Linh", hasT: true}}, true},
		{`<c r="C6" s="1"><v>37459</v></c>`, cellXML{col: 3, style: 1, v: "37459", hasV: true}, true},
		{`<c t="s" s="12" r="AB10"><v>4</v></c>`, cellXML{col: 28, style: 12, typ: "s", v: "4", hasV: true}, true},
		{`<c r="A1" t="str"><v>a &lt; b&#x0D;</v></c>`, cellXML{col: 1, typ: "str", v: "a < b\r", hasV: true}, true},
		{`<c r="D1" s="5"/>`, cellXML{col: 4, style: 5}, true},
		{`<c r="E1" t="inlineStr"></c>`, cellXML{col: 5, typ: "inlineStr"}, true},
		{`<c><v>1</v></c>`, cellXML{v: "1", hasV: true}, true},
		{`<c r="A1"><f>1+1</f><v>2</v></c>`, cellXML{}, false}, // a formula
		{`<c r="A1" t="inlineStr"><is><t xml:space="preserve"> a</t></is></c>`, cellXML{}, false},
		{`<c r="A1" t="inlineStr"><v>x</v></c>`, cellXML{}, false},  // <v> on an inline string
		{`<c r="A1"  s="1"><v>2</v></c>`, cellXML{}, false},         // two spaces
		{`<c r="A1" s="1234567"><v>2</v></c>`, cellXML{}, false},    // a style past 6 digits
		{`<c r="a1"><v>2</v></c>`, cellXML{}, false},                // a reference excelize reads its own way
		{`<c r="A1" t="e"><v>#N/A</v></c>`, cellXML{}, false},       // an unusual type
		{`<c r="A1" r="B1"><v>2</v></c>`, cellXML{}, false},         // r twice
		{`<c r="A1"><v>a` + "\x0b" + `b</v></c>`, cellXML{}, false}, // text XML refuses
		{`<c r="A1"><v>2</v> </c>`, cellXML{}, false},               // text between the tags
		{`<c r="A1"><v>2</v></c >`, cellXML{}, false},
		{`<cx r="A1"/>`, cellXML{}, false},
	} {
		sc := scanner{buf: []byte(tc.xml + `</row>`), eof: true}
		var c cellXML
		ok := sc.quickCell(&c)
		if ok != tc.ok {
			t.Errorf("%s: read quickly %v, want %v", tc.xml, ok, tc.ok)
			continue
		}
		if !ok {
			if sc.pos != 0 {
				t.Errorf("%s: left unread, but %d bytes were taken", tc.xml, sc.pos)
			}
			continue
		}
		if !reflect.DeepEqual(c, tc.want) {
			t.Errorf("%s: read %+v, want %+v", tc.xml, c, tc.want)
		}
		if rest := string(sc.buf[sc.pos:]); rest != `</row>` {
			t.Errorf("%s: read up to %q, want the cell's end", tc.xml, rest)
		}
	}
}

// TestQuickCellsAgreeOnRealWorkbooks: every cell of every worksheet in the
// workbooks other programs wrote (testdata: LibreOffice's, Excel's, openpyxl's,
// and the public corpora's), read at its own tag both ways: where quickCell
// takes a cell, the tokenizer's path must read the same cell and end at the
// same byte. The quick path must also be the one most of their cells take,
// or the speed it was built for is not there on real files.
func TestQuickCellsAgreeOnRealWorkbooks(t *testing.T) {
	var files []string
	filepath.WalkDir("../testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".xlsx") && !strings.Contains(p, "excelize-") {
			files = append(files, p)
		}
		return nil
	})
	quick, total := map[string]int{}, map[string]int{}
	for _, path := range files {
		author := "openpyxl"
		switch base := filepath.Base(path); {
		case strings.HasPrefix(base, "libreoffice-"):
			author = "LibreOffice"
		case strings.Contains(path, "/excel/"):
			author = "Excel"
		case !strings.Contains(path, "/layouts/"):
			author = "other"
		}
		z, err := zip.OpenReader(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range z.File {
			if !strings.HasPrefix(zf.Name, "xl/worksheets/") || !strings.HasSuffix(zf.Name, ".xml") {
				continue
			}
			rc, _ := zf.Open()
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			for at := 0; ; at++ {
				i := bytes.Index(b[at:], []byte("<c"))
				if i < 0 {
					break
				}
				at += i
				if next := b[at+2]; next != ' ' && next != '>' && next != '/' {
					continue // <col>, <cols>, <cfRule>, …
				}
				total[author]++
				qs := scanner{buf: b[at:], eof: true}
				var qc cellXML
				if !qs.quickCell(&qc) {
					continue
				}
				quick[author]++
				tr := &fastRows{sc: scanner{buf: b[at:], eof: true}}
				var tc cellXML
				tok, err := tr.sc.token()
				if err == nil && tok.local == "c" {
					if err = tc.attrs(tok.attrs); err == nil && tok.kind == tokStart {
						err = tr.cellBody(&tc)
					}
				}
				where := fmt.Sprintf("%s %s at byte %d: %.80q", path, zf.Name, at, b[at:])
				switch {
				case err != nil:
					t.Errorf("%s: read quickly, but the tokenizer fails: %v", where, err)
				case !reflect.DeepEqual(qc, tc):
					t.Errorf("%s: quickly %+v, by the tokenizer %+v", where, qc, tc)
				case qs.pos != tr.sc.pos:
					t.Errorf("%s: quickly to byte %d, by the tokenizer to %d", where, qs.pos, tr.sc.pos)
				}
			}
		}
		z.Close()
	}
	for author, n := range total {
		t.Logf("%s: %d of %d cells read quickly", author, quick[author], n)
	}
	for _, author := range []string{"LibreOffice", "Excel", "openpyxl"} {
		if total[author] == 0 || quick[author]*10 < total[author]*9 {
			t.Errorf("%s's workbooks: %d of %d cells read quickly, want 90%% or more", author, quick[author], total[author])
		}
	}
}
