package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestStreamedSheetEqualsInMemory writes the organization sheet's layout
// both ways — excelize's in-memory API (writeInMemory, below: the way every
// report sheet was written before the StreamWriter) and its StreamWriter
// (sheetWriter.write, as every report sheet with grouped headers is written now) — and reads
// both back from disk: every cell's value and full style, row heights, column
// widths, merges, panes, conditional formats, filter, page setup and print
// titles must be the same.
func TestStreamedSheetEqualsInMemory(t *testing.T) {
	cols, err := orgColumns()
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]any
	for i := 0; i < 40; i++ {
		vals := []any{i + 1, "Đảng bộ xã Số " + fmt.Sprint(i%3), fmt.Sprintf("07%04d", i), "Chi bộ thôn " + fmt.Sprint(i)}
		for k := 4; k < len(cols); k++ {
			switch c := cols[k]; {
			case (i+k)%7 == 0:
				vals = append(vals, nil)
			case c.format == fmtYesNo:
				vals = append(vals, []string{"Có", "Chưa"}[i%2])
			case c.format == fmtRating:
				vals = append(vals, []string{"HTXS", "HTT", "HT", "KHT"}[i%4])
			default:
				vals = append(vals, float64(i*k)/37)
			}
		}
		rows = append(rows, vals)
	}
	total := append([]any{nil, nil, nil, "Toàn tỉnh"}, rows[0][4:]...)
	dir := t.TempDir()
	var dumps []string
	for _, stream := range []bool{false, true} {
		f := excelize.NewFile()
		st, err := newStyles(f)
		if err != nil {
			t.Fatal(err)
		}
		const sh = "Tổ chức cơ sở đảng"
		f.SetSheetName("Sheet1", sh)
		w := &sheetWriter{f: f, sheet: sh, st: st, cols: cols}
		write := func(title, subtitle string, rows [][]any, total []any) error {
			return writeInMemory(w, title, subtitle, rows, total)
		}
		if stream {
			write = w.write
		}
		if err := write("TỔ CHỨC CƠ SỞ ĐẢNG NĂM 2025", "Tỉnh: 2 đơn vị", rows, total); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("stream-%v.xlsx", stream))
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		f.Close()
		dumps = append(dumps, dumpSheet(t, p, sh, len(cols), firstData+len(rows)))
	}
	if dumps[0] != dumps[1] {
		a, b := strings.Split(dumps[0], "\n"), strings.Split(dumps[1], "\n")
		for i := range min(len(a), len(b)) {
			if a[i] != b[i] {
				t.Fatalf("streamed sheet differs at line %d:\n in memory: %s\n streamed:  %s", i+1, a[i], b[i])
			}
		}
		t.Fatalf("streamed sheet differs: %d lines against %d", len(a), len(b))
	}
}

// dumpSheet is what a reader of the sheet sees, as text.
func dumpSheet(t *testing.T, path, sh string, ncols, nrows int) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	dim, _ := f.GetSheetDimension(sh)
	panes, _ := f.GetPanes(sh)
	fmt.Fprintf(&b, "dimension %s\npanes %+v\n", dim, panes)
	merged, _ := f.GetMergeCells(sh)
	var ms []string
	for _, m := range merged {
		ms = append(ms, m.GetStartAxis()+":"+m.GetEndAxis()+"="+m.GetCellValue())
	}
	sort.Strings(ms)
	fmt.Fprintf(&b, "merged %s\n", strings.Join(ms, " "))
	cfs, _ := f.GetConditionalFormats(sh)
	var cs []string
	for rng, opts := range cfs {
		for _, o := range opts {
			cs = append(cs, rng+"="+deref(o))
		}
	}
	sort.Strings(cs)
	fmt.Fprintf(&b, "conditional %s\n", strings.Join(cs, " "))
	for _, dn := range f.GetDefinedName() {
		fmt.Fprintf(&b, "defined name %+v\n", dn)
	}
	layout, _ := f.GetPageLayout(sh)
	props, _ := f.GetSheetProps(sh)
	hf, _ := f.GetHeaderFooter(sh)
	fmt.Fprintf(&b, "page layout %s\nsheet props fit %v\nfooter %q\n", deref(layout), *props.FitToPage, hf.OddFooter)
	for c := 1; c <= ncols; c++ {
		name, _ := excelize.ColumnNumberToName(c)
		wd, _ := f.GetColWidth(sh, name)
		fmt.Fprintf(&b, "width %s %.2f\n", name, wd)
	}
	for r := 1; r <= nrows; r++ {
		h, _ := f.GetRowHeight(sh, r)
		fmt.Fprintf(&b, "row %d height %.2f\n", r, h)
		for c := 1; c <= ncols; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r)
			v, _ := f.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
			id, _ := f.GetCellStyle(sh, cell)
			style, _ := f.GetStyle(id)
			fmt.Fprintf(&b, "%s %q %s\n", cell, v, deref(style))
		}
	}
	return b.String()
}

// deref prints a value with what its pointers point to.
func deref(x any) string {
	b, err := json.Marshal(x)
	if err != nil {
		return fmt.Sprintf("%+v", x)
	}
	return string(b)
}

// TestWorkbookReadableByOthers: a workbook is written to a temporary file and
// renamed; it must end readable as the Parquet files are (0644), not 0600.
func TestWorkbookReadableByOthers(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	p := filepath.Join(t.TempDir(), "w.xlsx")
	if err := saveAtomic(f, p); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o644 {
		t.Errorf("workbook mode %v, want -rw-r--r--", st.Mode().Perm())
	}
}

// writeInMemory lays out a report sheet through excelize's normal API, cell
// by cell: the reference sheetWriter.write is held to.
func writeInMemory(w *sheetWriter, title, subtitle string, rows [][]any, total []any) error {
	f, sh, st := w.f, w.sheet, w.st
	last, _ := excelize.ColumnNumberToName(len(w.cols))
	cell := func(col, row int) string {
		name, _ := excelize.CoordinatesToCellName(col, row)
		return name
	}
	steps := []func() error{
		func() error { return f.SetCellStr(sh, "A1", title) },
		func() error { return f.MergeCell(sh, "A1", last+"1") },
		func() error { return f.SetCellStyle(sh, "A1", last+"1", st.title) },
		func() error { return f.SetRowHeight(sh, 1, 24) },
		func() error { return f.SetCellStr(sh, "A2", subtitle) },
		func() error { return f.MergeCell(sh, "A2", last+"2") },
		func() error { return f.SetCellStyle(sh, "A2", last+"2", st.subtitle) },
		func() error { return f.SetRowHeight(sh, headerRow, 66) },
		func() error { return f.SetRowHeight(sh, groupRow, 20) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	// headers: a column without a group spans both header rows
	for i := 0; i < len(w.cols); {
		c := w.cols[i]
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, col, col, c.width); err != nil {
			return err
		}
		if c.group == "" {
			if err := f.SetCellStr(sh, cell(i+1, groupRow), c.header); err != nil {
				return err
			}
			if err := f.MergeCell(sh, cell(i+1, groupRow), cell(i+1, headerRow)); err != nil {
				return err
			}
			if err := f.SetCellStyle(sh, cell(i+1, groupRow), cell(i+1, headerRow), st.header); err != nil {
				return err
			}
			i++
			continue
		}
		j := i
		for j < len(w.cols) && w.cols[j].group == c.group {
			if err := f.SetCellStr(sh, cell(j+1, headerRow), w.cols[j].header); err != nil {
				return err
			}
			col, _ := excelize.ColumnNumberToName(j + 1)
			if err := f.SetColWidth(sh, col, col, w.cols[j].width); err != nil {
				return err
			}
			j++
		}
		if err := f.SetCellStr(sh, cell(i+1, groupRow), c.group); err != nil {
			return err
		}
		if j-i > 1 {
			if err := f.MergeCell(sh, cell(i+1, groupRow), cell(j, groupRow)); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(sh, cell(i+1, groupRow), cell(j, groupRow), st.group); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cell(i+1, headerRow), cell(j, headerRow), st.header); err != nil {
			return err
		}
		i = j
	}
	put := func(r int, vals []any, styleOf func(cellFormat) int) error {
		if err := f.SetSheetRow(sh, cell(1, r), &vals); err != nil {
			return err
		}
		for i, c := range w.cols {
			s := styleOf(c.format)
			if i == 0 && c.metric == "" {
				s = styleOf(fmtYesNo) // STT, centred
			}
			if err := f.SetCellStyle(sh, cell(i+1, r), cell(i+1, r), s); err != nil {
				return err
			}
		}
		return nil
	}
	for k, vals := range rows {
		if err := put(firstData+k, vals, func(cf cellFormat) int { return st.byFormat[cf] }); err != nil {
			return err
		}
	}
	lastRow := firstData + len(rows) - 1
	if total != nil {
		lastRow++
		if err := put(lastRow, total, func(cf cellFormat) int { return st.totalByFormat[cf] }); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sh, w.panes()); err != nil {
		return err
	}
	return w.sheetSettings(len(rows), lastRow)
}
