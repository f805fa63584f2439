package ingest

/*
#include <stdint.h>
#include <stddef.h>

// The functions of DuckDB's C API (duckdb.h of DuckDB 1.1) that fill an
// Appender's data chunks, declared rather than included: go-duckdb links the
// library into the binary, and its header is not on this package's include
// path. The handles are opaque pointers; the two enums are ints.
typedef uint64_t idx_t;
typedef struct _duckdb_appender { void *internal_ptr; } *duckdb_appender;
typedef struct _duckdb_data_chunk { void *internal_ptr; } *duckdb_data_chunk;
typedef struct _duckdb_vector { void *internal_ptr; } *duckdb_vector;
typedef struct _duckdb_logical_type { void *internal_ptr; } *duckdb_logical_type;

idx_t duckdb_vector_size();
idx_t duckdb_appender_column_count(duckdb_appender appender);
duckdb_logical_type duckdb_appender_column_type(duckdb_appender appender, idx_t col_idx);
int duckdb_get_type_id(duckdb_logical_type type);
void duckdb_destroy_logical_type(duckdb_logical_type *type);
duckdb_data_chunk duckdb_create_data_chunk(duckdb_logical_type *types, idx_t column_count);
void duckdb_destroy_data_chunk(duckdb_data_chunk *chunk);
void duckdb_data_chunk_set_size(duckdb_data_chunk chunk, idx_t size);
duckdb_vector duckdb_data_chunk_get_vector(duckdb_data_chunk chunk, idx_t col_idx);
void *duckdb_vector_get_data(duckdb_vector vector);
void duckdb_vector_ensure_validity_writable(duckdb_vector vector);
uint64_t *duckdb_vector_get_validity(duckdb_vector vector);
void duckdb_vector_assign_string_element_len(duckdb_vector vector, idx_t index, const char *str, idx_t str_len);
int duckdb_append_data_chunk(duckdb_appender appender, duckdb_data_chunk chunk);
int duckdb_appender_flush(duckdb_appender appender);
const char *duckdb_appender_error(duckdb_appender appender);

// orgqa_chunk_open creates a data chunk of the types and gives each column's
// values and (writable) validity mask.
static duckdb_data_chunk orgqa_chunk_open(duckdb_logical_type *types, idx_t n, void **data, uint64_t **valid) {
	duckdb_data_chunk c = duckdb_create_data_chunk(types, n);
	for (idx_t i = 0; i < n; i++) {
		duckdb_vector v = duckdb_data_chunk_get_vector(c, i);
		data[i] = duckdb_vector_get_data(v);
		duckdb_vector_ensure_validity_writable(v);
		valid[i] = duckdb_vector_get_validity(v);
	}
	return c;
}

// orgqa_chunk_strings puts n strings, held end to end in buf (the i-th ends
// at end[i]), into the chunk: the i-th in column col[i], row row[i].
static void orgqa_chunk_strings(duckdb_data_chunk c, const char *buf, const uint32_t *col, const uint32_t *row, const uint32_t *end, size_t n) {
	uint32_t start = 0;
	for (size_t i = 0; i < n; i++) {
		duckdb_vector v = duckdb_data_chunk_get_vector(c, col[i]);
		duckdb_vector_assign_string_element_len(v, row[i], buf + start, end[i] - start);
		start = end[i];
	}
}
*/
import "C"

import (
	"database/sql/driver"
	"errors"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/marcboeker/go-duckdb"
)

// A chunkAppender is go-duckdb's Appender with the rows put into its data
// chunks here. go-duckdb's AppendRow copies each string through three cgo
// calls (a C copy, DuckDB's copy, the free): at province scale the filler
// spent 0,5 s of the ingest's 6 s of CPU so, most of it crossing into C. Here
// a row's numbers and dates are written straight into the chunk's C memory,
// and its strings are kept end to end in Go until the chunk is full, then
// handed to DuckDB in one call.
//
// The Appender itself is go-duckdb's, created and closed through it; only
// its C handle is read from it (an unexported field, for go-duckdb v1.8.2,
// which the design fixes: appenderHandle fails loudly on any other layout).
// As with go-duckdb's own chunks, filling touches only the chunks' memory.
// The filler takes the chunks as they fill, and the goroutine that owns the
// connection adds them to the table (add: duckdb_append_data_chunk, then a
// flush) and at the sheet's end closes the Appender (go-duckdb's Close).
type chunkAppender struct {
	app    *duckdb.Appender
	handle C.duckdb_appender
	types  []C.duckdb_logical_type
	kinds  []chunkKind
	table  string

	full  dataChunks          // filled, for take
	cur   C.duckdb_data_chunk // being filled (nil: none yet)
	data  []unsafe.Pointer    // cur's columns' values
	valid []*C.uint64_t       // and validity masks
	rows  int                 // rows in cur

	// cur's strings, end to end, and where each goes
	sbuf             []byte
	scol, srow, send []uint32
}

// dataChunks are DuckDB data chunks, filled and not yet added to a table.
type dataChunks []C.duckdb_data_chunk

// chunkKind is a column's DuckDB type, among those the contract's tables use.
type chunkKind uint8

const (
	chunkBool chunkKind = iota
	chunkInt32
	chunkInt64
	chunkDate
	chunkVarchar
)

var chunkKinds = map[duckdb.Type]chunkKind{
	duckdb.TYPE_BOOLEAN: chunkBool,
	duckdb.TYPE_INTEGER: chunkInt32,
	duckdb.TYPE_BIGINT:  chunkInt64,
	duckdb.TYPE_DATE:    chunkDate,
	duckdb.TYPE_VARCHAR: chunkVarchar,
}

var chunkKindNames = [...]string{"BOOLEAN", "INTEGER", "BIGINT", "DATE", "VARCHAR"}

// chunkRows is DuckDB's vector size: the rows of one data chunk.
var chunkRows = int(C.duckdb_vector_size())

// newChunkAppender opens an Appender on table over conn (go-duckdb's
// driver connection).
func newChunkAppender(conn driver.Conn, table string) (*chunkAppender, error) {
	app, err := duckdb.NewAppenderFromConn(conn, "", table)
	if err != nil {
		return nil, err
	}
	h, err := appenderHandle(app)
	if err != nil {
		app.Close()
		return nil, err
	}
	c := &chunkAppender{app: app, handle: h, table: table}
	n := int(C.duckdb_appender_column_count(h))
	for i := 0; i < n; i++ {
		t := C.duckdb_appender_column_type(h, C.idx_t(i))
		c.types = append(c.types, t)
		k, ok := chunkKinds[duckdb.Type(C.duckdb_get_type_id(t))]
		if !ok {
			c.release()
			app.Close()
			return nil, fmt.Errorf("appender on %s: column %d's type (DuckDB type id %d) is not one the loader writes", table, i+1, int(C.duckdb_get_type_id(t)))
		}
		c.kinds = append(c.kinds, k)
	}
	c.data = make([]unsafe.Pointer, n)
	c.valid = make([]*C.uint64_t, n)
	return c, nil
}

// appenderHandle is the C handle inside go-duckdb's Appender.
func appenderHandle(app *duckdb.Appender) (C.duckdb_appender, error) {
	f := reflect.ValueOf(app).Elem().FieldByName("duckdbAppender")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.Type().Size() != unsafe.Sizeof(C.duckdb_appender(nil)) {
		return nil, errors.New("go-duckdb's Appender has no C handle where v1.8.2 keeps it (duckdbAppender)")
	}
	h := *(*C.duckdb_appender)(unsafe.Pointer(f.UnsafeAddr()))
	if h == nil {
		return nil, errors.New("go-duckdb's Appender has no C handle")
	}
	return h, nil
}

// appendRow puts one row into the chunks. It converts what go-duckdb's
// AppendRow converts, the same way (an int64 into an INTEGER column wraps:
// the loader range-checks its numbers before), and refuses the rest.
func (c *chunkAppender) appendRow(vals []driver.Value) error {
	if len(vals) != len(c.kinds) {
		return fmt.Errorf("%d values for the %d columns of %s", len(vals), len(c.kinds), c.table)
	}
	if c.cur == nil {
		c.open()
	}
	r := c.rows
	marks := len(c.send)
	for i, v := range vals {
		if v == nil {
			mask := unsafe.Slice(c.valid[i], chunkRows/64)
			mask[r/64] &^= 1 << (r % 64)
			continue
		}
		p := c.data[i]
		ok := true
		switch c.kinds[i] {
		case chunkVarchar:
			switch s := v.(type) {
			case string:
				c.sbuf = append(c.sbuf, s...)
			case []byte:
				c.sbuf = append(c.sbuf, s...)
			default:
				ok = false
			}
			if ok {
				if len(c.sbuf) > 1<<32-1 {
					ok = false
					break
				}
				c.scol = append(c.scol, uint32(i))
				c.srow = append(c.srow, uint32(r))
				c.send = append(c.send, uint32(len(c.sbuf)))
			}
		case chunkInt32:
			var n int32
			n, ok = integer[int32](v)
			*(*int32)(unsafe.Add(p, 4*r)) = n
		case chunkInt64:
			var n int64
			n, ok = integer[int64](v)
			*(*int64)(unsafe.Add(p, 8*r)) = n
		case chunkDate:
			t, isTime := v.(time.Time)
			ok = isTime
			// go-duckdb's own conversion (days since 1970-01-01, in UTC)
			*(*int32)(unsafe.Add(p, 4*r)) = int32(t.UTC().Unix() / (24 * 60 * 60))
		case chunkBool:
			b, isBool := v.(bool)
			ok = isBool
			*(*bool)(unsafe.Add(p, r)) = b
		}
		if !ok {
			c.undo(r, marks)
			return fmt.Errorf("cannot append a %T to the %s column %d of %s", v, chunkKindNames[c.kinds[i]], i+1, c.table)
		}
	}
	c.rows++
	if c.rows == chunkRows {
		c.seal()
	}
	return nil
}

// integer is v for an INTEGER or BIGINT column, converted as go-duckdb's
// AppendRow converts it (an int64 into an INTEGER wraps: the loader
// range-checks its numbers before), or false for a value of no integer type.
func integer[T int32 | int64](v driver.Value) (T, bool) {
	switch x := v.(type) {
	case int32:
		return T(x), true
	case int64:
		return T(x), true
	case int:
		return T(x), true
	}
	return 0, false
}

// undo leaves out a row refused halfway: its strings, and the nulls set.
func (c *chunkAppender) undo(r, marks int) {
	end := 0
	if marks > 0 {
		end = int(c.send[marks-1])
	}
	c.sbuf, c.scol, c.srow, c.send = c.sbuf[:end], c.scol[:marks], c.srow[:marks], c.send[:marks]
	for i := range c.valid {
		mask := unsafe.Slice(c.valid[i], chunkRows/64)
		mask[r/64] |= 1 << (r % 64)
	}
}

func (c *chunkAppender) open() {
	c.cur = C.orgqa_chunk_open(&c.types[0], C.idx_t(len(c.types)),
		(*unsafe.Pointer)(unsafe.Pointer(&c.data[0])), (**C.uint64_t)(unsafe.Pointer(&c.valid[0])))
}

// seal hands the current chunk's strings to DuckDB and sets it aside for take.
func (c *chunkAppender) seal() {
	if c.cur == nil {
		return
	}
	if c.rows == 0 {
		C.duckdb_destroy_data_chunk(&c.cur)
		c.cur = nil
		return
	}
	if n := len(c.send); n > 0 {
		var buf *C.char
		if len(c.sbuf) > 0 {
			buf = (*C.char)(unsafe.Pointer(&c.sbuf[0]))
		}
		C.orgqa_chunk_strings(c.cur, buf, (*C.uint32_t)(&c.scol[0]), (*C.uint32_t)(&c.srow[0]), (*C.uint32_t)(&c.send[0]), C.size_t(n))
	}
	C.duckdb_data_chunk_set_size(c.cur, C.idx_t(c.rows))
	c.full = append(c.full, c.cur)
	c.cur, c.rows = nil, 0
	c.sbuf, c.scol, c.srow, c.send = c.sbuf[:0], c.scol[:0], c.srow[:0], c.send[:0]
}

// take hands over the chunks filled so far (the filler's side).
func (c *chunkAppender) take() dataChunks {
	full := c.full
	c.full = nil
	return full
}

// add adds chunks to the table and frees them; flushed, DuckDB checks the
// rows (a NOT NULL column given a null fails here). On the connection's
// goroutine.
func (c *chunkAppender) add(chunks dataChunks) error {
	var err error
	for i := range chunks {
		if err == nil && C.duckdb_append_data_chunk(c.handle, chunks[i]) != 0 {
			err = fmt.Errorf("appender on %s: %s", c.table, C.GoString(C.duckdb_appender_error(c.handle)))
		}
		C.duckdb_destroy_data_chunk(&chunks[i])
	}
	if err == nil && len(chunks) > 0 && C.duckdb_appender_flush(c.handle) != 0 {
		err = fmt.Errorf("appender on %s: %s", c.table, C.GoString(C.duckdb_appender_error(c.handle)))
	}
	return err
}

// drop frees chunks that will not be added.
func dropChunks(chunks dataChunks) {
	for i := range chunks {
		C.duckdb_destroy_data_chunk(&chunks[i])
	}
}

// close adds the last chunks and closes the Appender, on the connection's
// goroutine; the appender is done after it, failed or not.
func (c *chunkAppender) close(chunks dataChunks) error {
	errAdd := c.add(chunks)
	errClose := c.app.Close() // flushes what is left, then destroys the Appender
	c.release()
	if errAdd != nil {
		return errAdd
	}
	return errClose
}

func (c *chunkAppender) release() {
	for i := range c.types {
		C.duckdb_destroy_logical_type(&c.types[i])
	}
	c.types = nil
}
