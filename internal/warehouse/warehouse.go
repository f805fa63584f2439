// Package warehouse opens orgqa's embedded DuckDB file. It owns the connection
// settings; it knows nothing of the tables (ingest, transform and reports do).
package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"

	"github.com/marcboeker/go-duckdb"
)

// Warehouse is an open DuckDB file. DuckDB allows one writer per file, and a
// second sql.Open of the same file in one process gives a separate, stale copy:
// open it once per process and share this value.
type Warehouse struct {
	DB   *sql.DB
	Path string
}

// Options tune DuckDB; zero values keep the defaults.
type Options struct {
	MemoryLimit string // e.g. "2GB"; DuckDB's memory lives outside the Go heap
	Threads     int
	ReadOnly    bool
}

// Open opens (creating if needed) the warehouse file at path.
func Open(ctx context.Context, path string, opt Options) (*Warehouse, error) {
	if !opt.ReadOnly {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return nil, fmt.Errorf("warehouse %s: %w", path, err)
		}
	}
	dsn := path
	if opt.ReadOnly {
		dsn += "?access_mode=READ_ONLY"
	}
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("warehouse %s: %w", path, err)
	}
	db := sql.OpenDB(connector)
	// One connection: every write goes through it, in order (duckdb-go #127).
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	w := &Warehouse{DB: db, Path: path}
	settings := []string{}
	if opt.MemoryLimit != "" {
		settings = append(settings, fmt.Sprintf("SET memory_limit = '%s'", opt.MemoryLimit))
	}
	if opt.Threads > 0 {
		settings = append(settings, fmt.Sprintf("SET threads = %d", opt.Threads))
	}
	for _, s := range settings {
		if _, err := db.ExecContext(ctx, s); err != nil {
			db.Close()
			return nil, fmt.Errorf("warehouse %s: %s: %w", path, s, err)
		}
	}
	return w, nil
}

// Close checkpoints a writable warehouse, so the file alone holds everything,
// and closes it.
func (w *Warehouse) Close(ctx context.Context, checkpoint bool) error {
	var err error
	if checkpoint {
		if _, e := w.DB.ExecContext(ctx, "CHECKPOINT"); e != nil {
			err = fmt.Errorf("warehouse %s: checkpoint: %w", w.Path, e)
		}
	}
	if e := w.DB.Close(); e != nil && err == nil {
		err = fmt.Errorf("warehouse %s: close: %w", w.Path, e)
	}
	return err
}
