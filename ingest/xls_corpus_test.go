package ingest

import (
	"archive/zip"
	"errors"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// sameValue puts a value the way each reader gives it into one form:
// numbers as numbers, booleans as Excel stores them in .xlsx, .ods dates and
// times as the serial an .xlsx holds.
func sameValue(v string) string {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		return strconv.FormatFloat(f, 'g', 10, 64)
	}
	if len(v) >= 10 && v[4] == '-' && v[7] == '-' {
		if d, err := time.Parse("2006-01-02", v[:10]); err == nil {
			serial := d.Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
			if len(v) >= 19 {
				if dt, err := time.Parse("2006-01-02T15:04:05", v[:19]); err == nil {
					serial += dt.Sub(d).Seconds() / 86400
				}
			}
			return strconv.FormatFloat(serial, 'g', 10, 64)
		}
	}
	switch strings.ToLower(v) {
	case "true":
		return "1"
	case "false":
		return "0"
	}
	return v
}

// grid is a sheet's rows as a reader gives them to the loader, merges filled.
func grid(it rowIter) [][]string {
	var g [][]string
	for it.Next() {
		c, _ := it.Cells()
		g = append(g, append([]string(nil), c...))
	}
	it.Close()
	return g
}

// corpusSheets reads every sheet of an .xls or .ods file, contract or not.
func corpusSheets(t *testing.T, path string) ([]string, map[string][][]string, error) {
	sheets := map[string][][]string{}
	var names []string
	if strings.HasSuffix(path, ".xls") {
		bk, err := readXLS(path, maxXLSStream)
		if err != nil {
			return nil, nil, err
		}
		for _, sh := range bk.sheets {
			rows, ms, err := bk.sheet(sh.offset, DefaultLimits)
			if err != nil {
				t.Fatalf("%s: %v", sh.name, err)
			}
			names = append(names, sh.name)
			sheets[sh.name] = grid(withMerges(&gridRows{rows: rows}, ms, DefaultLimits.MaxColumns))
		}
		return names, sheets, nil
	}
	if _, err := openODS(path, "", DefaultLimits); err != nil {
		return nil, nil, err
	}
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var content []byte
	for _, f := range zr.File {
		if f.Name == "content.xml" {
			rc, _ := f.Open()
			content, _ = io.ReadAll(rc)
			rc.Close()
		}
	}
	found, err := scanODSSheets(strings.NewReader(string(content)), DefaultLimits.UnzipSize)
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range found {
		names = append(names, sh.name)
		sheets[sh.name] = grid(newODSRows(io.NopCloser(strings.NewReader(string(content[sh.offset:]))), DefaultLimits.UnzipSize, DefaultLimits))
	}
	return names, sheets, nil
}

// TestSpreadsheetCorpus reads .xls and .ods files other programs wrote —
// xlrd's samples (Excel over the years) and calamine's (Excel, LibreOffice,
// Google Sheets, Python writers: repeated and covered cells, merges, rich
// text, annotations, CONTINUE records, 1904 dates, charts) — and requires every
// cell of every sheet to be what LibreOffice reads in them (its .xlsx
// conversion, merges filled the same way). Files orgqa refuses get their reason.
func TestSpreadsheetCorpus(t *testing.T) {
	refused := map[string]string{
		"xlrd/biff4_no_format_no_window2.xls": "quá cũ",
		"calamine/biff5_write.xls":            "Excel 5.0/95",
		"calamine/issue_385.xls":              "có mật khẩu",
		"calamine/pass_protected.ods":         "có mật khẩu",
		"calamine/too_small.xls":              "tệp hỏng",
	}
	var files []string
	for _, pat := range []string{"xlrd/*.xls", "calamine/*.xls", "calamine/*.ods"} {
		m, _ := filepath.Glob(filepath.Join("..", "testdata", pat))
		files = append(files, m...)
	}
	if len(files) < 25 {
		t.Fatalf("%d files in the corpus", len(files))
	}
	for _, p := range files {
		key := filepath.Base(filepath.Dir(p)) + "/" + filepath.Base(p)
		t.Run(key, func(t *testing.T) {
			if want, ok := refused[key]; ok {
				_, err := openReport(Source{Kind: strings.TrimPrefix(filepath.Ext(p), "."), Files: []string{p}}, map[string]string{}, DefaultLimits)
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(fe.Reason, want) {
					t.Fatalf("opened with %v; want it refused with a reason saying %q", err, want)
				}
				return
			}
			names, got, err := corpusSheets(t, p)
			if err != nil {
				t.Fatal(err)
			}
			conv := "libreoffice-" + strings.ReplaceAll(filepath.Base(p), ".", "_") + ".xlsx"
			if strings.HasPrefix(key, "xlrd/") {
				conv = "libreoffice-" + strings.TrimSuffix(filepath.Base(p), ".xls") + ".xlsx"
			}
			x, err := excelize.OpenFile(filepath.Join(filepath.Dir(p), conv))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			cells := 0
			for _, name := range names {
				rows, err := x.GetRows(name, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatalf("sheet %q: %v", name, err)
				}
				var ms []mergeRange
				mc, _ := x.GetMergeCells(name)
				for _, c := range mc {
					if m, ok := parseRange(c.GetStartAxis() + ":" + c.GetEndAxis()); ok {
						ms = append(ms, m)
					}
				}
				want := grid(withMerges(&gridRows{rows: rows}, ms, DefaultLimits.MaxColumns))
				a := got[name]
				for r := 0; r < max(len(a), len(want)); r++ {
					var ra, rb []string
					if r < len(a) {
						ra = a[r]
					}
					if r < len(want) {
						rb = want[r]
					}
					for c := 0; c < max(len(ra), len(rb)); c++ {
						var va, vb string
						if c < len(ra) {
							va = ra[c]
						}
						if c < len(rb) {
							vb = rb[c]
						}
						if va != "" || vb != "" {
							cells++
						}
						if sameValue(va) != sameValue(vb) {
							t.Errorf("%s!%s: %q, LibreOffice %q", name, cellName(r, c), va, vb)
						}
					}
				}
			}
			if cells == 0 {
				t.Error("no cell read")
			}
		})
	}
}
