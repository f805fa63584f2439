package ingest

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/marcboeker/go-duckdb"
)

// TestChunkAppenderWritesWhatGoDuckDBWrites: rows of every column type the
// contract's tables use, with nulls, strings short and long (DuckDB inlines
// those of at most 12 bytes), a NUL byte and Vietnamese text, dates before
// 1970 and far after, over several chunks and a part of one, reach the table
// as go-duckdb's own AppendRow puts them into an identical table. A value
// refused halfway through a row leaves nothing of that row behind.
func TestChunkAppenderWritesWhatGoDuckDBWrites(t *testing.T) {
	ctx := context.Background()
	const ddl = `(b BOOLEAN, i INTEGER, n BIGINT, d DATE, s VARCHAR, t VARCHAR NOT NULL)`
	conn := sinkConn(t, `CREATE TABLE ours `+ddl, `CREATE TABLE theirs `+ddl)
	texts := []string{"", "a", "mười hai chữ", "exactly12byt", "thirteen byte", "Đảng bộ xã Tân Phú Đông, huyện Tân Phú",
		"nul\x00inside", strings.Repeat("dài ", 40)}
	dates := []time.Time{
		time.Date(1920, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC),
	}
	rows := 2*chunkRows + 77
	row := func(r int) []driver.Value {
		v := []driver.Value{r%3 == 0, nil, nil, dates[r%len(dates)], texts[r%len(texts)], texts[(r+3)%len(texts)]}
		switch r % 3 { // each integer type go-duckdb converts
		case 0:
			v[1], v[2] = int32(r-1000), int64(r)<<33
		case 1:
			v[1], v[2] = int64(-r), int32(r)
		default:
			v[1], v[2] = r, -r
		}
		if r%11 == 0 {
			v[4] = []byte(texts[r%len(texts)])
		}
		if r%7 == 0 {
			v[0], v[3], v[4] = nil, nil, nil
		}
		return v
	}
	err := conn.Raw(func(dc any) error {
		ours, err := newChunkAppender(dc.(driver.Conn), "ours")
		if err != nil {
			return err
		}
		theirs, err := duckdb.NewAppenderFromConn(dc.(driver.Conn), "", "theirs")
		if err != nil {
			return err
		}
		for r := 0; r < rows; r++ {
			if r == chunkRows+5 { // refused after a string and a null: nothing of it stays
				bad := []driver.Value{true, nil, int64(1), time.Now(), "left behind", 42}
				if err := ours.appendRow(bad); err == nil || !strings.Contains(err.Error(), "VARCHAR column 6") {
					return fmt.Errorf("a number for a VARCHAR column: error %v", err)
				}
			}
			if err := ours.appendRow(row(r)); err != nil {
				return err
			}
			if err := theirs.AppendRow(row(r)...); err != nil {
				return err
			}
			if r == chunkRows/2 { // a chunk added while the rows go on
				if err := ours.add(ours.take()); err != nil {
					return err
				}
			}
		}
		ours.seal()
		if err := ours.close(ours.take()); err != nil {
			return err
		}
		return theirs.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
	var n, onlyOurs, onlyTheirs, nulls int
	if err := conn.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM ours),
		(SELECT count(*) FROM (FROM ours EXCEPT ALL FROM theirs)),
		(SELECT count(*) FROM (FROM theirs EXCEPT ALL FROM ours)),
		(SELECT count(*) FROM ours WHERE s IS NULL)`).Scan(&n, &onlyOurs, &onlyTheirs, &nulls); err != nil {
		t.Fatal(err)
	}
	if n != rows || onlyOurs != 0 || onlyTheirs != 0 || nulls != (rows+6)/7 {
		t.Fatalf("ours: %d rows (want %d), %d not in theirs, %d of theirs missing, %d null strings (want %d)",
			n, rows, onlyOurs, onlyTheirs, nulls, (rows+6)/7)
	}
	var left int
	conn.QueryRowContext(ctx, `SELECT count(*) FROM ours WHERE s = 'left behind' OR n = 1 AND i IS NULL`).Scan(&left)
	if left != 0 {
		t.Fatalf("%d rows of the refused row in the table", left)
	}
	// the dates as DuckDB reads them, not only as go-duckdb wrote them
	var first, last string
	conn.QueryRowContext(ctx, `SELECT min(d)::VARCHAR, max(d)::VARCHAR FROM ours`).Scan(&first, &last)
	if first != "1920-01-01" || last != "2100-12-31" {
		t.Fatalf("dates from %s to %s, want 1920-01-01 to 2100-12-31", first, last)
	}
}

// TestChunkAppenderRefusesATableItCannotWrite: a column type the loader never
// writes is refused when the Appender opens, not written wrongly.
func TestChunkAppenderRefusesATableItCannotWrite(t *testing.T) {
	conn := sinkConn(t, `CREATE TABLE x (n INTEGER, f DOUBLE)`)
	err := conn.Raw(func(dc any) error {
		_, err := newChunkAppender(dc.(driver.Conn), "x")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "column 2") {
		t.Fatalf("error %v, want column 2's type refused", err)
	}
}
