package ingest

import (
	"context"
	"database/sql"
	"errors"
)

// Reading a workbook (unzipping, decoding its XML) is about half of ingest and
// needs no warehouse; loading it (parsing, checks, the Appender, the
// transaction) is the other half. So while report N loads, a second goroutine
// hashes report N+1 and reads its contract sheets into memory: on two cores
// the halves overlap. It reads at most one report ahead, never a report whose
// content was loaded before (a night with nothing new reads no rows), and
// never more than prefetchCells cells of one report: a bigger one is streamed
// by the loader as before.

// prefetchCells bounds the cells held for one report read ahead (a province's
// report holds about 60.000).
const prefetchCells = 2_000_000

// prefetched is one report as the reader left it for the loader.
type prefetched struct {
	src     Source
	hashes  sourceHashes
	hashErr error
	openErr error         // openReport failed: the loader records it as it would
	rr      *reportReader // the sheets in memory; nil: the loader opens and streams it
}

// prefetch reads the sources ahead of the loader, in order, until done closes.
// conn is the loader's connection (the warehouse has one: see warehouse.Open).
func (l *Loader) prefetch(ctx context.Context, conn *sql.Conn, sources []Source, done <-chan struct{}) <-chan *prefetched {
	out := make(chan *prefetched, 1)
	known := map[string]bool{}
	if !l.Force {
		if rows, err := conn.QueryContext(ctx, `SELECT DISTINCT sha256 FROM load_manifest WHERE outcome IN ('loaded', 'replaced')`); err == nil {
			for rows.Next() {
				var s string
				if rows.Scan(&s) == nil {
					known[s] = true
				}
			}
			rows.Close()
		}
	}
	lim := l.Limits.orDefault()
	go func() {
		defer close(out)
		for _, src := range sources {
			p := &prefetched{src: src}
			p.hashes, p.hashErr = hashSourceWith(src, l.stats)
			if p.hashErr == nil && !known[p.hashes.report] {
				p.openErr = guarded(src.Path, func() error {
					rr, err := openReport(src, p.hashes.files, lim)
					if err != nil {
						return err
					}
					defer rr.close()
					p.rr = readAhead(rr)
					return nil
				})
				if p.openErr != nil {
					p.rr = nil
				}
			}
			select {
			case out <- p:
			case <-done:
				return
			}
		}
	}()
	return out
}

// readAhead reads every contract sheet of rr into memory, or returns nil when
// the report is too big to hold.
func readAhead(rr *reportReader) *reportReader {
	mem := &reportReader{sheets: map[*SheetSpec]*sheetSource{}, extra: rr.extra, close: func() error { return nil }}
	cells := 0
	for spec, ss := range rr.sheets {
		ms := &memSheet{}
		it, err := ss.open()
		if err != nil {
			ms.openErr = err
		} else {
			for it.Next() {
				c, err := it.Cells()
				var bad *RowError
				if errors.As(err, &bad) { // one bad row: the rows after it are read
					if ms.rowErrs == nil {
						ms.rowErrs = map[int]error{}
					}
					ms.rowErrs[len(ms.rows)] = err
				} else if err != nil {
					ms.rowErr = err
					break
				}
				if cells += len(c); cells > prefetchCells {
					it.Close()
					return nil
				}
				ms.rows = append(ms.rows, append([]string(nil), c...)) // readers may reuse their row slice
			}
			if enc, ok := it.(interface{ Encoding() string }); ok {
				ms.encoding = enc.Encoding()
			}
			ms.closeErr = it.Close()
		}
		mem.sheets[spec] = &sheetSource{file: ss.file, sha: ss.sha, sheet: ss.sheet, date1904: ss.date1904, open: ms.open, computed: ss.computed}
	}
	return mem
}

// memSheet is a sheet read ahead: its rows, and the error reading stopped at.
type memSheet struct {
	rows             [][]string
	rowErrs          map[int]error // rows that could not be read (a *RowError), by index
	openErr          error
	rowErr, closeErr error
	encoding         string
}

func (m *memSheet) open() (rowIter, error) {
	if m.openErr != nil {
		return nil, m.openErr
	}
	return &memRows{m: m, i: -1}, nil
}

// memRows replays a memSheet as the reader it was read from would have gone.
type memRows struct {
	m *memSheet
	i int
}

func (r *memRows) Next() bool {
	r.i++
	return r.i < len(r.m.rows) || r.i == len(r.m.rows) && r.m.rowErr != nil
}

func (r *memRows) Cells() ([]string, error) {
	if r.i == len(r.m.rows) {
		return nil, r.m.rowErr
	}
	return r.m.rows[r.i], r.m.rowErrs[r.i]
}

func (r *memRows) Encoding() string { return r.m.encoding }
func (r *memRows) Close() error     { return r.m.closeErr }
