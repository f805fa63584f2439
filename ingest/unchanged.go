package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"time"
)

// Unchanged says, reading the warehouse only, whether an ingest of dir would
// load nothing and record nothing but when the reports were last seen: every
// report in the inbox is one loaded before (or withdrawn), unchanged to the
// nanosecond of its modification time, and no file would be newly recorded as
// failed or ignored. Then the summary is what LoadDir would return, and
// Touch records the night. Any doubt (a new file, a changed time, a part of a
// joined report, a file that cannot be a report, a warehouse an older orgqa
// wrote) is a no: LoadDir decides those.
//
// A night with nothing new is decided this way from the live warehouse opened
// read-only, so a national warehouse (1,5 GB) is not copied for it.
func (l *Loader) Unchanged(ctx context.Context, dir string) (*Summary, bool, error) {
	if l.Force {
		return nil, false, nil
	}
	if !SchemaCurrent(ctx, l.DB) {
		return nil, false, nil
	}
	d, err := discover(dir)
	if err != nil {
		return nil, false, err
	}
	if len(d.problems) > 0 {
		return nil, false, nil // each is recorded as failed again (unread)
	}
	for _, path := range d.ignored {
		if recorded, err := ignoredBefore(ctx, l.DB, path, unreadHash(path)); err != nil || !recorded {
			return nil, false, err // a new one is recorded by LoadDir (unread)
		}
	}
	conn, err := l.DB.Conn(ctx)
	if err != nil {
		return nil, false, err
	}
	defer conn.Close()
	stats, err := loadFileStats(ctx, conn, false)
	if err != nil {
		return nil, false, err
	}
	rows, err := conn.QueryContext(ctx, seenSQL+` GROUP BY ALL`)
	if err != nil {
		return nil, false, fmt.Errorf("manifest: %w", err)
	}
	known, err := scanSeen(rows)
	if err != nil {
		return nil, false, fmt.Errorf("manifest: %w", err)
	}
	sum := &Summary{}
	for _, src := range d.sources {
		if err := ctx.Err(); err != nil {
			return nil, false, err
		}
		for _, f := range src.Files {
			fi, err := os.Stat(f)
			if err != nil {
				return nil, false, nil // recorded as failed by LoadDir
			}
			if st, ok := stats[f]; !ok || st.size != fi.Size() || st.modNs != fi.ModTime().UnixNano() {
				return nil, false, nil // hashed, and perhaps loaded, by LoadDir
			}
		}
		h, err := hashSourceWith(src, stats) // every file as recorded: nothing is read
		if err != nil {
			return nil, false, nil
		}
		res := FileResult{Source: src, SHA256: h.report}
		if !l.skip(&res, known[h.report]) {
			return nil, false, nil
		}
		sum.Files = append(sum.Files, res)
	}
	return sum, true, nil
}

// Touch records that the reports of sum skipped tonight were in the inbox
// (load_manifest.last_seen_at), as LoadDir does at its end.
func Touch(ctx context.Context, db interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}, sum *Summary, now time.Time) error {
	var shas []string
	for _, f := range sum.Files {
		if f.Outcome == Skipped || f.Outcome == Withdrawn {
			shas = append(shas, f.SHA256)
		}
	}
	if len(shas) == 0 {
		return nil
	}
	_, err := db.ExecContext(ctx, touchSQL, now, duckdbList(shas))
	return err
}
