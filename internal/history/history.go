// Package history records every orgqa run that writes: in the warehouse's runs
// table and as a JSON summary in the output folder, so an analyst can see in the
// morning what the night did and why. It records; it does not run anything.
package history

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Outcomes of a run.
const (
	Running     = "running"     // only in the lock file and in status: never stored
	Succeeded   = "succeeded"   // every step done, nothing rejected
	Rejected    = "rejected"    // every step done, some rows or files rejected
	NoChange    = "no_change"   // nothing new in the input: outputs already current
	Failed      = "failed"      // a step failed; Error says which
	Cancelled   = "cancelled"   // stopped at a safe point by SIGINT/SIGTERM
	Interrupted = "interrupted" // the process died (killed, power cut); recorded by the next run
)

// Step is one step of a run with its figures.
type Step struct {
	Name    string         `json:"name"`
	Started time.Time      `json:"started"`
	Seconds float64        `json:"seconds"`
	Outcome string         `json:"outcome"` // done, skipped, failed, cancelled
	Figures map[string]any `json:"figures,omitempty"`
	Error   string         `json:"error,omitempty"`
}

// Delivery is what became of one delivery (the email).
type Delivery struct {
	Kind    string   `json:"kind"` // email
	To      []string `json:"to,omitempty"`
	OK      bool     `json:"ok"`
	Skipped string   `json:"skipped,omitempty"` // why it was not attempted
	Error   string   `json:"error,omitempty"`
}

// Run is one run, as stored and as written to its JSON summary.
type Run struct {
	ID          int64          `json:"run_id"`
	Command     string         `json:"command"`
	Started     time.Time      `json:"started_at"`
	Finished    *time.Time     `json:"finished_at"`
	Outcome     string         `json:"outcome"`
	Year        int            `json:"year,omitempty"`
	Forced      bool           `json:"forced"`
	Files       Counts         `json:"files"`
	Rows        RowCounts      `json:"rows"`
	Steps       []Step         `json:"steps"`
	Config      map[string]any `json:"config,omitempty"`
	Error       string         `json:"error,omitempty"`
	Fingerprint string         `json:"fingerprint,omitempty"` // the state the published outputs were made from
	Published   string         `json:"published,omitempty"`   // the dated workbook folder
	Deliveries  []Delivery     `json:"deliveries,omitempty"`
	PID         int            `json:"pid"`
	Host        string         `json:"host"`
	Version     string         `json:"version"`
}

// Counts are the input files (reports) of a run's ingest.
type Counts struct {
	Seen    int `json:"seen"`
	Loaded  int `json:"loaded"`
	Skipped int `json:"skipped"` // loaded before, unchanged
	Failed  int `json:"failed"`
}

// RowCounts are the data rows the run's ingest read.
type RowCounts struct {
	Read     int `json:"read"`
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
}

// Seconds is the run's wall time so far.
func (r *Run) Seconds() float64 {
	if r.Finished == nil {
		return time.Since(r.Started).Seconds()
	}
	return r.Finished.Sub(r.Started).Seconds()
}

// EnsureSchema creates the runs table.
func EnsureSchema(ctx context.Context, db *sql.DB) error {
	_, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS runs (
		run_id BIGINT PRIMARY KEY, command VARCHAR NOT NULL,
		started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, outcome VARCHAR NOT NULL,
		year INTEGER, forced BOOLEAN NOT NULL,
		files_seen INTEGER, files_loaded INTEGER, files_skipped INTEGER, files_failed INTEGER,
		rows_read BIGINT, rows_accepted BIGINT, rows_rejected BIGINT,
		steps VARCHAR, config VARCHAR, error VARCHAR, fingerprint VARCHAR, published VARCHAR,
		deliveries VARCHAR, pid INTEGER, host VARCHAR, version VARCHAR)`)
	if err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	return nil
}

// NextID is the id the next run gets.
func NextID(ctx context.Context, db *sql.DB) (int64, error) {
	var id int64
	if err := db.QueryRowContext(ctx, `SELECT coalesce(max(run_id), 0) + 1 FROM runs`).Scan(&id); err != nil {
		return 0, fmt.Errorf("runs: %w", err)
	}
	return id, nil
}

// Execer is a *sql.DB or a *sql.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Save stores r, replacing an earlier row of the same id.
func Save(ctx context.Context, db Execer, r *Run) error {
	js := func(v any) (any, error) {
		if v == nil {
			return nil, nil
		}
		b, err := json.Marshal(v)
		return string(b), err
	}
	steps, err := js(r.Steps)
	if err != nil {
		return err
	}
	cfg, err := js(r.Config)
	if err != nil {
		return err
	}
	var del any
	if len(r.Deliveries) > 0 {
		if del, err = js(r.Deliveries); err != nil {
			return err
		}
	}
	var finished any
	if r.Finished != nil {
		finished = r.Finished.UTC()
	}
	_, err = db.ExecContext(ctx, `INSERT OR REPLACE INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Command, r.Started.UTC(), finished, r.Outcome, nullInt(r.Year), r.Forced,
		r.Files.Seen, r.Files.Loaded, r.Files.Skipped, r.Files.Failed,
		r.Rows.Read, r.Rows.Accepted, r.Rows.Rejected,
		steps, cfg, nullStr(r.Error), nullStr(r.Fingerprint), nullStr(r.Published), del, r.PID, r.Host, r.Version)
	if err != nil {
		return fmt.Errorf("runs: save run %d: %w", r.ID, err)
	}
	return nil
}

// LastFingerprint is the state of the warehouse that the last finished run for
// year made its outputs from ("" if none).
func LastFingerprint(ctx context.Context, db *sql.DB, year int) (string, error) {
	var fp sql.NullString
	err := db.QueryRowContext(ctx, `SELECT fingerprint FROM runs WHERE year = ? AND fingerprint IS NOT NULL
		AND outcome IN ('succeeded', 'rejected', 'no_change') ORDER BY run_id DESC LIMIT 1`, year).Scan(&fp)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return fp.String, err
}

// Last returns the last n runs, newest first.
func Last(ctx context.Context, db *sql.DB, n int) ([]Run, error) {
	var exists bool
	if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE table_name = 'runs'`).Scan(&exists); err != nil || !exists {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, `SELECT run_id, command, started_at, finished_at, outcome, coalesce(year, 0), forced,
		files_seen, files_loaded, files_skipped, files_failed, rows_read, rows_accepted, rows_rejected,
		coalesce(steps, ''), coalesce(config, ''), coalesce(error, ''), coalesce(fingerprint, ''), coalesce(published, ''),
		coalesce(deliveries, ''), pid, host, version
		FROM runs ORDER BY run_id DESC LIMIT ?`, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		var r Run
		var fin sql.NullTime
		var steps, cfg, del string
		if err := rows.Scan(&r.ID, &r.Command, &r.Started, &fin, &r.Outcome, &r.Year, &r.Forced,
			&r.Files.Seen, &r.Files.Loaded, &r.Files.Skipped, &r.Files.Failed, &r.Rows.Read, &r.Rows.Accepted, &r.Rows.Rejected,
			&steps, &cfg, &r.Error, &r.Fingerprint, &r.Published, &del, &r.PID, &r.Host, &r.Version); err != nil {
			return nil, err
		}
		if fin.Valid {
			t := fin.Time
			r.Finished = &t
		}
		for _, p := range []struct {
			s string
			v any
		}{{steps, &r.Steps}, {cfg, &r.Config}, {del, &r.Deliveries}} {
			if p.s != "" {
				if err := json.Unmarshal([]byte(p.s), p.v); err != nil {
					return nil, fmt.Errorf("runs: run %d: %w", r.ID, err)
				}
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}
