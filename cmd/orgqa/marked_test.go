package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
	"orgqa/internal/xlsxpatch"
)

// TestMarkedReturn: a unit's workbook with known problems (a member in a cell
// DonVi lacks, more present than members, a formula-looking member code) comes
// back as its own workbook: each offending cell filled red with a comment
// giving the reason, a first sheet listing the problems with links, and every
// other cell, formula and sheet of the unit's file as it was.
func TestMarkedReturn(t *testing.T) {
	in, out, wh, bad := smallProvince(t, func(rep *gen.Report) {
		rep.Members[3].CellCode = "9999"
		rep.Meetings[2].Present = rep.Meetings[2].Members + 5
		rep.Letters[0].MemberCode = "=1+1"
	}, (*gen.Report).WriteXLSX)
	// the unit's own additions: a sheet of notes with a formula, a formula beside the members
	f, err := excelize.OpenFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	f.NewSheet("Ghi chú riêng")
	f.SetCellStr("Ghi chú riêng", "A1", "Số đảng viên")
	f.SetCellFormula("Ghi chú riêng", "B1", "COUNTA(DangVien!A:A)-1")
	f.SetCellFormula("DangVien", "M2", "LEN(A2)")
	if err := f.Save(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	marked := filepath.Join(out, "excel", "latest", "tra-lai", "2025", "danh-dau-0101-2025.xlsx")
	if !strings.Contains(stdout, marked) {
		t.Fatalf("stdout does not name the marked copy %s:\n%s", marked, stdout)
	}
	db := openWarehouse(t, wh)
	rejects := queryRows(t, db, `SELECT source_sheet, column_letter || source_row, reason FROM rejects ORDER BY ALL`)
	if len(rejects) < 4 {
		t.Fatalf("rejects %v", rejects)
	}
	orig, err := excelize.OpenFile(bad)
	if err != nil {
		t.Fatal(err)
	}
	defer orig.Close()
	m, err := excelize.OpenFile(marked)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if sheets := m.GetSheetList(); sheets[0] != "Lỗi cần sửa" || strings.Join(sheets[1:], ",") != strings.Join(orig.GetSheetList(), ",") {
		t.Errorf("sheets %v: the list first, then the unit's own %v", sheets, orig.GetSheetList())
	}
	offending := map[string]bool{}
	for _, r := range rejects {
		parts := strings.SplitN(r, "\t", 3)
		sheet, cell, reason := parts[0], parts[1], parts[2]
		offending[sheet+"!"+cell] = true
		id, _ := m.GetCellStyle(sheet, cell)
		st, _ := m.GetStyle(id)
		if st == nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != "FFC7CE" {
			t.Errorf("%s!%s is not filled red: %+v", sheet, cell, st)
		}
		found := false
		cs, _ := m.GetComments(sheet)
		for _, c := range cs {
			text := c.Text
			for _, p := range c.Paragraph {
				text += p.Text
			}
			if c.Cell == cell && strings.Contains(text, reason) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s!%s has no comment saying %q", sheet, cell, reason)
		}
		// the list links to it
		list, _ := m.GetRows("Lỗi cần sửa")
		linked := false
		for i, row := range list {
			if len(row) > 2 && row[1] == cell && row[2] == sheet {
				ok, target, _ := m.GetCellHyperLink("Lỗi cần sửa", fmt.Sprintf("B%d", i+1))
				linked = ok && strings.HasSuffix(target, "!"+cell)
			}
		}
		if !linked {
			t.Errorf("the list has no link to %s!%s", sheet, cell)
		}
	}
	// everything else as the unit wrote it: values, formulas, the number formats of marked cells
	for _, sheet := range orig.GetSheetList() {
		a, _ := orig.GetRows(sheet, excelize.Options{RawCellValue: true})
		b, _ := m.GetRows(sheet, excelize.Options{RawCellValue: true})
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("sheet %s's cells changed", sheet)
		}
		for r, row := range a {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				fa, _ := orig.GetCellFormula(sheet, cell)
				fb, _ := m.GetCellFormula(sheet, cell)
				if fa != fb {
					t.Errorf("%s!%s: formula %q became %q", sheet, cell, fa, fb)
				}
				sa, _ := orig.GetCellStyle(sheet, cell)
				sb, _ := m.GetCellStyle(sheet, cell)
				if offending[sheet+"!"+cell] {
					stA, _ := orig.GetStyle(sa)
					stB, _ := m.GetStyle(sb)
					if stA != nil && stB != nil && stA.NumFmt != stB.NumFmt {
						t.Errorf("%s!%s lost its number format", sheet, cell)
					}
				} else if sa != sb {
					t.Errorf("%s!%s's style changed (%d → %d) though it has no problem", sheet, cell, sa, sb)
				}
			}
		}
	}
	if f, _ := m.GetCellFormula("Ghi chú riêng", "B1"); f != "COUNTA(DangVien!A:A)-1" {
		t.Errorf("the unit's own sheet lost its formula: %q", f)
	}
	// the formula-looking value is text in the list, never a formula
	list, _ := m.GetRows("Lỗi cần sửa")
	for i, row := range list {
		for c, v := range row {
			if v == "=1+1" {
				cell, _ := excelize.CoordinatesToCellName(c+1, i+1)
				if f, _ := m.GetCellFormula("Lỗi cần sửa", cell); f != "" {
					t.Errorf("%s holds a formula from the unit's file", cell)
				}
			}
		}
	}
}

// TestMarkedReturnOfALibreOfficeFile: the unit's workbook as LibreOffice saved
// it (testdata/libreoffice; its strings in a shared string table), with a
// vertical tab pasted into one member's name. Rows read are what the file
// holds (its DangVien rows, counted here from the sheet) and each is accepted
// or rejected; the marked copy fills that name's cell with a comment, shows
// the character XML forbids as [U+000B] (excelize could not write the file
// with it), and leaves every other cell of LibreOffice's file as it was.
func TestMarkedReturnOfALibreOfficeFile(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	path := filepath.Join(in, "bao-cao-0100-2025.xlsx")
	copyFile(t, filepath.Join("..", "..", "testdata", "libreoffice", "libreoffice-0100-2025.xlsx"), path)
	orig, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := orig.GetRows("DangVien")
	orig.Close()
	// the header row (under LibreOffice's title rows), then the members: the name of the twelfth one
	head, codeCol, nameCol, members := -1, -1, -1, 0
	for i, r := range rows {
		if head < 0 {
			for j, c := range r {
				switch c {
				case "Mã đảng viên":
					head, codeCol = i, j
				case "Họ và tên":
					nameCol = j
				}
			}
			continue
		}
		if len(r) > nameCol && r[codeCol] != "" && r[nameCol] != "" {
			members++
		}
	}
	if head < 0 || members < 20 {
		t.Fatalf("DangVien: header row %d, %d members", head, members)
	}
	name := rows[head+12][nameCol]
	patched := false
	if err := xlsxpatch.Rewrite(path, "xl/sharedStrings.xml", func(b []byte) []byte {
		if strings.Count(string(b), ">"+name+"<") != 1 {
			return b
		}
		patched = true
		return []byte(strings.Replace(string(b), ">"+name+"<", ">"+strings.Replace(name, " ", "\x0b", 1)+"<", 1))
	}); err != nil || !patched {
		t.Fatalf("%q is not once in LibreOffice's shared strings (%v)", name, err)
	}
	code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	if strings.Contains(stderr, "could not be marked") {
		t.Fatalf("no marked copy:\n%s", stderr)
	}
	db := openWarehouse(t, wh)
	var read, accepted, rejected int
	db.QueryRow(`SELECT rows_read, rows_accepted, rows_rejected FROM load_manifest`).Scan(&read, &accepted, &rejected)
	var dvAccepted, dvRejected int
	db.QueryRow(`SELECT (SELECT count(*) FROM members), (SELECT count(DISTINCT source_row) FROM rejects WHERE sheet = 'DangVien')`).Scan(&dvAccepted, &dvRejected)
	if read != accepted+rejected || dvAccepted+dvRejected != members || dvRejected != 1 {
		t.Fatalf("read %d = %d + %d; DangVien %d accepted + %d rejected, the sheet holds %d members, one bad", read, accepted, rejected, dvAccepted, dvRejected, members)
	}
	marked := filepath.Join(out, "excel", "latest", "tra-lai", "2025", "danh-dau-0100-2025.xlsx")
	m, err := excelize.OpenFile(marked)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// the reference: LibreOffice's file before the tab was pasted (excelize
	// cannot read the pasted one: that is the problem being marked)
	o, err := excelize.OpenFile(filepath.Join("..", "..", "testdata", "libreoffice", "libreoffice-0100-2025.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	shown := strings.Replace(name, " ", "[U+000B]", 1)
	offending := map[string]bool{}
	for _, r := range queryRows(t, db, `SELECT source_sheet, column_letter || source_row, reason FROM rejects`) {
		p := strings.SplitN(r, "\t", 3)
		offending[p[0]+"!"+p[1]] = true
		found := false
		cs, _ := m.GetComments(p[0])
		for _, c := range cs {
			text := c.Text
			for _, run := range c.Paragraph {
				text += run.Text
			}
			found = found || c.Cell == p[1] && strings.Contains(text, p[2])
		}
		if !found {
			t.Errorf("%s!%s has no comment saying %q", p[0], p[1], p[2])
		}
		// the fill, as openpyxl reads it (excelize's GetStyle loses the colour of a
		// style it added to LibreOffice's styles; the file itself is right)
		if py := openpyxlPython(); py != "" {
			got, err := exec.Command(py, "-c", `import sys, openpyxl
c = openpyxl.load_workbook(sys.argv[1])[sys.argv[2]][sys.argv[3]]
print(c.fill.patternType, c.fill.fgColor.rgb)`, marked, p[0], p[1]).CombinedOutput()
			if err != nil || strings.TrimSpace(string(got)) != "solid FFFFC7CE" {
				t.Errorf("%s!%s as openpyxl reads it: %s %v", p[0], p[1], got, err)
			}
		}
	}
	if len(offending) == 0 {
		t.Fatal("no offending cell")
	}
	for _, sheet := range o.GetSheetList() {
		a, _ := o.GetRows(sheet, excelize.Options{RawCellValue: true})
		b, _ := m.GetRows(sheet, excelize.Options{RawCellValue: true})
		if strings.ReplaceAll(fmt.Sprint(a), name, shown) != fmt.Sprint(b) {
			t.Errorf("sheet %s's cells changed", sheet)
		}
		for r, row := range a {
			for c := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				sa, _ := o.GetCellStyle(sheet, cell)
				sb, _ := m.GetCellStyle(sheet, cell)
				if !offending[sheet+"!"+cell] && sa != sb {
					t.Errorf("%s!%s's style changed though it has no problem", sheet, cell)
				}
			}
		}
	}
}

// TestMarkedReturnWithinBounds: a report too big to mend cell by cell (more
// problems, or more rows, than a marked copy is made for) gets its list of
// every problem and no marked copy, the log saying why, and the night its
// outputs; a marked copy is made in memory, and a report of a million bad rows
// once kept the report step busy for more than twelve minutes.
func TestMarkedReturnWithinBounds(t *testing.T) {
	for _, tc := range []struct {
		name      string
		bad, good int // members added to the unit's report: in a cell DonVi lacks, and valid
		why       string
	}{
		{"problems", 5_001, 0, "more than 5000 problems"},
		{"rows", 1, 100_001, "more than 100000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, out, wh, _ := smallProvince(t, func(rep *gen.Report) {
				m := rep.Members[0]
				for k := 0; k < tc.bad+tc.good; k++ {
					m.Code = fmt.Sprintf("99%07d", k)
					if k >= tc.good {
						m.CellCode = "9999"
					}
					rep.Members = append(rep.Members, m)
				}
			}, (*gen.Report).WriteXLSX)
			code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
			if code != exitRejected {
				t.Fatalf("run: exit %d\n%s", code, stderr)
			}
			db := openWarehouse(t, wh)
			var rejected int
			db.QueryRow(`SELECT count(*) FROM rejects WHERE sheet = 'DangVien' AND source_file LIKE '%0101%'`).Scan(&rejected)
			if rejected < tc.bad {
				t.Fatalf("%d DangVien rejects, want at least %d", rejected, tc.bad)
			}
			ret := filepath.Join(out, "excel", "latest", "tra-lai", "2025")
			if _, err := os.Stat(filepath.Join(ret, "loi-du-lieu-0101-2025.xlsx")); err != nil {
				t.Errorf("no list for the unit: %v", err)
			}
			if _, err := os.Stat(filepath.Join(ret, "danh-dau-0101-2025.xlsx")); err == nil {
				t.Error("a marked copy was made")
			}
			if !strings.Contains(stderr, "could not be marked") || !strings.Contains(stderr, tc.why) {
				t.Errorf("the log does not say why there is no marked copy (%q):\n%s", tc.why, stderr)
			}
			if _, err := os.Stat(filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx")); err != nil {
				t.Errorf("no leadership workbook: %v", err)
			}
		})
	}
}

// TestCSVReportNotMarkedQuietly: a report sent as a CSV set is of a kind never
// marked, so its unit gets its list, and the log does not warn of a missing
// marked copy.
func TestCSVReportNotMarkedQuietly(t *testing.T) {
	in, out, wh, _ := smallProvince(t, func(rep *gen.Report) { rep.Members[3].CellCode = "9999" },
		func(rep *gen.Report, dir string) (string, error) {
			_, err := rep.WriteCSV(dir)
			return "", err
		})
	code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	ret := filepath.Join(out, "excel", "latest", "tra-lai", "2025")
	if _, err := os.Stat(filepath.Join(ret, "loi-du-lieu-0101-2025.xlsx")); err != nil {
		t.Errorf("no list for the unit: %v", err)
	}
	if strings.Contains(stderr, "could not be marked") {
		t.Errorf("the log warns of a CSV report not marked:\n%s", stderr)
	}
}

// smallProvince writes the small province's reports into a new input folder,
// unit 0101's (the second) changed by change first, each written by write;
// it returns the run's folders and unit 0101's file.
func smallProvince(t *testing.T, change func(*gen.Report), write func(*gen.Report, string) (string, error)) (in, out, wh, unit0101 string) {
	t.Helper()
	dir := t.TempDir()
	in, out, wh = filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	cfg := gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 9}
	for i := 0; i < cfg.Scale.Units; i++ {
		rep := gen.Generate(cfg, i)
		if i == 1 {
			change(rep)
		}
		p, err := write(rep, in)
		if err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			unit0101 = p
		}
	}
	return in, out, wh, unit0101
}
