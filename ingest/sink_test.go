package ingest

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"strconv"
	"strings"
	"testing"
)

// TestSinkDoesItsWorkInOrderAndStopsAtTheFirstError: the sink appends what it
// is handed in order, across batches; the first failing row is the error,
// naming its sheet and row, and nothing handed over after it is appended.
func TestSinkDoesItsWorkInOrderAndStopsAtTheFirstError(t *testing.T) {
	ctx := context.Background()
	conn := sinkConn(t, `CREATE TABLE a (n INTEGER, s VARCHAR)`, `CREATE TABLE b (n INTEGER)`)
	const good = 3*sinkBatchRows + 17 // several batches, and a part of one
	run := func(bad bool) error {
		return conn.Raw(func(dc any) error {
			sk := newSink(dc.(driver.Conn), 2)
			ha, hb := sk.open("a"), sk.open("b")
			ss := &sheetSource{file: "bc.xlsx", sheet: "DangVien"}
			for i := 1; i <= good; i++ {
				sk.row(ha, ss, i+1, int32(i), "đảng viên")
				sk.row(hb, nil, 0, int32(-i))
			}
			if bad {
				sk.row(ha, ss, good+2, "not a number", "x")
			}
			for i := 0; i < 10; i++ { // after the bad row: never appended
				sk.row(hb, nil, 0, int32(1000+i))
			}
			sk.close(ha, ss)
			sk.close(hb, nil)
			return sk.stop()
		})
	}
	if err := run(false); err != nil {
		t.Fatal(err)
	}
	var n, sum, wrong int
	if err := conn.QueryRowContext(ctx, `SELECT count(*), sum(n), count(*) FILTER (WHERE s <> 'đảng viên') FROM a`).Scan(&n, &sum, &wrong); err != nil {
		t.Fatal(err)
	}
	if n != good || sum != good*(good+1)/2 || wrong != 0 {
		t.Fatalf("a: %d rows, sum %d, %d wrong; want %d rows, sum %d", n, sum, wrong, good, good*(good+1)/2)
	}
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM b`).Scan(&n); err != nil || n != good+10 {
		t.Fatalf("b: %d rows (%v), want %d", n, err, good+10)
	}

	if _, err := conn.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
		t.Fatal(err)
	}
	err := run(true)
	if err == nil || !strings.Contains(err.Error(), "bc.xlsx!DangVien row "+strconv.Itoa(good+2)) {
		t.Fatalf("error %v, want one naming bc.xlsx!DangVien row %d", err, good+2)
	}
	// the loader rolls the report back; what the sink did before the error was done
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM b WHERE n >= 1000`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("b after the failed run: %d rows from 1000 up (%v), want the first run's 10", n, err)
	}
	conn.ExecContext(ctx, `ROLLBACK`)
}

// TestSinkStopsAtTheFirstErrorWhereverItComesFrom: a sheet DuckDB refuses when
// its rows are added to the table (a NOT NULL column given a null, found only
// at the Appender's close, in the flusher) is the error even when a row
// handed over after it is wrong too (found by the filler, which may meet it
// first); the error names the sheet. What the loader handed over after it
// may reach its table (a sheet the filler had done before it knew), as the
// report fails and its rows go with it; the wrong row never does.
func TestSinkStopsAtTheFirstErrorWhereverItComesFrom(t *testing.T) {
	ctx := context.Background()
	conn := sinkConn(t, `CREATE TABLE a (n INTEGER NOT NULL)`, `CREATE TABLE b (n INTEGER)`, `CREATE TABLE c (n INTEGER)`)
	err := conn.Raw(func(dc any) error {
		sk := newSink(dc.(driver.Conn), 3)
		ha, hb, hc := sk.open("a"), sk.open("b"), sk.open("c")
		sa := &sheetSource{file: "bc.xlsx", sheet: "DangVien"}
		sb := &sheetSource{file: "bc.xlsx", sheet: "XepLoai"}
		for i := 1; i <= 3*sinkBatchRows; i++ {
			sk.row(ha, sa, i+1, int32(i))
		}
		sk.row(ha, sa, 3*sinkBatchRows+2, nil) // refused at the close
		sk.close(ha, sa)
		for i := 1; i <= 3*sinkBatchRows; i++ {
			sk.row(hb, sb, i+1, int32(i))
		}
		sk.close(hb, sb)
		sk.row(hc, nil, 0, "not a number") // refused by the filler, after
		sk.close(hc, nil)
		return sk.stop()
	})
	if err == nil || !strings.Contains(err.Error(), "bc.xlsx!DangVien:") || !strings.Contains(err.Error(), "NOT NULL") {
		t.Fatalf("error %v, want the NOT NULL of bc.xlsx!DangVien", err)
	}
	for _, table := range []string{"a", "c"} {
		var n int
		if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s: %d rows (%v), want none", table, n, err)
		}
	}
}

// sinkConn is a connection on a fresh warehouse where the tables of ddl
// exist, closed when the test ends.
func sinkConn(t *testing.T, ddl ...string) *sql.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := openTestWarehouse(t).DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	for _, q := range ddl {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}
