package ingest

import (
	"database/sql/driver"
	"fmt"
	"runtime/debug"

	"github.com/marcboeker/go-duckdb"
)

// A report's rows reach DuckDB through a sink: the loader parses and checks
// each row and hands it over, and a goroutine of the sink's own puts it into
// the Appender (go-duckdb copies every value into C memory, one call per
// value, and flushes at the end). So on two cores the loader parses the next
// rows while the last ones are copied: the Appender was a third of the
// loader's time, and the loader is the ingest's slower half.
//
// The sink takes the Appenders' operations in the loader's order (open one,
// append a row, close one) and does them in that order. Nothing else uses the
// connection meanwhile: the loader touches DuckDB only through the sink until
// stop returns. The first error the sink meets is the report's error, as it
// would have been had the loader met it: every operation before it was done,
// none after it is.

// sinkBatchRows is how many operations the loader hands over at once; with
// sinkBatches batches in flight, the rows held between the two goroutines are
// bounded.
const (
	sinkBatchRows = 256
	sinkBatches   = 4
)

type sinkKind uint8

const (
	sinkOpen sinkKind = iota
	sinkRow
	sinkClose
)

type sinkOp struct {
	kind   sinkKind
	h      int          // the Appender, as open returned it
	table  string       // the table an open opens it on
	off, n int          // a row's values in the batch
	ss     *sheetSource // for an error: the sheet (nil: the error as it is)
	row    int          // and the row
}

type sinkBatch struct {
	ops  []sinkOp
	vals []driver.Value
}

type sink struct {
	conn   driver.Conn
	opened int                // handles given (the loader's)
	apps   []*duckdb.Appender // by handle; the sink's goroutine alone, until stop
	cur    *sinkBatch
	ch     chan *sinkBatch
	free   chan *sinkBatch
	done   chan struct{}
	err    error // the goroutine's, read after done
	closed bool
}

// newSink starts a sink for at most handles Appenders on conn.
func newSink(conn driver.Conn, handles int) *sink {
	s := &sink{conn: conn, apps: make([]*duckdb.Appender, handles),
		ch: make(chan *sinkBatch, sinkBatches), free: make(chan *sinkBatch, sinkBatches+1), done: make(chan struct{})}
	s.cur = s.batch()
	go s.run()
	return s
}

// open opens an Appender on table, and returns its handle.
func (s *sink) open(table string) int {
	h := s.opened
	s.opened++
	s.cur.ops = append(s.cur.ops, sinkOp{kind: sinkOpen, h: h, table: table})
	return h
}

// row appends one row through the Appender h; ss and row name it in an error.
func (s *sink) row(h int, ss *sheetSource, row int, vals ...driver.Value) {
	b := s.cur
	b.ops = append(b.ops, sinkOp{kind: sinkRow, h: h, off: len(b.vals), n: len(vals), ss: ss, row: row})
	b.vals = append(b.vals, vals...)
	if len(b.ops) >= sinkBatchRows {
		s.send()
	}
}

// close flushes and closes the Appender h; ss names it in an error.
func (s *sink) close(h int, ss *sheetSource) {
	s.cur.ops = append(s.cur.ops, sinkOp{kind: sinkClose, h: h, ss: ss})
}

func (s *sink) batch() *sinkBatch {
	select {
	case b := <-s.free:
		return b
	default:
		return &sinkBatch{ops: make([]sinkOp, 0, sinkBatchRows+4), vals: make([]driver.Value, 0, sinkBatchRows*24)}
	}
}

func (s *sink) send() {
	if len(s.cur.ops) == 0 {
		return
	}
	select {
	case s.ch <- s.cur:
		s.cur = s.batch()
	case <-s.done: // stopped on a panic: what follows is not done
		s.cur.ops, s.cur.vals = s.cur.ops[:0], s.cur.vals[:0]
	}
}

// stop does what was handed over, closes any Appender still open (a sheet the
// loader left on an error of its own, which is the one to give), and returns
// the sink's first error. The connection is the loader's again after it.
func (s *sink) stop() error {
	if s.closed {
		return s.err
	}
	s.closed = true
	s.send()
	close(s.ch)
	<-s.done
	for h, a := range s.apps {
		if a != nil { // left open by a sheet that failed: its error is the one to give
			s.apps[h] = nil
			a.Close()
		}
	}
	return s.err
}

func (s *sink) run() {
	defer close(s.done)
	defer func() {
		if p := recover(); p != nil { // go-duckdb meeting what it never expected: this report fails, not the night
			s.err = fmt.Errorf("appender failed: %v\n%s", p, debug.Stack())
		}
	}()
	for b := range s.ch {
		for _, op := range b.ops {
			if s.err != nil {
				break
			}
			s.do(b, op)
		}
		clear(b.vals) // no strings kept alive by a batch waiting for reuse
		b.ops, b.vals = b.ops[:0], b.vals[:0]
		select {
		case s.free <- b:
		default:
		}
	}
}

func (s *sink) do(b *sinkBatch, op sinkOp) {
	switch op.kind {
	case sinkOpen:
		a, err := duckdb.NewAppenderFromConn(s.conn, "", op.table)
		if err != nil {
			s.err = err
			return
		}
		s.apps[op.h] = a
	case sinkRow:
		if err := s.apps[op.h].AppendRow(b.vals[op.off : op.off+op.n]...); err != nil {
			if op.ss != nil {
				err = fmt.Errorf("%s!%s row %d: %w", op.ss.file, op.ss.sheet, op.row, err)
			}
			s.err = err
		}
	case sinkClose:
		a := s.apps[op.h]
		s.apps[op.h] = nil
		if err := a.Close(); err != nil {
			if op.ss != nil {
				err = fmt.Errorf("%s!%s: %w", op.ss.file, op.ss.sheet, err)
			}
			s.err = err
		}
	}
}
