package reports

import (
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestMarkedKeyCell: a problem of a whole row (no column) is marked on the
// cell holding the row's own code, else on its first cell with something in it.
func TestMarkedKeyCell(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"STT", "Mã đảng viên", "Họ và tên"})
	f.SetSheetRow("Sheet1", "A2", &[]any{1, "000100007", "Lê Văn An"})
	f.SetSheetRow("Sheet1", "B3", &[]any{"000100008", "Trần Thị Bình"})
	for _, tc := range []struct {
		p    markProblem
		want string
	}{
		{markProblem{sheet: "Sheet1", row: 2, key: "000100007"}, "B"},
		{markProblem{sheet: "Sheet1", row: 2}, "A"},
		{markProblem{sheet: "Sheet1", row: 3, key: "không có"}, "B"},
		{markProblem{sheet: "Sheet1", row: 9}, "A"},
	} {
		rows, _ := f.GetRows("Sheet1", excelize.Options{RawCellValue: true})
		if got := keyColumn(rows, &tc.p); got != tc.want {
			t.Errorf("row %d key %q: marked in column %s, want %s", tc.p.row, tc.p.key, got, tc.want)
		}
	}
	// the unit's own comment on C2 stays, above the reason
	if err := f.AddComment("Sheet1", excelize.Comment{Cell: "C2", Author: "Đơn vị", Text: "Tên theo hồ sơ"}); err != nil {
		t.Fatal(err)
	}
	probs := []markProblem{{sheet: "Sheet1", row: 2, key: "000100007", reason: "Dòng trùng"},
		{sheet: "Sheet1", row: 2, col: "C", header: "Họ và tên", reason: "Thiếu họ"}}
	if err := markCells(f, probs); err != nil {
		t.Fatal(err)
	}
	comments := sheetComments(f, "Sheet1")
	if c := comments["C2"]; c != "Tên theo hồ sơ\n—\nHọ và tên: Thiếu họ" {
		t.Errorf("C2's comment %q", c)
	}
	id, _ := f.GetCellStyle("Sheet1", "B2")
	st, _ := f.GetStyle(id)
	if st == nil || len(st.Fill.Color) == 0 || st.Fill.Color[0] != markedFill {
		t.Errorf("B2 not filled: %+v", st)
	}
	if c := comments["B2"]; c != "Dòng trùng" {
		t.Errorf("B2's comment %q", c)
	}
}
