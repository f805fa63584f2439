package ingest

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
)

// A report's rows reach DuckDB through a sink: the loader parses and checks
// each row and hands it over, and the sink's own two goroutines put it into
// DuckDB. The filler copies each row into an Appender's chunks (chunks.go:
// into C memory, a chunk's strings in one call); the flusher adds each chunk
// to the table once it is full (2.048 rows) and the sheet's last one when the
// sheet is done, closing its Appender, and opens the Appenders. So on two
// cores the loader parses the next rows while the filler copies the last
// ones and the flusher adds the ones before to the table. With the copying
// and the adding in one goroutine, that goroutine was the ingest's slowest
// part: at province scale the loader waited 1,4 s of 2,7 for it. A sheet's
// chunks were held until its end: the ingest of one sheet of a million
// rejected rows peaked at 708 MB, and at 254 MB since they are added as they
// fill.
//
// Only the flusher uses the connection: filling an Appender's chunks touches
// nothing but their own memory, and the filler hands a chunk over only once
// it is full, and the Appender after its last row. Nothing else uses the
// connection meanwhile: the loader touches DuckDB only through the sink
// until stop returns.
//
// The sink takes the Appenders' operations in the loader's order (open one,
// append a row, close one) and does them in that order. The first error the
// sink meets, in that order, is the report's error, as it would have been had
// the loader met it: every operation before it was done, and the filler
// copies nothing more once it knows of it. A sheet it copied before it knew
// (the flusher's error comes after the filler has gone on) may still reach
// its table when stop closes its Appender: the report fails, and its rows are
// rolled back or deleted with it.

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
	conn    driver.Conn
	opened  int              // handles given (the loader's)
	apps    []*chunkAppender // by handle; the filler's, until stop
	cur     *sinkBatch
	ch      chan *sinkBatch
	free    chan *sinkBatch
	done    chan struct{} // the filler's end
	flush   chan flushOp  // the filler's requests to the flusher
	flushed chan struct{} // the flusher's end
	failed  atomic.Bool   // the flusher met an error: the filler stops
	fillErr sinkErr       // the filler's, read after done
	flErr   sinkErr       // the flusher's, read after flushed
	left    []*chunkAppender
	closed  bool
}

// sinkErr is an error and the place of the operation it came from.
type sinkErr struct {
	seq int
	err error
}

// flushOp asks the flusher to open an Appender on table (its answer on
// reply), or to add chunks to app's table, and then to close app.
type flushOp struct {
	seq   int
	table string
	reply chan opened
	app   *chunkAppender
	// the chunks to add to app's table; close: then close app
	chunks dataChunks
	close  bool
	ss     *sheetSource // for an error: the sheet
}

type opened struct {
	app *chunkAppender
	err error
}

// errSinkStopped answers an operation after the flusher's error: not done.
var errSinkStopped = errors.New("not done: an earlier operation failed")

// newSink starts a sink for at most handles Appenders on conn.
func newSink(conn driver.Conn, handles int) *sink {
	s := &sink{conn: conn, apps: make([]*chunkAppender, handles),
		ch: make(chan *sinkBatch, sinkBatches), free: make(chan *sinkBatch, sinkBatches+1), done: make(chan struct{}),
		flush: make(chan flushOp, handles), flushed: make(chan struct{})}
	s.cur = s.batch()
	go s.run()
	go s.flusher()
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
		return s.firstErr()
	}
	s.closed = true
	s.send()
	close(s.ch)
	<-s.done
	<-s.flushed
	for h, a := range s.apps {
		if a != nil { // left open by a sheet that failed: its error is the one to give
			s.apps[h] = nil
			a.seal()
			a.close(a.take())
		}
	}
	for _, a := range s.left {
		a.close(nil)
	}
	s.left = nil
	return s.firstErr()
}

// firstErr is the error of the earliest operation that failed.
func (s *sink) firstErr() error {
	if s.flErr.err != nil && (s.fillErr.err == nil || s.flErr.seq < s.fillErr.seq) {
		return s.flErr.err
	}
	return s.fillErr.err
}

// run is the filler: it does the loader's operations in order, asking the
// flusher to open and close the Appenders.
func (s *sink) run() {
	defer close(s.done)
	defer close(s.flush)
	seq := 0
	defer func() {
		if p := recover(); p != nil { // go-duckdb meeting what it never expected: this report fails, not the night
			s.fillErr = sinkErr{seq, fmt.Errorf("appender failed: %v\n%s", p, debug.Stack())}
		}
	}()
	for b := range s.ch {
		for _, op := range b.ops {
			seq++
			if s.fillErr.err != nil || s.failed.Load() {
				break
			}
			s.do(b, op, seq)
		}
		clear(b.vals) // no strings kept alive by a batch waiting for reuse
		b.ops, b.vals = b.ops[:0], b.vals[:0]
		select {
		case s.free <- b:
		default:
		}
	}
}

func (s *sink) do(b *sinkBatch, op sinkOp, seq int) {
	switch op.kind {
	case sinkOpen:
		reply := make(chan opened, 1)
		s.flush <- flushOp{seq: seq, table: op.table, reply: reply}
		o := <-reply
		if o.err != nil {
			s.fillErr = sinkErr{seq, o.err}
			return
		}
		s.apps[op.h] = o.app
	case sinkRow:
		a := s.apps[op.h]
		if err := a.appendRow(b.vals[op.off : op.off+op.n]); err != nil {
			if op.ss != nil {
				err = fmt.Errorf("%s!%s row %d: %w", op.ss.file, op.ss.sheet, op.row, err)
			}
			s.fillErr = sinkErr{seq, err}
			return
		}
		if len(a.full) > 0 { // a chunk filled: added to the table while the sheet goes on
			s.flush <- flushOp{seq: seq, app: a, chunks: a.take(), ss: op.ss}
		}
	case sinkClose:
		a := s.apps[op.h]
		s.apps[op.h] = nil
		a.seal() // the filler's last strings, before the flusher has the chunks
		s.flush <- flushOp{seq: seq, app: a, chunks: a.take(), ss: op.ss, close: true}
	}
}

// flusher opens and closes the Appenders, in the order the filler asks; after
// an error it does nothing more, and the Appenders it is handed are closed by
// stop.
func (s *sink) flusher() {
	defer close(s.flushed)
	for op := range s.flush {
		if s.flErr.err != nil {
			s.refuse(op)
			continue
		}
		s.flushOne(op)
	}
}

func (s *sink) refuse(op flushOp) {
	if op.reply != nil {
		op.reply <- opened{err: errSinkStopped}
	}
	dropChunks(op.chunks)
	if op.close {
		s.left = append(s.left, op.app)
	}
}

func (s *sink) flushOne(op flushOp) {
	answered := false
	defer func() {
		if p := recover(); p != nil {
			s.flErr = sinkErr{op.seq, fmt.Errorf("appender failed: %v\n%s", p, debug.Stack())}
			s.failed.Store(true)
			if op.reply != nil && !answered {
				op.reply <- opened{err: s.flErr.err}
			}
		}
	}()
	if op.reply != nil {
		a, err := newChunkAppender(s.conn, op.table)
		answered = true
		op.reply <- opened{app: a, err: err}
		return
	}
	var err error
	if op.close {
		err = op.app.close(op.chunks)
	} else {
		err = op.app.add(op.chunks)
	}
	if err != nil {
		if op.ss != nil {
			err = fmt.Errorf("%s!%s: %w", op.ss.file, op.ss.sheet, err)
		}
		s.flErr = sinkErr{op.seq, err}
		s.failed.Store(true)
	}
}
