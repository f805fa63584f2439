package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// TestTemplateRoundTrip: a unit's template for next year, pre-filled from its
// accepted report, holds the units valid on 1 January and the members who
// still count (checked against the generator's records), keeps codes as text,
// offers lists; loaded back as written it gives no rejected row and no note.
func TestTemplateRoundTrip(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	reps := writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 7})
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	rep := reps[1]
	out := filepath.Join(dir, "mau")
	code, stdout, stderr := runCLI(t, "template", "--warehouse", wh, "--year", "2026", "--unit", rep.UnitCode, "--output", out)
	path := filepath.Join(out, "mau-bao-cao-"+rep.UnitCode+"-2026.xlsx")
	if code != exitOK || !strings.Contains(stdout, path) {
		t.Fatalf("template: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// what the generator says must be pre-filled
	jan1 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wantUnits, wantMembers []string
	for _, u := range rep.Units {
		if u.ValidTo == nil || !u.ValidTo.Before(jan1) {
			wantUnits = append(wantUnits, u.Code)
		}
	}
	for _, m := range rep.Members {
		if m.Status == "" || m.Status == gen.StatusActive || m.StatusDate != nil && !m.StatusDate.Before(jan1) {
			wantMembers = append(wantMembers, m.Code+" "+m.CellCode+" "+m.Working)
		}
	}
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sheets := f.GetSheetList()
	if sheets[0] != "Hướng dẫn" || sheets[1] != "ThongTin" || sheets[9] != "XepLoai" {
		t.Errorf("sheets %v: Hướng dẫn first, then the contract's nine in order", sheets)
	}
	col := func(sheet string, cols ...int) []string {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range rows[1:] {
			var parts []string
			for _, c := range cols {
				v := ""
				if c < len(r) {
					v = r[c]
				}
				parts = append(parts, v)
			}
			out = append(out, strings.Join(parts, " "))
		}
		return out
	}
	same := func(what string, got, want []string) {
		sort.Strings(got)
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %d pre-filled, want %d: %s", what, len(got), len(want), firstDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
	}
	same("DonVi", col("DonVi", 0), wantUnits)
	same("DangVien", col("DangVien", 0, 4, 5), wantMembers)
	if got := col("ThongTin", 0, 2); len(got) != 1 || got[0] != rep.UnitCode+" 2026" {
		t.Errorf("ThongTin %v", got)
	}
	// codes are text cells, shown and typed with their zeros
	if typ, _ := f.GetCellType("DangVien", "A2"); typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
		t.Errorf("DangVien!A2 is a %v cell, want text", typ)
	}
	dvs, _ := f.GetDataValidations("DangVien")
	lists := 0
	for _, dv := range dvs {
		if dv.Type == "list" {
			lists++
		}
	}
	if lists < 4 {
		t.Errorf("DangVien has %d drop-down lists (Mã chi bộ, Đang công tác, Diện 213, Trạng thái expected)", lists)
	}
	f.Close()

	// loaded back as written: every row accepted, nothing to say
	back := filepath.Join(dir, "back")
	os.MkdirAll(back, 0o755)
	copyFile(t, path, filepath.Join(back, filepath.Base(path)))
	wh2 := filepath.Join(dir, "w2.duckdb")
	if code, _, stderr := runCLI(t, "ingest", "--input", back, "--warehouse", wh2); code != exitOK {
		t.Fatalf("the template loaded back: exit %d\n%s", code, stderr)
	}
	db := openWarehouse(t, wh2)
	got := rowsText(t, db, "", `SELECT outcome || ' ' || reporting_unit || ' ' || report_year || ' ' || rows_read || ' ' || rows_rejected || ' ' || coalesce(message, '-') FROM load_manifest`)
	want := fmt.Sprintf("loaded %s 2026 %d 0 -", rep.UnitCode, 1+len(wantUnits)+len(wantMembers))
	if len(got) != 1 || got[0] != want {
		t.Errorf("the template loaded back: %v, want %q", got, want)
	}
	if n := rowsText(t, db, "", `SELECT count(*) FROM load_notes`); n[0] != "0" {
		t.Errorf("%s notes on the template loaded back", n[0])
	}
}

// openpyxlPython is a Python that has openpyxl (.ci/run installs
// python3-openpyxl), or "".
func openpyxlPython() string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import openpyxl").Run() == nil {
			return py
		}
	}
	return ""
}

// TestTemplateFilledByOpenpyxl: a unit's template, filled through openpyxl (as
// another office program would) with the letters, comments, meetings,
// inspections, discipline and ratings of the generator's report, loads with no
// rejected row to exactly those rows: the same as the generator's own workbook
// gives for them, column for column.
func TestTemplateFilledByOpenpyxl(t *testing.T) {
	py := openpyxlPython()
	if py == "" {
		t.Skip("no Python with openpyxl (.ci/run installs python3-openpyxl)")
	}
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	reps := writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 7})
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	rep := reps[1] // the unit whose report has a discipline (the generator's deliberate breach)
	out := filepath.Join(dir, "mau")
	if code, _, stderr := runCLI(t, "template", "--warehouse", wh, "--year", "2026", "--unit", rep.UnitCode, "--output", out); code != exitOK {
		t.Fatalf("template: exit %d\n%s", code, stderr)
	}
	path := filepath.Join(out, "mau-bao-cao-"+rep.UnitCode+"-2026.xlsx")
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	units, members := map[string]bool{}, map[string]bool{}
	for _, pair := range []struct {
		sheet string
		set   map[string]bool
	}{{"DonVi", units}, {"DangVien", members}} {
		rows, _ := f.GetRows(pair.sheet)
		for _, r := range rows[1:] {
			pair.set[r[0]] = true
		}
	}
	f.Close()
	// the rows of the generator's report that refer to what the template holds
	target := func(typ, code any) bool {
		if typ == "Tổ chức" {
			return units[fmt.Sprint(code)]
		}
		return members[fmt.Sprint(code)]
	}
	keep := map[string]func(row []any) bool{
		"GioiThieu": func(r []any) bool { return members[fmt.Sprint(r[0])] },
		"NhanXet":   func(r []any) bool { return members[fmt.Sprint(r[0])] },
		"SinhHoat":  func(r []any) bool { return units[fmt.Sprint(r[0])] },
		"KiemTra":   func(r []any) bool { return target(r[4], r[5]) },
		"KyLuat":    func(r []any) bool { return target(r[1], r[2]) },
		"XepLoai":   func(r []any) bool { return target(r[0], r[1]) },
	}
	fill := map[string][]map[string]any{}
	n := 0
	for _, s := range rep.Sheets() {
		k, ok := keep[s.Name]
		if !ok {
			continue
		}
		for _, r := range s.Rows {
			if !k(r) {
				continue
			}
			item := map[string]any{}
			for i, v := range r {
				switch x := v.(type) {
				case nil:
					continue
				case time.Time:
					item[s.Headers[i]] = map[string]string{"date": x.Format("2006-01-02")}
				case *time.Time:
					if x != nil {
						item[s.Headers[i]] = map[string]string{"date": x.Format("2006-01-02")}
					}
				default:
					item[s.Headers[i]] = x
				}
			}
			fill[s.Name] = append(fill[s.Name], item)
			n++
		}
	}
	if len(fill) < 5 || n < 50 {
		t.Fatalf("only %d rows in %d sheets to fill", n, len(fill))
	}
	js, _ := json.Marshal(fill)
	rowsPath := filepath.Join(dir, "rows.json")
	os.WriteFile(rowsPath, js, 0o644)
	filledDir := filepath.Join(dir, "filled")
	os.MkdirAll(filledDir, 0o755)
	filled := filepath.Join(filledDir, "bao-cao-"+rep.UnitCode+"-2026.xlsx")
	if b, err := exec.Command(py, filepath.Join("..", "..", "testdata", "templates", "fill.py"), path, rowsPath, filled).CombinedOutput(); err != nil {
		t.Fatalf("openpyxl: %v\n%s", err, b)
	}
	whB := filepath.Join(dir, "b.duckdb")
	if code, _, stderr := runCLI(t, "ingest", "--input", filledDir, "--warehouse", whB); code != exitOK {
		t.Fatalf("the filled template: exit %d\n%s", code, stderr)
	}
	// the same rows as the generator's workbook gave, column for column
	w, err := warehouse.Open(context.Background(), wh, warehouse.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close(context.Background(), false)
	db := w.DB
	db.SetMaxOpenConns(1) // ATTACH holds for one connection
	if _, err := db.Exec(fmt.Sprintf(`ATTACH '%s' AS b (READ_ONLY)`, whB)); err != nil {
		t.Fatal(err)
	}
	prov := `EXCLUDE (load_id, reporting_unit, report_year, source_row)`
	inB := `(target_type = 'to_chuc' AND target_code IN (SELECT unit_code FROM b.units) OR target_type = 'dang_vien' AND target_code IN (SELECT member_code FROM b.members))`
	for table, where := range map[string]string{
		"letters":     `member_code IN (SELECT member_code FROM b.members)`,
		"comments":    `member_code IN (SELECT member_code FROM b.members)`,
		"meetings":    `cell_code IN (SELECT unit_code FROM b.units)`,
		"inspections": inB,
		"disciplines": inB,
		"ratings":     inB,
	} {
		want := queryRows(t, db, fmt.Sprintf(`SELECT * %s FROM main.%s WHERE reporting_unit = '%s' AND %s ORDER BY ALL`, prov, table, rep.UnitCode, where))
		got := queryRows(t, db, fmt.Sprintf(`SELECT * %s FROM b.%s ORDER BY ALL`, prov, table))
		if len(want) == 0 || strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %d rows loaded from the filled template, %d from the generator's workbook: %s", table, len(got), len(want),
				firstDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
		}
	}
	if n := queryRows(t, db, `SELECT count(*) FROM b.rejects`); n[0] != "0" {
		t.Errorf("%s rows of the filled template rejected", n[0])
	}
}
