package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"orgqa/ingest"
	"orgqa/internal/warehouse"
)

// ingestWarehouse is a warehouse in t's folder with ingest's tables, closed with t.
func ingestWarehouse(t *testing.T) *warehouse.Warehouse {
	t.Helper()
	w := tempWarehouse(t)
	if err := ingest.EnsureSchema(context.Background(), w.DB); err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRejectsWorkbookSplitsAndBoundsValues lowers the sheet row limit: 8
// problems of one unit go on three sheets, all of them, numbered on; a note
// the unit must act on comes first; a value of 5.000 characters (as a
// warehouse written before ingest capped values holds) is cut to 1.000 when a
// session next brings the tables up to date, marked with its length.
func TestRejectsWorkbookSplitsAndBoundsValues(t *testing.T) {
	ctx := context.Background()
	w := ingestWarehouse(t)
	now := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	if _, err := w.DB.Exec(`INSERT INTO load_manifest VALUES (1, 'in/u.xlsx', 'xlsx', 'abc', ['in/u.xlsx'], 'U1', 2025, 8, 1, 7, ?, ?, 'loaded', NULL, NULL, ?, NULL, NULL, NULL, NULL, NULL)`, now, now, now); err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`INSERT INTO load_notes VALUES (1, NULL, 'Sheet DangVien chỉ có dòng tiêu đề, không có dòng dữ liệu nào')`); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 7; i++ {
		value := fmt.Sprintf("v%d", i)
		if i == 3 {
			value = strings.Repeat("ư", 5000)
		}
		if _, err := w.DB.Exec(`INSERT INTO rejects VALUES (1, 'U1', 2025, 'in/u.xlsx', 'abc', 'SinhHoat', 'SinhHoat', ?, 'B', 'Ngày họp', ?, 'Ngày không hợp lệ', NULL)`,
			10+i, value); err != nil {
			t.Fatal(err)
		}
	}
	if err := ingest.EnsureSchema(ctx, w.DB); err != nil { // as the next writing session does
		t.Fatal(err)
	}
	old := maxSheetRows
	maxSheetRows = rejectsHeaderRow + 3
	defer func() { maxSheetRows = old }()
	out := t.TempDir()
	books, err := WriteRejects(ctx, w.DB, 2025, out, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(books) != 1 || books[0].Problems != 8 {
		t.Fatalf("books %+v", books)
	}
	f, err := excelize.OpenFile(books[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); strings.Join(got, ",") != "Lỗi dữ liệu,Lỗi dữ liệu (2),Lỗi dữ liệu (3)" {
		t.Fatalf("sheets %q", got)
	}
	var lines []string
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		if !strings.Contains(rows[0][0], "phần") || rows[3][7] != "Lý do" {
			t.Errorf("%s heading %q", sh, rows[:4])
		}
		for _, r := range rows[rejectsHeaderRow:] {
			lines = append(lines, r[0]+" "+r[2]+" "+r[3]+" "+r[6])
		}
	}
	if len(lines) != 8 || !strings.HasPrefix(lines[0], "1 (cả tệp)") || !strings.HasPrefix(lines[7], "8 SinhHoat 16") {
		t.Fatalf("lines:\n%s", strings.Join(lines, "\n"))
	}
	long := strings.Fields(lines[4])[3]
	if long != strings.Repeat("ư", 1000)+"…" || !strings.HasSuffix(lines[4], "… (đã cắt bớt, ô có 5.000 ký tự)") {
		t.Errorf("the long value is %d characters: %.40q…", len([]rune(long)), long)
	}
}
