package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/internal/gen"
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
