package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"time"

	"orgqa/internal/vnfmt"
)

// Two different reports of one unit and year in the inbox at once (a
// corrected re-send under another name, saved from email with the sent date
// as its file date): the one prepared later wins — ThongTin's Ngày lập, then
// the file's modification time, then the later load — whatever order the
// files are read in. The other is recorded as superseded, naming the winner,
// and stays listed on the data-quality sheet while both are there. A report
// replaced by one that arrives after it was removed from the inbox is
// replaced, as always.

// Superseded is the manifest outcome of a report that lost to a report of the
// same unit and year prepared later, both in the inbox.
const Superseded Outcome = "superseded"

// rival is a loaded report of the same unit and year, still in the inbox.
type rival struct {
	loadID   int64
	path     string
	prepared sql.NullTime
	modTime  time.Time
}

// supersedeError is a report that loses to a rival: its load is undone and
// recorded as superseded.
type supersedeError struct {
	winner rival
	msg    string
}

func (e *supersedeError) Error() string { return e.msg }

// rivals are the loads of old whose files are still in the inbox, but the
// report's own file (loaded again: --force, or its content changed).
func (l *Loader) rivals(ctx context.Context, conn *sql.Conn, old []int64, own string) ([]rival, error) {
	var out []rival
	for _, id := range old {
		var r rival
		r.loadID = id
		if err := conn.QueryRowContext(ctx, `SELECT m.source_path, (SELECT max(prepared_on)::TIMESTAMP FROM file_info WHERE load_id = m.load_id)
			FROM load_manifest m WHERE m.load_id = ?`, id).Scan(&r.path, &r.prepared); err != nil {
			return nil, err
		}
		src, ok := l.inbox[r.path]
		if !ok || r.path == own {
			continue
		}
		r.modTime = src.ModTime
		out = append(out, r)
	}
	return out, nil
}

// preparedOn is this report's Ngày lập, if it gave one.
func preparedOn(ctx context.Context, conn *sql.Conn, loadID int64) (sql.NullTime, error) {
	var t sql.NullTime
	err := conn.QueryRowContext(ctx, `SELECT max(prepared_on)::TIMESTAMP FROM file_info WHERE load_id = ?`, loadID).Scan(&t)
	return t, err
}

// laterThan reports whether a report prepared on p with file date m was
// prepared later than the rival: Ngày lập when both give one and they differ,
// else the file dates when they differ; a tie goes to the report read now.
func laterThan(p sql.NullTime, m time.Time, r rival) bool {
	if p.Valid && r.prepared.Valid && !p.Time.Equal(r.prepared.Time) {
		return p.Time.After(r.prepared.Time)
	}
	if !m.Equal(r.modTime) {
		return m.After(r.modTime)
	}
	return true
}

func preparedText(p sql.NullTime, m time.Time) string {
	if p.Valid {
		return "lập ngày " + vnfmt.Date(p.Time)
	}
	return "không ghi Ngày lập, tệp lưu ngày " + vnfmt.Date(m.Local())
}

// supersedeMessage tells whose report was used instead of the loser's.
func supersedeMessage(unit string, year int, loser string, lp sql.NullTime, lm time.Time, winner string, wp sql.NullTime, wm time.Time) string {
	return fmt.Sprintf("Đơn vị %s năm %d có hai báo cáo khác nhau trong thư mục nhận: tệp %s (%s) và tệp %s (%s); dùng báo cáo lập sau là tệp %s. Nếu tệp %s mới đúng, hãy gửi lại với Ngày lập mới, hoặc Ban Tổ chức rút tệp kia (orgqa files withdraw)",
		unit, year, filepath.Base(loser), preparedText(lp, lm), filepath.Base(winner), preparedText(wp, wm), filepath.Base(winner), filepath.Base(loser))
}
