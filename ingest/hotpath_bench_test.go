package ingest

import (
	"context"
	"database/sql/driver"
	"path/filepath"
	"testing"

	"github.com/marcboeker/go-duckdb"

	"orgqa/internal/warehouse"
)

// The hot paths of ingest, one row or one value at a time, with allocations:
// compare runs with benchstat (go test -bench 'Parse|Header|Fold|Append' -count 10).

var memberHeader = []string{"STT", "Mã đảng viên", "Họ và tên", "Ngày sinh", "Giới tính", "Mã chi bộ", "Đang công tác", "Diện 213",
	"Xã phường cư trú", "Mã chi bộ cư trú", "Trạng thái", "Ngày trạng thái"}

var memberRow = []string{"17", "0101000123", "Nguyễn Thị Thanh Hương", "45123", "Nữ", "0101-03-02", "Có", "Giới thiệu",
	"Phường 4", "0101-09-01", "Đang sinh hoạt", ""}

func BenchmarkParseDate(b *testing.B) {
	inputs := []string{"45123", "05/03/2025", "2025-03-05", "5/3/2025", "2025-03-05T00:00:00"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseDate(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseInt(b *testing.B) {
	inputs := []string{"25", "1.296", "1,296", "12.0", "130"}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := ParseInt(inputs[i%len(inputs)]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFold(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Fold(memberHeader[i%len(memberHeader)])
	}
}

// BenchmarkHeaderMatch is finding the header of a DangVien sheet under a title
// row and a blank row.
func BenchmarkHeaderMatch(b *testing.B) {
	spec := SheetByName("DangVien")
	rows := [][]string{{"DangVien - Đảng ủy xã Long Hồ - năm 2025"}, nil, memberHeader}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		f, err := newHeaderFinder(spec)
		if err != nil {
			b.Fatal(err)
		}
		var hm *HeaderMap
		for n, r := range rows {
			if !blankRow(r) {
				hm, _ = f.try(n+1, r)
			}
		}
		if hm == nil {
			b.Fatal("no header")
		}
	}
}

// BenchmarkParseRow parses one DangVien data row into typed values.
func BenchmarkParseRow(b *testing.B) {
	spec := SheetByName("DangVien")
	f, _ := newHeaderFinder(spec)
	hm, _ := f.try(1, memberHeader)
	colIdx := map[string]int{}
	for i, c := range spec.Columns {
		colIdx[c.Name] = i
	}
	p := newRowParser(hm, colIdx)
	vals := make([]any, len(spec.Columns))
	var probs []problem
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if probs = p.parse(memberRow, vals, probs[:0]); len(probs) > 0 {
			b.Fatal(probs)
		}
	}
}

// BenchmarkAppendRows appends parsed DangVien rows to the members table through
// the Appender (flushed by go-duckdb every 2.048 rows and at Close).
func BenchmarkAppendRows(b *testing.B) {
	ctx := context.Background()
	w, err := warehouse.Open(ctx, filepath.Join(b.TempDir(), "w.duckdb"), warehouse.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(ctx, false)
	if err := EnsureSchema(ctx, w.DB); err != nil {
		b.Fatal(err)
	}
	spec := SheetByName("DangVien")
	f, _ := newHeaderFinder(spec)
	hm, _ := f.try(1, memberHeader)
	p := newRowParser(hm, nil)
	vals := make([]any, len(spec.Columns))
	p.parse(memberRow, vals, nil)
	row := make([]driver.Value, provenanceColumns+len(spec.Columns))
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	b.ReportAllocs()
	b.ResetTimer()
	err = conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", spec.Table)
		if err != nil {
			return err
		}
		for i := 0; i < b.N; i++ {
			row[0], row[1], row[2], row[3] = int64(1), "0101", int32(2025), int32(i+2)
			for j, v := range vals {
				row[provenanceColumns+j] = v
			}
			if err := app.AppendRow(row...); err != nil {
				return err
			}
		}
		return app.Close()
	})
	if err != nil {
		b.Fatal(err)
	}
}
