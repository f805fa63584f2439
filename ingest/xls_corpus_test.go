package ingest

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestXLSCorpus reads .xls files other programs wrote (xlrd's samples) with
// the BIFF8 reader and requires every cell of every sheet to be what
// LibreOffice reads in them: the values Excel cached, numbers compared as
// numbers, booleans as Excel stores them in .xlsx.
func TestXLSCorpus(t *testing.T) {
	same := func(v string) string {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return strconv.FormatFloat(f, 'g', 12, 64)
		}
		switch v {
		case "TRUE":
			return "1"
		case "FALSE":
			return "0"
		}
		return v
	}
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "xlrd", "*.xls"))
	if len(files) < 8 {
		t.Fatalf("%d samples in testdata/xlrd", len(files))
	}
	for _, p := range files {
		name := strings.TrimSuffix(filepath.Base(p), ".xls")
		t.Run(name, func(t *testing.T) {
			bk, err := readXLS(p, maxXLSStream)
			if name == "biff4_no_format_no_window2" {
				var fe *FileError
				if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "quá cũ") {
					t.Fatalf("an Excel 4.0 file read as %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			x, err := excelize.OpenFile(filepath.Join("..", "testdata", "xlrd", "libreoffice-"+name+".xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if len(bk.sheets) != len(x.GetSheetList()) {
				t.Fatalf("%d sheets, LibreOffice %d", len(bk.sheets), len(x.GetSheetList()))
			}
			cells := 0
			for i, sh := range bk.sheets {
				if want := x.GetSheetName(i); sh.name != want {
					t.Errorf("sheet %d is %q, LibreOffice %q", i, sh.name, want)
				}
				rows, _, err := bk.sheet(sh.offset, DefaultLimits)
				if err != nil {
					t.Fatal(err)
				}
				ref, err := x.GetRows(sh.name, excelize.Options{RawCellValue: true})
				if err != nil {
					t.Fatal(err)
				}
				for r := 0; r < max(len(rows), len(ref)); r++ {
					var a, b []string
					if r < len(rows) {
						a = rows[r]
					}
					if r < len(ref) {
						b = ref[r]
					}
					for c := 0; c < max(len(a), len(b)); c++ {
						var va, vb string
						if c < len(a) {
							va = a[c]
						}
						if c < len(b) {
							vb = b[c]
						}
						if va != "" || vb != "" {
							cells++
						}
						if same(va) != same(vb) {
							t.Errorf("%s!%s: %q, LibreOffice %q", sh.name, cellName(r, c), va, vb)
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
