package main

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
)

// runSmall generates a small data set (with a hostile organization name), runs
// the job and returns the output folder and warehouse path.
func runSmall(t *testing.T) (out, wh string) {
	t.Helper()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	out, wh = filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	cfg := gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 11}
	for i := 0; i < cfg.Scale.Units; i++ {
		rep := gen.Generate(cfg, i)
		if i == 0 {
			for k := range rep.Units {
				if rep.Units[k].Level == gen.LevelOrg {
					rep.Units[k].Name = `=HYPERLINK("http://example.com","bấm vào")`
					break
				}
			}
		}
		if _, err := rep.WriteXLSX(in); err != nil {
			t.Fatal(err)
		}
	}
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	return out, wh
}

func TestWorkbookContents(t *testing.T) {
	out, wh := runSmall(t)
	path := filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx")
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := strings.Join(f.GetSheetList(), "|"); got != "Tổng quan|Quy định 213|Sinh hoạt chi bộ|Kiểm tra, kỷ luật|Xếp loại|Tổ chức cơ sở đảng|Cần chú ý|Chất lượng dữ liệu|Phương pháp" {
		t.Errorf("sheets %q", got)
	}
	opensOnFirstSheet(t, path)
	title, _ := f.GetCellValue("Tổng quan", "A3")
	if title != "BÁO CÁO CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG NĂM 2025" {
		t.Errorf("title %q", title)
	}
	for _, sh := range []string{"Quy định 213", "Tổ chức cơ sở đảng"} {
		panes, err := f.GetPanes(sh)
		if err != nil || !panes.Freeze || panes.YSplit != 5 || panes.XSplit < 3 {
			t.Errorf("%s: panes %+v, %v; want headers and names frozen", sh, panes, err)
		}
		// the declared dimension covers the cells: readers that trust it would truncate otherwise
		all, _ := f.GetRows(sh)
		width := 0
		for _, r := range all {
			width = max(width, len(r))
		}
		lastCol, _ := excelize.ColumnNumberToName(width)
		if dim, err := f.GetSheetDimension(sh); err != nil || dim != fmt.Sprintf("A1:%s%d", lastCol, len(all)) {
			t.Errorf("%s: declared dimension %q, %v; the cells span A1:%s%d", sh, dim, err, lastCol, len(all))
		}
		if ws, _ := f.GetColWidth(sh, "C"); ws < 9 {
			t.Errorf("%s: column C width %v, not sized", sh, ws)
		}
	}

	// the province row equals the warehouse's province figures, as numbers
	db := openWarehouse(t, wh)
	var n3, d1 float64
	var m1 float64
	if err := db.QueryRow(`SELECT max(value) FILTER (WHERE metric = 'M1'), max(denominator) FILTER (WHERE metric = 'M1'),
		max(value) FILTER (WHERE metric = 'M13_kiem_tra') FROM mart_metrics WHERE level = 'province' AND year = 2025`).Scan(&m1, &d1, &n3); err != nil {
		t.Fatal(err)
	}
	rows, _ := f.GetRows("Quy định 213", excelize.Options{RawCellValue: true})
	var total []string
	for _, r := range rows {
		if len(r) > 2 && r[2] == "Toàn tỉnh" {
			total = r
		}
	}
	if total == nil {
		t.Fatal("no Toàn tỉnh row")
	}
	header, _ := f.GetRows("Quy định 213")
	col := func(name string) int {
		for i, h := range header[4] {
			if h == name {
				return i
			}
		}
		t.Fatalf("no column %q in %q", name, header[4])
		return -1
	}
	if got := total[col("Tỷ lệ có giấy giới thiệu")]; got != trimFloat(m1) {
		t.Errorf("province M1 cell %q, warehouse %v", got, m1)
	}
	if got := total[col("Đảng viên đang công tác thuộc diện giới thiệu")]; got != trimFloat(d1) {
		t.Errorf("province M1 denominator cell %q, warehouse %v", got, d1)
	}
	// the province's inspections, on the theme sheet that shows them
	kt, _ := f.GetRows("Kiểm tra, kỷ luật", excelize.Options{RawCellValue: true})
	ktHeader, _ := f.GetRows("Kiểm tra, kỷ luật")
	sawKT := false
	for _, r := range kt {
		if len(r) > 2 && r[2] == "Toàn tỉnh" {
			for i, h := range ktHeader[4] {
				if h == "Lượt kiểm tra" {
					sawKT = true
					if r[i] != trimFloat(n3) {
						t.Errorf("province Lượt kiểm tra cell %q, warehouse %v", r[i], n3)
					}
				}
			}
		}
	}
	if !sawKT || n3 == 0 {
		t.Errorf("no province Lượt kiểm tra to compare (warehouse %v)", n3)
	}
	// Vietnamese formats: 85,5% and 1.296 whatever the reader's locale
	pctCell, _ := excelize.CoordinatesToCellName(col("Tỷ lệ có giấy giới thiệu")+1, 6)
	styleID, _ := f.GetCellStyle("Quy định 213", pctCell)
	st, _ := f.GetStyle(styleID)
	if st.CustomNumFmt == nil || *st.CustomNumFmt != "[$-42A]0.0%" {
		t.Errorf("percent cell %s format %v", pctCell, st.CustomNumFmt)
	}

	// text from input that looks like a formula stays text
	orgRows, _ := f.GetRows("Tổ chức cơ sở đảng")
	found := false
	for r, row := range orgRows {
		for c, v := range row {
			if strings.HasPrefix(v, "=HYPERLINK") {
				found = true
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				if formula, _ := f.GetCellFormula("Tổ chức cơ sở đảng", cell); formula != "" {
					t.Errorf("%s holds formula %q from input", cell, formula)
				}
				if typ, _ := f.GetCellType("Tổ chức cơ sở đảng", cell); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
					t.Errorf("%s has type %v, want text", cell, typ)
				}
			}
		}
	}
	if !found {
		t.Error("the organization named =HYPERLINK(...) is not in the workbook")
	}
}

// trimFloat writes a float as excelize's raw cell value does.
func trimFloat(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

func TestParquetMatchesContractAndWarehouse(t *testing.T) {
	out, wh := runSmall(t)
	db := openWarehouse(t, wh)
	file := filepath.Join(out, "parquet", "metrics", "year=2025", "metrics.parquet")
	rows, err := db.Query(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(?, hive_partitioning = false))`, file)
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for rows.Next() {
		var n, typ string
		rows.Scan(&n, &typ)
		cols = append(cols, n+" "+typ)
	}
	rows.Close()
	want := "year INTEGER|level VARCHAR|unit_code VARCHAR|unit_name VARCHAR|parent_code VARCHAR|metric VARCHAR|numerator DOUBLE|denominator DOUBLE|value DOUBLE"
	if got := strings.Join(cols, "|"); got != want {
		t.Errorf("metrics.parquet columns\n got %s\nwant %s", got, want)
	}
	var inFile, inMart int
	if err := db.QueryRow(`SELECT (SELECT count(*) FROM read_parquet(?)), (SELECT count(*) FROM mart_metrics WHERE year = 2025)`, file).Scan(&inFile, &inMart); err != nil {
		t.Fatal(err)
	}
	if inFile != inMart || inFile == 0 {
		t.Errorf("metrics.parquet has %d rows, mart_metrics %d", inFile, inMart)
	}
	// the same rows, not just as many
	var differ int
	if err := db.QueryRow(`SELECT count(*) FROM (
		(SELECT level, unit_code, metric, numerator, denominator, value FROM read_parquet(?) EXCEPT
		 SELECT level, unit_code, metric, numerator, denominator, value FROM mart_metrics WHERE year = 2025))`, file).Scan(&differ); err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Errorf("%d Parquet rows differ from the mart", differ)
	}
}

// TestWorkbookOpensInLibreOffice converts the workbook with LibreOffice, another
// program than the one that wrote it, and reads the Vietnamese text back.
func TestWorkbookOpensInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("SKIPPED: LibreOffice (soffice) is not installed; .ci/run installs it. The workbook was not opened in another program.")
	}
	out, _ := runSmall(t)
	conv := t.TempDir()
	cmd := exec.Command(soffice, "--headless", "-env:UserInstallation=file://"+filepath.Join(conv, "profile"),
		"--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", conv, filepath.Join(out, "excel", "latest", "tong-hop-tccs-2025.xlsx"))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	b, err := os.ReadFile(filepath.Join(conv, "tong-hop-tccs-2025.csv"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	// the first sheet, the cover, as LibreOffice reads it
	for _, want := range []string{"BÁO CÁO CHẤT LƯỢNG TỔ CHỨC CƠ SỞ ĐẢNG NĂM 2025", "Toàn tỉnh", "Chỉ tiêu chính toàn tỉnh", "Quy định áp dụng", "366-QĐ/TW"} {
		if !strings.Contains(text, want) {
			t.Errorf("LibreOffice's reading lacks %q:\n%s", want, text)
		}
	}
	if !regexp.MustCompile(`\b\d{1,3},\d%`).MatchString(text) {
		t.Errorf("no Vietnamese percentage such as 85,5%% in LibreOffice's reading:\n%s", text)
	}
}

// TestReadmeAnalystQuery runs the README's "missed more than two monthly
// meetings" query on the Parquet files a run wrote, so the documentation stays true.
func TestReadmeAnalystQuery(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i := strings.Index(text, "Which organizations missed more than two monthly meetings?")
	if i < 0 {
		t.Fatal("README lost the analyst query")
	}
	block := text[i:]
	block = block[strings.Index(block, "```sql")+len("```sql"):]
	query := strings.TrimSpace(block[:strings.Index(block, "```")])

	out, wh := runSmall(t)
	db := openWarehouse(t, wh)
	query = strings.ReplaceAll(query, "out/parquet", filepath.Join(out, "parquet"))
	rows, err := db.Query(query)
	if err != nil {
		t.Fatalf("the README query fails: %v\n%s", err, query)
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	var want int
	db.QueryRow(`SELECT count(*) FROM mart_metrics WHERE year = 2025 AND level = 'cell' AND metric = 'M7' AND numerator < 10`).Scan(&want)
	if n != want || want == 0 {
		t.Errorf("the README query found %d cells, the mart %d", n, want)
	}
	// the wide file: one row per organization, a column per metric
	var orgs, withM18 int
	if err := db.QueryRow(`SELECT count(*), count("M18_max_rating") FROM read_parquet(?)`,
		filepath.Join(out, "parquet", "orgs", "year=2025", "orgs.parquet")).Scan(&orgs, &withM18); err != nil {
		t.Fatal(err)
	}
	var martOrgs int
	db.QueryRow(`SELECT count(DISTINCT unit_code) FROM mart_metrics WHERE year = 2025 AND level = 'org'`).Scan(&martOrgs)
	if orgs != martOrgs || withM18 != orgs {
		t.Errorf("orgs.parquet has %d rows (%d with M18_max_rating), the mart %d organizations", orgs, withM18, martOrgs)
	}
}

// TestPerUnitWorkbooks writes one workbook per reporting unit: each lists only
// that unit's organizations, and all of them.
func TestPerUnitWorkbooks(t *testing.T) {
	out, wh := runSmall(t)
	if code, stdout, stderr := runCLI(t, "report", "--warehouse", wh, "--output", out, "--per-unit"); code != exitOK || !strings.Contains(stdout, "3 workbooks") {
		t.Fatalf("report --per-unit: exit %d\n%s\n%s", code, stdout, stderr)
	}
	db := openWarehouse(t, wh)
	for _, unit := range []string{"0100", "0101", "0102"} {
		path := filepath.Join(out, "excel", "latest", "don-vi", "2025", "tccs-"+unit+"-2025.xlsx")
		opensOnFirstSheet(t, path)
		f, err := excelize.OpenFile(path)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Tổ chức cơ sở đảng")
		f.Close()
		got := map[string]bool{}
		for _, r := range rows[5:] {
			got[r[2]] = true
		}
		var want int
		db.QueryRow(`SELECT count(*) FROM mart_metrics WHERE year = 2025 AND level = 'org' AND metric = 'M1' AND parent_code = ?`, unit).Scan(&want)
		for code := range got {
			if !strings.HasPrefix(code, unit) {
				t.Errorf("unit %s's workbook lists organization %s of another unit", unit, code)
			}
		}
		if len(got) != want || want == 0 {
			t.Errorf("unit %s's workbook lists %d organizations, the mart %d", unit, len(got), want)
		}
	}
}

// opensOnFirstSheet checks, in the file's own XML, that the workbook opens on
// its first sheet and that only that sheet's tab is selected (Excel groups
// every selected tab, and an edit then lands on all of them). The workbook is
// written without excelize's SetActiveSheet, which parses every streamed
// sheet back into memory to clear a flag none of them has set.
func opensOnFirstSheet(t *testing.T, path string) {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	read := func(name string) string {
		for _, f := range zr.File {
			if f.Name == name {
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				defer rc.Close()
				b, err := io.ReadAll(rc)
				if err != nil {
					t.Fatal(err)
				}
				return string(b)
			}
		}
		return ""
	}
	if m := regexp.MustCompile(`activeTab="(\d+)"`).FindStringSubmatch(read("xl/workbook.xml")); m != nil && m[1] != "0" {
		t.Errorf("%s opens on sheet %s, not the first", filepath.Base(path), m[1])
	}
	// the first sheet in the workbook's order, through its relationship
	first := regexp.MustCompile(`<sheet [^>]*r:id="([^"]+)"`).FindStringSubmatch(read("xl/workbook.xml"))
	target := regexp.MustCompile(`Id="` + first[1] + `"[^>]*Target="/?(?:xl/)?([^"]+)"|Target="/?(?:xl/)?([^"]+)"[^>]*Id="` + first[1] + `"`).FindStringSubmatch(read("xl/_rels/workbook.xml.rels"))
	firstPath := "xl/" + target[1] + target[2]
	var selected []string
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "xl/worksheets/sheet") && regexp.MustCompile(`<sheetView [^>]*tabSelected="(1|true)"`).MatchString(read(f.Name)) {
			selected = append(selected, f.Name)
		}
	}
	if len(selected) != 1 || selected[0] != firstPath {
		t.Errorf("%s: selected tabs %v, want only the first sheet's (%s)", filepath.Base(path), selected, firstPath)
	}
}
