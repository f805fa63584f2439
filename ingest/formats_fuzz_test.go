package ingest

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/richardlehane/mscfb"
)

// fuzzLimits keep a fuzzed input's rows and columns small.
var fuzzLimits = Limits{UnzipSize: 1 << 24, MaxColumns: 64, MaxRows: 2000}

// readAll reads every row of it, as the loader would, and checks the limits.
func readAll(t *testing.T, it rowIter, lim Limits) [][]string {
	var rows [][]string
	for it.Next() {
		if len(rows) > lim.MaxRows+1 {
			break // the loader stops here
		}
		c, err := it.Cells()
		if err != nil {
			continue
		}
		if len(c) > lim.MaxColumns {
			t.Fatalf("a row of %d cells passed a limit of %d", len(c), lim.MaxColumns)
		}
		rows = append(rows, append([]string(nil), c...))
	}
	it.Close()
	return rows
}

// FuzzODSContent: any text as the rows of an .ods table. The reader ends,
// never panics, keeps to the limits, and reads a round-trip grid exactly.
func FuzzODSContent(f *testing.F) {
	for _, seed := range []string{
		`<table:table-row><table:table-cell office:value-type="string"><text:p>Mã đơn vị</text:p></table:table-cell></table:table-row>`,
		`<table:table-row table:number-rows-repeated="3"><table:table-cell table:number-columns-repeated="2" office:value-type="float" office:value="701"><text:p>0701</text:p></table:table-cell></table:table-row>`,
		`<table:table-row><table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="2" office:value-type="string"><text:p>Vắng</text:p></table:table-cell><table:covered-table-cell/></table:table-row><table:table-row><table:covered-table-cell/><table:table-cell office:value-type="date" office:date-value="2025-05-07"/></table:table-row>`,
		`<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>`,
		`<table:table-row><table:table-cell><text:p>a<text:s text:c="3"/>b<text:tab/>c</text:p><text:p>d</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell></table:table-row>`,
		`<table:table-row><table:table-cell table:formula="of:=1+1"/></table:table-row>`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, rows string) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("no end after 20 s: %q", rows)) })
		defer watchdog.Stop()
		content := `<office:document-content><office:body><office:spreadsheet><table:table table:name="DangVien">` + rows +
			`</table:table><table:table table:name="Khác"/></office:spreadsheet></office:body></office:document-content>`
		sheets, err := scanODSSheets(strings.NewReader(content), fuzzLimits.UnzipSize)
		if err != nil || len(sheets) == 0 {
			return
		}
		it := newODSRows(io.NopCloser(strings.NewReader(content[sheets[0].offset:])), fuzzLimits.UnzipSize, fuzzLimits)
		first := readAll(t, it, fuzzLimits)
		again := readAll(t, newODSRows(io.NopCloser(strings.NewReader(content[sheets[0].offset:])), fuzzLimits.UnzipSize, fuzzLimits), fuzzLimits)
		if fmt.Sprint(first) != fmt.Sprint(again) {
			t.Fatal("two readings of the same table differ")
		}
	})
}

// TestODSRoundTrip writes grids as .ods tables, repeats and spans included,
// and reads them back exactly.
func TestODSRoundTrip(t *testing.T) {
	xml := `<table:table table:name="S">` +
		`<table:table-column table:number-columns-repeated="5"/>` +
		`<table:table-row><table:table-cell table:number-columns-spanned="2" office:value-type="string"><text:p>Vắng</text:p></table:table-cell><table:covered-table-cell/><table:table-cell office:value-type="string"><text:p>Mã</text:p></table:table-cell></table:table-row>` +
		`<table:table-row table:number-rows-repeated="2"><table:table-cell/></table:table-row>` +
		`<table:table-row><table:table-cell table:number-columns-repeated="2"/><table:table-cell office:value-type="float" office:value="701"><text:p>0701</text:p></table:table-cell><table:table-cell office:value-type="float" office:value="0.855"><text:p>85,5%</text:p></table:table-cell></table:table-row>` +
		`<table:table-row table:number-rows-repeated="2"><table:table-cell office:value-type="date" office:date-value="2025-05-07T00:00:00"><text:p>07/05/2025</text:p></table:table-cell><table:table-cell office:value-type="boolean" office:boolean-value="true"/><table:table-cell table:number-rows-spanned="2" office:value-type="string"><text:p>a &amp; b</text:p><text:p>c<text:s text:c="2"/>d</text:p></table:table-cell></table:table-row>` +
		`<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row>` +
		`</table:table>`
	got := readAll(t, newODSRows(io.NopCloser(strings.NewReader(xml)), 1<<20, DefaultLimits), DefaultLimits)
	want := [][]string{
		{"Vắng", "Vắng", "Mã"},
		nil, nil,
		{"", "", "0701", "0.855"},
		{"2025-05-07T00:00:00", "true", "a & b\nc  d"},
		{"2025-05-07T00:00:00", "true", "a & b\nc  d"},
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("read\n%q\nwant\n%q", got, want)
	}
}

// xlsWorkbookStream is the Workbook stream of the .xls LibreOffice saved.
func xlsWorkbookStream(t testing.TB) []byte {
	f, err := os.Open(filepath.Join("..", "testdata", "layouts", "libreoffice-all.xls"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := mscfb.New(f)
	if err != nil {
		t.Fatal(err)
	}
	for e, err := doc.Next(); err == nil; e, err = doc.Next() {
		if e.Name == "Workbook" {
			b, err := io.ReadAll(e)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
	}
	t.Fatal("no Workbook stream")
	return nil
}

// FuzzXLSRecords: any bytes as a BIFF8 Workbook stream (seeded with the one
// LibreOffice wrote, and cut and altered copies of it). The reader ends, never
// panics and keeps to the limits.
func FuzzXLSRecords(f *testing.F) {
	stream := xlsWorkbookStream(f)
	f.Add(stream)
	f.Add(stream[:len(stream)/2])
	mangled := bytes.Clone(stream)
	for i := 100; i < len(mangled); i += 997 {
		mangled[i] ^= 0x5A
	}
	f.Add(mangled)
	f.Fuzz(func(t *testing.T, data []byte) {
		watchdog := time.AfterFunc(20*time.Second, func() { panic("no end after 20 s") })
		defer watchdog.Stop()
		bk := &xlsBook{data: data, formats: map[int]string{}}
		if err := bk.globals(); err != nil {
			return
		}
		for _, sh := range bk.sheets {
			rows, merges, err := bk.sheet(sh.offset, fuzzLimits)
			if err != nil {
				continue
			}
			readAll(t, withMerges(&gridRows{rows: rows}, merges, fuzzLimits.MaxColumns), fuzzLimits)
		}
	})
}
