package transform

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// Params are the values the models read from the params table. Every threshold
// and cut-off of domain.md §4 is one of these, with its default in Defaults.
type Params struct {
	Year              int
	CommentCutoff     time.Time // M3: comments received on or before this day count (default 15/12/Y)
	AttendanceGoodPct int       // M9: a meeting is well attended above this percentage (default 85)
	ProvinceCode      string
	ProvinceName      string
}

// Defaults returns the parameters of domain.md §4 for year.
func Defaults(year int) Params {
	return Params{
		Year:              year,
		CommentCutoff:     time.Date(year, 12, 15, 0, 0, 0, 0, time.UTC),
		AttendanceGoodPct: 85,
		ProvinceCode:      "TINH",
		ProvinceName:      "Toàn tỉnh",
	}
}

// Run builds every model for p.Year in one transaction: if a model fails, the
// marts stay as they were and the error names the model.
func Run(ctx context.Context, db *sql.DB, models []Model, p Params, log *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	rollback := func(err error) error {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			return fmt.Errorf("%w (and rollback failed: %v)", err, rerr)
		}
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE params AS SELECT
			?::INTEGER AS year,
			make_date(?::INTEGER, 1, 1) AS year_start,
			make_date(?::INTEGER, 12, 31) AS year_end,
			?::DATE AS comment_cutoff,
			?::INTEGER AS attendance_good_pct,
			?::VARCHAR AS province_code,
			?::VARCHAR AS province_name`,
		p.Year, p.Year, p.Year, p.CommentCutoff, p.AttendanceGoodPct, p.ProvinceCode, p.ProvinceName); err != nil {
		return rollback(fmt.Errorf("params: %w", err))
	}
	for _, m := range models {
		start := time.Now()
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return rollback(fmt.Errorf("model %s (%s): %w", m.Name, m.File, err))
		}
		log.Debug("model built", "model", m.Name, "seconds", time.Since(start).Seconds())
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return rollback(fmt.Errorf("commit: %w", err))
	}
	return nil
}
