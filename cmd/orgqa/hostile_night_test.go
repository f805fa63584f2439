package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
	"orgqa/internal/xlsxpatch"
)

// rewritePart rewrites one part of a workbook on disk.
func rewritePart(t *testing.T, path, part string, fn func([]byte) []byte) {
	t.Helper()
	if err := xlsxpatch.Rewrite(path, part, fn); err != nil {
		t.Fatal(err)
	}
}

// TestHostileNight: one night's inbox holds a good report beside hostile ones
// — a vertical tab pasted into a name, a report whose DangVien has only its
// header, a 6 MB cell, a report claiming another unit's organization, a file
// that is not a workbook. The night publishes (exit 3), the good report loads
// in full, every other report's rows are accounted for, each unit gets back
// what concerns it, and the Parquet rejects stay bounded.
func TestHostileNight(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	os.MkdirAll(in, 0o755)
	write := func(r *gen.Report) string {
		t.Helper()
		p, err := r.WriteXLSX(in)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := tinyReport("0501", "G")
	good.Members = good.Members[:1] // no bad row: it must load in full
	write(good)

	tab := tinyReport("0502", "H")
	for i := 3; i <= 60; i++ {
		tab.Members = append(tab.Members, gen.Member{Code: fmt.Sprintf("H-%03d", i), Name: fmt.Sprintf("Đảng viên %d", i),
			Birth: tab.Members[0].Birth, Gender: "Nam", CellCode: "H-CB1", Working: "Có"})
	}
	p := write(tab)
	// the generator writes inline strings; row 40 of DangVien gets a raw vertical tab
	rewritePart(t, p, "xl/worksheets/sheet3.xml", func(b []byte) []byte {
		re := regexp.MustCompile(`Đảng viên 39<`)
		if !re.Match(b) {
			t.Fatalf("no member 39 in DangVien:\n%.300s", b)
		}
		return re.ReplaceAll(b, []byte("Đảng\x0bviên 39<"))
	})

	empty := tinyReport("0503", "E")
	empty.Members = nil
	write(empty)

	big := tinyReport("0504", "B")
	big.Members[0].Name = "TÊN-DÀI"
	p = write(big)
	// 6 MB in one cell, written into the sheet's XML: excelize itself would cut
	// a value to Excel's 32.767 characters
	rewritePart(t, p, "xl/worksheets/sheet3.xml", func(b []byte) []byte {
		return bytes.Replace(b, []byte("TÊN-DÀI"), []byte(strings.Repeat("Nguyễn Văn Dài ", 400_000)), 1)
	})

	claim := tinyReport("0505", "G") // 0501's organization and cell
	claim.Members[0].Code, claim.Members[1].Code = "X-001", "X-002"
	write(claim)

	os.WriteFile(filepath.Join(in, "ghi-chu.xlsx"), []byte("không phải tệp Excel"), 0o644)

	code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh)
	if code != exitRejected {
		t.Fatalf("run: exit %d, want %d\n%s", code, exitRejected, stderr)
	}
	db := openWarehouse(t, wh)
	type man struct {
		outcome, msg             string
		read, accepted, rejected int
	}
	mans := map[string]man{}
	rows, err := db.Query(`SELECT coalesce(reporting_unit, source_path), outcome, coalesce(message, ''), rows_read, rows_accepted, rows_rejected FROM load_manifest`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		var m man
		rows.Scan(&k, &m.outcome, &m.msg, &m.read, &m.accepted, &m.rejected)
		mans[k] = m
	}
	rows.Close()
	if g := mans["0501"]; g.outcome != "loaded" || g.read != 4 || g.accepted != 4 || g.rejected != 0 {
		t.Errorf("the good report: %+v; want loaded, 4 rows read and accepted", g)
	}
	// 0502: 60 members + ThongTin + 2 DonVi; member 2 (bad cell) and row 40 (the tab) rejected
	if h := mans["0502"]; h.outcome != "loaded" || h.read != 63 || h.accepted+h.rejected != h.read || h.rejected != 2 {
		t.Errorf("the report with a vertical tab: %+v; want 63 read, 2 rejected", h)
	}
	if e := mans["0503"]; e.outcome != "loaded" || !strings.Contains(e.msg, "Sheet DangVien chỉ có dòng tiêu đề") {
		t.Errorf("the report with an empty DangVien: %+v; want a note saying so", e)
	}
	if b := mans["0504"]; b.outcome != "loaded" || b.rejected != 2 {
		t.Errorf("the report with a 6 MB cell: %+v", b)
	}
	if c := mans["0505"]; c.outcome != "loaded" || !strings.Contains(c.msg, "đã có trong báo cáo của đơn vị khác") {
		t.Errorf("the report claiming 0501's organization: %+v", c)
	}
	var failed []string
	for k, m := range mans {
		if m.outcome == "failed" {
			failed = append(failed, filepath.Base(k)+": "+m.msg)
		}
	}
	if len(failed) != 1 || !strings.HasPrefix(failed[0], "ghi-chu.xlsx: Không mở được tệp Excel") {
		t.Errorf("failed files %q; want the one that is not a workbook, with its reason", failed)
	}
	tl := filepath.Join(out, "excel", "latest", "tra-lai", "2025")
	for unit, want := range map[string]string{
		"0502": "Ô B40 có ký tự điều khiển U+000B",
		"0503": "Sheet DangVien chỉ có dòng tiêu đề",
		"0504": "đã cắt bớt",
		"0505": `Mã đơn vị "G-TC" đã có trong báo cáo năm 2025 của đơn vị 0501`,
		"0501": `Mã đơn vị "G-TC" của đơn vị cũng được đơn vị 0505 kê khai`,
	} {
		if text := dumpWorkbook(t, filepath.Join(tl, "loi-du-lieu-"+unit+"-2025.xlsx")); !strings.Contains(text, want) {
			t.Errorf("unit %s's return workbook does not say %q", unit, want)
		}
	}
	if !strings.Contains(stdout, "tong-hop-tccs-2025.xlsx") {
		t.Errorf("the province workbook is not published:\n%s", stdout)
	}
	// the Parquet rejects carry the capped value, marked with the cell's length
	pq, err := warehouse.Open(context.Background(), filepath.Join(dir, "check.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer pq.Close(context.Background(), false)
	var longest sql.NullInt64
	var value string
	if err := pq.DB.QueryRow(`SELECT length(value), value FROM read_parquet(?) ORDER BY length(value) DESC LIMIT 1`,
		filepath.Join(out, "parquet", "rejects", "year=2025", "rejects.parquet")).Scan(&longest, &value); err != nil {
		t.Fatal(err)
	}
	if !longest.Valid || longest.Int64 > 1100 || !strings.HasSuffix(value, "… (đã cắt bớt, ô có 6.000.000 ký tự)") {
		t.Errorf("the longest rejected value in Parquet has %v characters, ending %q; want at most 1.000 and the mark with the cell's length", longest, value[max(0, len(value)-60):])
	}
}
