// Package ingest loads reporting units' workbooks and CSV sets (input contract v1,
// domain.md §3) into the warehouse: one transaction per report, every row either
// accepted into its table or rejected with a reason, every file in the manifest.
// It reads files and writes the loaded tables; it computes no metrics.
package ingest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"orgqa/internal/faults"
	"orgqa/internal/vnfmt"
	"orgqa/internal/warehouse"
)

// Outcome is what happened to one report.
type Outcome string

const (
	Loaded  Outcome = "loaded"  // rows loaded (replacing any earlier load of the unit and year)
	Skipped Outcome = "skipped" // this exact content was loaded before
	Failed  Outcome = "failed"  // nothing loaded; Err says why
)

// FileResult is the outcome of one report.
type FileResult struct {
	Source Source
	SHA256 string
	LoadID int64
	Unit   string
	Year   int
	// Declared is the unit code ThongTin gives when the report was read as
	// another known unit (UnitStatus restored), or a new unit's (UnitStatus new)
	Declared, UnitStatus     string
	Outcome                  Outcome
	Read, Accepted, Rejected int
	Replaced                 []int64 // earlier loads of the same unit and year
	Notes                    []string
	// Warnings are the notes the unit must act on (an empty required sheet, a
	// row above the header that could not be read): also in Notes, kept in
	// load_notes and listed in the unit's return workbook.
	Warnings []string
	// conflicts are DonVi rows refused because another unit's report lists
	// the same organization or cell for the year (claims.go); claimed, the
	// organizations and cells it lists, accepted
	conflicts   []conflict
	claimed     []string
	split       *unitSplit   // a workbook of several units: the rows of one (several.go)
	Conversions []Conversion // text converted from a legacy encoding
	Err         error
}

// Conversion is the cells of one column converted from a legacy encoding.
type Conversion struct {
	Sheet, Column string
	Encoding      Encoding
	Cells         int
	Before, After string // one example
}

// Summary is the outcome of a whole ingest.
type Summary struct {
	Files    []FileResult
	Problems []error // files that could not be a report at all
}

// Count returns the reports with the given outcome.
func (s *Summary) Count(o Outcome) int {
	n := 0
	for _, f := range s.Files {
		if f.Outcome == o {
			n++
		}
	}
	return n
}

// RowsRejected is the number of rejected rows over all reports.
func (s *Summary) RowsRejected() int {
	n := 0
	for _, f := range s.Files {
		n += f.Rejected
	}
	return n
}

// Clean reports that every file loaded (or was already loaded) without a rejected row.
func (s *Summary) Clean() bool {
	return len(s.Problems) == 0 && s.Count(Failed) == 0 && s.RowsRejected() == 0
}

// Loader loads reports into an open warehouse.
type Loader struct {
	DB     *sql.DB
	Log    *slog.Logger
	Now    func() time.Time
	Limits Limits // zero fields take DefaultLimits
	// Force reloads reports whose content was loaded before (the new load
	// replaces the old one), for a rebuild after orgqa itself changed.
	Force bool
	// Progress, when set, is told after each report.
	Progress func(done, total int, path string)
	// NoPrefetch reads each report only when its turn comes (see prefetch.go).
	NoPrefetch bool

	// Units is the province's official list of reporting units (config); nil:
	// the units of the reports accepted before are the known ones (units.go)
	Units []KnownUnit

	// stats: the inbox files' size, time and hash when last hashed (nil under
	// Force); fresh: this ingest's, recorded at its end
	stats, fresh map[string]fileStat
	// known: the manifest's contents when the ingest began (seenSQL);
	// touched: the contents skipped, whose last_seen_at is set at the end
	known   map[string]seenContent
	touched []string
	// begun: the contents this ingest has begun to load. Only these can have
	// manifest rows it does not know: any other one outside known is new,
	// without asking (at province scale the question was 2,5 ms a report)
	begun  map[string]bool
	claims *claimIndex // organizations and cells claimed, per year (claims.go)
	units  *unitIndex
	inbox  map[string]Source // the reports found in the inbox, by path (supersede.go)
	// partsDone: the parts of split reports are being loaded (parts.go)
	partsDone bool
	group     txGroup // reports loaded and not yet committed (group.go)
}

// ingestGCPercent is Go's GOGC while reports load (unless GOGC is set). A
// province's ingest allocates about 900 MB, nearly all of it short-lived (each
// sheet's XML, each row's cells) beside a heap of tens of MB: collecting when
// the heap has grown fivefold rather than doubled cuts the collections.
// Province ingest, alternating: 5,62-5,95 s at 100, 5,13-5,50 s at 200
// (2026-12-05); 3,29-3,40 s at 400 against 3,48-3,55 s at 200 (2026-12-07),
// peak RSS 228-237 MiB against 193-195, under the transform's.
//
// ingestMemoryLimit is Go's soft memory limit meanwhile (unless GOMEMLIMIT is
// set): near it the collector works harder, so a report too big to read
// ahead does not grow the heap fivefold. The million rejected rows of one
// sheet: 200-215 MiB, against 231-251 at GOGC 200 without it, and 470-474
// at 400 without it. 96 MiB, not 128: a province's heap never reaches it
// (its goal stays under 75 MB: gctrace), so its ingest is unchanged
// (3,37-3,48 s against 3,43-3,54, 3 alternating pairs); the nation's heap,
// which grows with its 3.960 reports' bookkeeping, sat at 128 MiB and made
// the national ingest's peak 315-322 MiB; at 96 it was 289 MiB in 147 s
// (against 152). The million rejected rows' run: 21,9-22,1 s against
// 21,9-23,0.
const (
	ingestGCPercent   = 400
	ingestMemoryLimit = 96 << 20
)

// LoadDir loads every report found in dir. A broken report is recorded and the
// others still load; the error is for the warehouse itself failing.
func (l *Loader) LoadDir(ctx context.Context, dir string) (*Summary, error) {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(ingestGCPercent))
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(ingestMemoryLimit))
	}
	d, err := discover(dir)
	if err != nil {
		return nil, err
	}
	sources, problems := d.sources, d.problems
	l.inbox = make(map[string]Source, len(sources))
	for _, src := range sources {
		l.inbox[src.Path] = src
	}
	if err := EnsureSchema(ctx, l.DB); err != nil {
		return nil, err
	}
	if l.claims, err = loadClaims(ctx, l.DB); err != nil {
		return nil, err
	}
	if l.units, err = loadUnits(ctx, l.DB, l.Units); err != nil {
		return nil, err
	}
	sum := &Summary{Problems: problems}
	conn, err := l.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if l.stats, err = loadFileStats(ctx, conn, l.Force); err != nil {
		return nil, err
	}
	l.fresh = map[string]fileStat{}
	rows, err := conn.QueryContext(ctx, seenSQL+` GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if l.known, err = scanSeen(rows); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	l.begun = map[string]bool{}
	defer func() {
		if err := l.touch(context.WithoutCancel(ctx), conn); err != nil {
			l.Log.Warn("could not record when the reports already loaded were last seen", "error", err)
		}
		if err := l.saveFileStats(context.WithoutCancel(ctx), conn); err != nil {
			l.Log.Warn("could not record the inbox files' sizes and times: the next night hashes them again", "error", err)
		}
	}()
	if err := l.unread(ctx, conn, problems, d.ignored); err != nil {
		return nil, err
	}
	// A report, once begun, is loaded to its end: a cancelled ctx (SIGINT,
	// SIGTERM) stops the loop between reports, never inside one.
	work := context.WithoutCancel(ctx)
	done := make(chan struct{})
	defer close(done)
	var ahead <-chan *prefetched
	if !l.NoPrefetch {
		ahead = l.prefetch(work, conn, sources, done)
	}
	var parts []Source // workbooks without ThongTin: parts of a split report
	finished := 0      // sources read (a several-unit workbook gives several results)
	one := func(src Source, p *prefetched) error {
		res, err := l.loadSource(work, conn, src, p)
		if errors.Is(err, errPart) {
			parts = append(parts, src)
			return nil
		}
		if err != nil {
			return err
		}
		sum.Files = append(sum.Files, res...) // several when a workbook held several units' reports
		finished++
		if l.Progress != nil {
			l.Progress(finished, len(sources), src.Path)
		}
		return nil
	}
	// the reports in the open transaction, and what was done before them
	var group []Source
	mark := groupMark{}
	// regroup loads again, a transaction each as if never grouped, the
	// reports of a group the warehouse refused (rolled back: errRegroup),
	// from the state before the group
	regroup := func(srcs []Source) error {
		sum.Files, parts, finished = sum.Files[:mark.files], parts[:mark.parts], mark.finished
		if err := l.reload(work, conn, sum.Files); err != nil {
			return err
		}
		defer func(was bool) { l.group.oneByOne = was }(l.group.oneByOne)
		l.group.oneByOne = true
		for _, g := range srcs {
			if err := one(g, nil); err != nil { // read again from the file, not kept from the read-ahead
				return err
			}
		}
		return nil
	}
	loop := func() error {
		for _, src := range sources {
			if err := ctx.Err(); err != nil {
				return err
			}
			var p *prefetched
			if ahead != nil {
				p = <-ahead
			}
			if len(group) == 0 {
				mark = groupMark{files: len(sum.Files), parts: len(parts), finished: finished}
			}
			err := one(src, p)
			if errors.Is(err, errRegroup) {
				// the warehouse refused something of this report inside a
				// transaction holding others, or its count of the group
				// differed: all were rolled back
				l.Log.Warn("a report failed inside a group of reports loaded together: the group is loaded again, a report at a time",
					"source", src.Path, "group", len(group)+1)
				err = regroup(append(group, src))
				group = nil
			}
			if err != nil {
				return err
			}
			if l.group.open {
				group = append(group, src)
			} else {
				group = nil
			}
			faults.Point("ingest.report")
		}
		return nil
	}
	err = loop()
	// the open group is committed after a stop between reports too: what
	// finished before is kept
	serr := l.settle(work, conn, true)
	if errors.Is(serr, errRegroup) {
		l.Log.Warn("the last group of reports loaded together is loaded again, a report at a time", "group", len(group))
		serr = regroup(group)
	}
	if serr != nil && err == nil {
		err = fmt.Errorf("commit: %w", serr)
	}
	if err != nil {
		return sum, err
	}
	defer func(was bool) { l.group.oneByOne = was }(l.group.oneByOne)
	l.group.oneByOne = true
	if err := l.loadParts(work, conn, parts, sum); err != nil {
		return sum, err
	}
	return sum, nil
}

// seenSQL is, per content, whether it was loaded, or replaced by a later
// report (not by one the operator withdrew since: as on a night without that
// one, the earlier report loads again), or withdrawn (it stays out, even
// under --force); with its unit and year.
const seenSQL = `SELECT m.sha256, count(*) FILTER (WHERE m.outcome <> 'withdrawn'), count(*) FILTER (WHERE m.outcome = 'withdrawn'),
		coalesce(any_value(m.reporting_unit), ''), coalesce(any_value(m.report_year), 0)
	FROM load_manifest m LEFT JOIN load_manifest b ON b.load_id = m.replaced_by
	WHERE (m.outcome IN ('loaded', 'withdrawn') OR m.outcome IN ('replaced', 'superseded') AND b.outcome IS DISTINCT FROM 'withdrawn')`

// seenContent is what the manifest says of a content.
type seenContent struct {
	seen, withdrawn int
	unit            string
	year            int
}

func scanSeen(rows *sql.Rows) (map[string]seenContent, error) {
	defer rows.Close()
	out := map[string]seenContent{}
	for rows.Next() {
		var sha string
		var k seenContent
		if err := rows.Scan(&sha, &k.seen, &k.withdrawn, &k.unit, &k.year); err != nil {
			return nil, err
		}
		out[sha] = k
	}
	return out, rows.Err()
}

// touch records that the skipped contents were in the inbox tonight, in one statement.
func (l *Loader) touch(ctx context.Context, conn *sql.Conn) error {
	if len(l.touched) == 0 {
		return nil
	}
	_, err := conn.ExecContext(ctx, touchSQL, l.now(), duckdbList(l.touched))
	l.touched = nil
	return err
}

const touchSQL = `UPDATE load_manifest SET last_seen_at = ?
	WHERE outcome IN ('loaded', 'replaced', 'superseded', 'withdrawn') AND list_contains(` + listParam + `, sha256)`

// loadFileStats reads the files' last sizes, times and hashes; none under force.
func loadFileStats(ctx context.Context, conn *sql.Conn, force bool) (map[string]fileStat, error) {
	out := map[string]fileStat{}
	if force {
		return out, nil
	}
	rows, err := conn.QueryContext(ctx, `SELECT path, size, mod_ns, sha256 FROM file_stats`)
	if err != nil {
		return nil, fmt.Errorf("file stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var st fileStat
		if err := rows.Scan(&p, &st.size, &st.modNs, &st.sha); err != nil {
			return nil, err
		}
		out[p] = st
	}
	return out, rows.Err()
}

// saveFileStats records the files hashed this ingest whose size, time or hash
// changed, in one transaction.
func (l *Loader) saveFileStats(ctx context.Context, conn *sql.Conn) error {
	var changed []string
	for f, st := range l.fresh {
		if old, ok := l.stats[f]; !ok || old != st {
			changed = append(changed, f)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	sort.Strings(changed)
	return inTxConn(ctx, conn, func() error {
		for _, f := range changed {
			st := l.fresh[f]
			if _, err := conn.ExecContext(ctx, `INSERT OR REPLACE INTO file_stats VALUES (?, ?, ?, ?)`, f, st.size, st.modNs, st.sha); err != nil {
				return err
			}
		}
		return nil
	})
}

// inTxConn runs fn in a transaction on conn: committed, or rolled back on error.
func inTxConn(ctx context.Context, conn *sql.Conn, fn func() error) error {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	if err := fn(); err != nil {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			return errors.Join(err, rerr)
		}
		return err
	}
	_, err := conn.ExecContext(ctx, "COMMIT")
	return err
}

// Ignored is the manifest outcome of a file in the inbox of no format orgqa
// reads (a note, a PDF): recorded once per content, so the unit can be told.
const Ignored Outcome = "ignored"

// unread records in the manifest every file of the inbox that is not read:
// a file that cannot be a report (a CSV named against the rule, a folder that
// cannot be read) as failed, a file of another format as ignored.
func (l *Loader) unread(ctx context.Context, conn *sql.Conn, problems []error, ignored []string) error {
	for _, p := range problems {
		var fe *FileError
		if !errors.As(p, &fe) {
			fe = &FileError{Msg: p.Error(), Reason: "Không đọc được", Err: p}
		}
		l.Log.Warn("skipped file", "error", p)
		res := FileResult{Source: Source{Path: fe.Path, Kind: kindOf(fe.Path), Files: []string{fe.Path}}, SHA256: unreadHash(fe.Path)}
		if _, err := l.fail(ctx, conn, res, l.now(), fe); err != nil {
			return err
		}
	}
	for _, path := range ignored {
		sha := unreadHash(path)
		recorded, err := ignoredBefore(ctx, conn, path, sha)
		if err != nil {
			return err
		}
		if recorded {
			continue
		}
		l.Log.Info("not a report: ignored", "file", path)
		ext := strings.ToLower(filepath.Ext(path))
		if ext == "" {
			ext = "(không có đuôi)"
		}
		msg := fmt.Sprintf("Không phải tệp báo cáo (định dạng %s): không đọc. Báo cáo gửi dưới dạng .xlsx, .xls, .ods hoặc CSV", ext)
		if _, err := conn.ExecContext(ctx, `DELETE FROM load_manifest WHERE outcome = 'ignored' AND source_path = ?`, path); err != nil {
			return err
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO load_manifest
			SELECT coalesce(max(load_id), 0) + 1, ?, 'other', ?, `+listParam+`, NULL, NULL, 0, 0, 0, ?, ?, 'ignored', ?, NULL, ?, NULL, NULL, NULL, NULL, NULL FROM load_manifest`,
			path, sha, duckdbList([]string{path}), l.now(), l.now(), msg, l.now()); err != nil {
			return fmt.Errorf("manifest: %w", err)
		}
	}
	return nil
}

// ignoredBefore says whether the manifest already lists path, with this
// content, as ignored (not a report).
func ignoredBefore(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, path, sha string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, `SELECT count(*) FROM load_manifest WHERE outcome = 'ignored' AND source_path = ? AND sha256 = ?`,
		path, sha).Scan(&n); err != nil {
		return false, fmt.Errorf("manifest: %w", err)
	}
	return n > 0, nil
}

// unreadHash is a file's content hash, or for what cannot be hashed (a
// folder, a broken link) one of its path.
func unreadHash(path string) string {
	if sha, err := fileSHA256(path); err == nil {
		return sha
	}
	sum := sha256.Sum256([]byte("path:" + path))
	return "path:" + hex.EncodeToString(sum[:])
}

func kindOf(path string) string {
	switch ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(path)), "."); ext {
	case "xlsx", "xlsm", "xls", "ods", "csv":
		return ext
	}
	return "other"
}

func (l *Loader) now() time.Time {
	if l.Now != nil {
		return l.Now().UTC()
	}
	return time.Now().UTC()
}

// loadSource loads one report. Problems with the report go into the result;
// a returned error means the warehouse failed and the run must stop.
func (l *Loader) loadSource(ctx context.Context, conn *sql.Conn, src Source, p *prefetched) ([]FileResult, error) {
	one := func(r FileResult, err error) ([]FileResult, error) { return []FileResult{r}, err }
	res := FileResult{Source: src}
	started := l.now()
	var hashes sourceHashes
	var err error
	if p != nil {
		hashes, err = p.hashes, p.hashErr
	} else {
		hashes, err = hashSourceWith(src, l.stats)
	}
	for f, st := range hashes.stats {
		l.fresh[f] = st
	}
	if err != nil {
		return one(l.fail(ctx, conn, res, started, &FileError{Path: src.Path, Msg: "cannot read", Reason: "Không đọc được tệp", Err: err}))
	}
	res.SHA256 = hashes.report
	// seen: this content was loaded, or replaced by a later report (not by
	// one the operator withdrew since: as on a night without that one, the
	// earlier report loads again); withdrawn stays out, even under --force
	// what the manifest knew when the ingest began; content loaded since is asked for
	k, known := l.known[res.SHA256]
	if !known && l.begun[res.SHA256] {
		rows, err := conn.QueryContext(ctx, seenSQL+` AND m.sha256 = ? GROUP BY ALL`, res.SHA256)
		if err != nil {
			return one(res, fmt.Errorf("manifest: %w", err))
		}
		got, err := scanSeen(rows)
		if err != nil {
			return one(res, fmt.Errorf("manifest: %w", err))
		}
		k = got[res.SHA256]
	}
	l.begun[res.SHA256] = true
	if l.skip(&res, k) {
		l.touched = append(l.touched, res.SHA256) // last_seen_at, for all at the end
		return one(res, nil)
	}
	var rr *reportReader
	switch {
	case p != nil && p.openErr != nil:
		err = p.openErr
	case p != nil && p.rr != nil:
		rr = p.rr
	default:
		err = guarded(src.Path, func() error {
			var err error
			rr, err = openReport(src, hashes.files, l.Limits.orDefault())
			return err
		})
	}
	if err != nil {
		return one(l.fail(ctx, conn, res, started, err))
	}
	defer rr.close()
	for _, ss := range rr.sheets {
		if ss.date1904 {
			res.Notes = append(res.Notes, "Tệp dùng hệ ngày 1904 (Excel cho Mac): các ngày đã được đọc theo hệ này")
			break
		}
	}
	for _, spec := range Contract {
		if rr.sheets[spec] == nil {
			if spec.Name == "ThongTin" && len(rr.sheets) > 0 && len(src.Parts) == 0 && !l.partsDone {
				return one(res, errPart) // a part of a report split over several files (parts.go)
			}
			if spec.Required {
				return one(l.fail(ctx, conn, res, started, &FileError{Path: src.Path, Sheet: spec.Name,
					Msg:    fmt.Sprintf("no sheet %s (found %s)", spec.Name, quoteList(rr.extra)),
					Reason: fmt.Sprintf("Thiếu sheet %s", spec.Name)}))
			}
			res.Notes = append(res.Notes, fmt.Sprintf("Không có sheet %s", spec.Name))
		}
	}
	res, err = l.loadReport(ctx, conn, rr, res, started)
	var several *severalUnits
	if errors.As(res.Err, &several) {
		// its own transactions, as it has always had
		if err := l.settle(ctx, conn, false); err != nil {
			return []FileResult{res}, fmt.Errorf("commit: %w", err)
		}
		defer func(was bool) { l.group.oneByOne = was }(l.group.oneByOne)
		l.group.oneByOne = true
		return l.loadSeveral(ctx, conn, rr, res, started, several)
	}
	return []FileResult{res}, err
}

// skip says whether a report whose content the manifest knows as k is not
// loaded again, and sets its outcome then.
func (l *Loader) skip(res *FileResult, k seenContent) bool {
	if k.withdrawn == 0 && (k.seen == 0 || l.Force) {
		return false
	}
	res.Outcome, res.Unit, res.Year = Skipped, k.unit, k.year
	if k.withdrawn > 0 {
		res.Outcome = Withdrawn
		l.Log.Info("withdrawn by the operator: not loaded (orgqa files restore puts it back)", "source", res.Source.Path)
	} else {
		l.Log.Debug("already loaded", "source", res.Source.Path, "sha256", res.SHA256)
	}
	return true
}

// loadReport loads an opened report in one transaction: every row, or
// nothing. A report that loses to a rival prepared later is recorded as
// superseded, one that cannot be loaded as failed; a workbook naming several
// units comes back with a *severalUnits Err and nothing recorded.
func (l *Loader) loadReport(ctx context.Context, conn *sql.Conn, rr *reportReader, res FileResult, started time.Time) (FileResult, error) {
	src := res.Source
	if !l.group.open {
		if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
			return res, err
		}
		l.group.open = true
	}
	grouped := l.group.reports > 0 // the transaction holds other reports too
	if err := conn.QueryRowContext(ctx, `SELECT coalesce(max(load_id), 0) + 1 FROM load_manifest`).Scan(&res.LoadID); err != nil {
		return res, l.rollback(ctx, conn, grouped, err)
	}
	if !l.group.oneByOne && l.group.first == 0 {
		l.group.first = res.LoadID
	}
	loadErr := l.loadRows(ctx, conn, rr, &res)
	if loadErr == nil && lostRowFault != nil && lostRowFault(src.Path) {
		_, loadErr = conn.ExecContext(ctx, `DELETE FROM members WHERE load_id = $1
			AND source_row = (SELECT min(source_row) FROM members WHERE load_id = $1)`, res.LoadID)
	}
	if loadErr == nil {
		loadErr = l.finish(ctx, conn, &res, started)
	}
	if loadErr == nil {
		loadErr = recordSources(ctx, conn, res.LoadID, rr)
	}
	if loadErr == nil && warehouseFault != nil && warehouseFault(src.Path) {
		_, loadErr = conn.ExecContext(ctx, `SELECT error('fault injected by a test')`)
	}
	if loadErr != nil {
		if !grouped || !undoable(loadErr) || l.undo(ctx, conn, res.LoadID) != nil {
			if err := l.rollback(ctx, conn, grouped, loadErr); err != loadErr {
				return res, err
			}
		}
		res.Accepted, res.Rejected = 0, 0
		var several *severalUnits
		if errors.As(loadErr, &several) && res.split == nil && src.Kind != "csv" && len(src.Parts) == 0 {
			res.Err = several
			return res, nil
		}
		var se *supersedeError
		if errors.As(loadErr, &se) {
			res.Outcome = Superseded
			l.Log.Warn("another report of the unit and year, prepared later, is in the inbox: this one is superseded",
				"source", src.Path, "unit", res.Unit, "year", res.Year, "winner", se.winner.path)
			// listed once, as a failure is
			// (one that loaded before a rival superseded it leaves its sources
			// too: its load id may be given again)
			for _, t := range []string{"load_sources", "load_manifest"} {
				if _, err := conn.ExecContext(ctx, `DELETE FROM `+t+` WHERE load_id IN (SELECT load_id FROM load_manifest
					WHERE sha256 = ? AND outcome = 'superseded' AND reporting_unit IS NOT DISTINCT FROM ?)`, res.SHA256, res.Unit); err != nil {
					return res, err
				}
			}
			return res, l.record(ctx, conn, res, started, Superseded, se.msg, se.winner.loadID)
		}
		return l.fail(ctx, conn, res, started, loadErr)
	}
	l.group.reports++
	l.group.rows += res.Read
	if !l.group.oneByOne {
		l.group.loaded = append(l.group.loaded, loadCount{loadID: res.LoadID, path: src.Path, accepted: res.Accepted, rejected: res.Rejected})
	}
	if l.group.oneByOne || l.group.rows >= groupRows {
		if err := l.settle(ctx, conn, false); err != nil {
			return res, fmt.Errorf("commit %s: %w", src.Path, err)
		}
	}
	if dv := rr.sheets[SheetByName("DonVi")]; dv != nil {
		l.claims.replace(res.Year, res.Unit, dv.file, res.claimed)
	}
	res.Outcome = Loaded
	l.units.accepted(res.Unit)
	l.Log.Info("loaded", "source", src.Path, "unit", res.Unit, "year", res.Year, "rows", res.Read,
		"accepted", res.Accepted, "rejected", res.Rejected, "replaced_loads", len(res.Replaced))
	return res, nil
}

// recordSources keeps where each sheet of a loaded report was read (the
// file, its hash, the sheet's name): one row per sheet in load_sources, in
// one statement.
func recordSources(ctx context.Context, conn *sql.Conn, loadID int64, rr *reportReader) error {
	var values []string
	var args []any
	for _, spec := range Contract {
		ss := rr.sheets[spec]
		if ss == nil {
			continue
		}
		values = append(values, "(?, ?, ?, ?, ?, ?)")
		args = append(args, loadID, spec.Table, spec.Name, ss.sheet, ss.file, ss.sha)
	}
	if len(values) == 0 {
		return nil
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO load_sources VALUES `+strings.Join(values, ", "), args...)
	return err
}

// fail records a report that could not be loaded. An earlier failure of the same
// content is replaced, so a file that keeps failing does not pile up rows.
func (l *Loader) fail(ctx context.Context, conn *sql.Conn, res FileResult, started time.Time, cause error) (FileResult, error) {
	var fe *FileError
	if !errors.As(cause, &fe) {
		fe = &FileError{Path: res.Source.Path, Msg: "cannot load", Reason: "Không nạp được tệp", Err: cause}
	}
	res.Outcome, res.Err = Failed, fe
	if res.Unit == "" {
		// its name may say whose it is: the unit then gets it back
		if unit, year := l.units.fromName(res.Source.Path); unit != "" {
			res.Unit, res.Year = unit, year
			if year == 0 {
				res.Year = l.latestYear(ctx, conn)
			}
		}
	}
	l.Log.Error("report not loaded", "source", res.Source.Path, "unit", res.Unit, "error", fe)
	unit := "" // a unit's part of a several-unit workbook replaces that part's failure only
	if res.split != nil {
		unit = res.Unit
	}
	if err := l.dropFailures(ctx, conn, res.SHA256, unit); err != nil {
		return res, err
	}
	msg := fe.Reason
	if fe.Err != nil {
		msg += ": " + fe.Err.Error()
	}
	return res, l.record(ctx, conn, res, started, Failed, msg, 0)
}

// dropFailures removes the recorded failures of a content (of one unit's
// part, when unit is given) with the notes they left for other units.
func (l *Loader) dropFailures(ctx context.Context, conn *sql.Conn, sha, unit string) error {
	where := `sha256 = ? AND outcome = 'failed' AND (? = '' OR reporting_unit = ?)`
	if _, err := conn.ExecContext(ctx, `DELETE FROM load_notes WHERE load_id IN (SELECT load_id FROM load_manifest WHERE `+where+`)`, sha, unit, unit); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, `DELETE FROM load_manifest WHERE `+where, sha, unit, unit)
	return err
}

// record writes the manifest row of a report that loaded nothing.
func (l *Loader) record(ctx context.Context, conn *sql.Conn, res FileResult, started time.Time, outcome Outcome, msg string, replacedBy int64) error {
	var by any
	if replacedBy > 0 {
		by = replacedBy
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO load_manifest
		SELECT coalesce(max(load_id), 0) + 1, ?, ?, ?, `+listParam+`, ?, ?, ?, 0, 0, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ? FROM load_manifest`,
		res.Source.Path, res.Source.Kind, res.SHA256, duckdbList(res.Source.Files), nullStr(res.Unit), nullInt(res.Year),
		res.Read, started, l.now(), string(outcome), msg, by, l.now(), nullStr(res.Declared), nullStr(res.UnitStatus))
	return err
}

// latestYear is the latest year with an accepted report (the season under
// way), 0 if none.
func (l *Loader) latestYear(ctx context.Context, conn *sql.Conn) int {
	var y sql.NullInt64
	conn.QueryRowContext(ctx, `SELECT max(report_year) FROM load_manifest WHERE outcome = 'loaded'`).Scan(&y)
	return int(y.Int64)
}

// duckdbList passes a list of strings as one parameter (see warehouse.ListArg).
func duckdbList(xs []string) string { return warehouse.ListArg(xs) }

const listParam = warehouse.ListParam

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

// loadRows streams every contract sheet into its table through the Appender,
// and rows that break the contract into rejects.
func (l *Loader) loadRows(ctx context.Context, conn *sql.Conn, rr *reportReader, res *FileResult) error {
	st := newSetState()
	// guarded inside Raw: database/sql closes a connection whose Raw function panics
	return conn.Raw(func(dc any) error {
		return guarded(res.Source.Path, func() error { return l.loadWith(dc, rr, res, st) })
	})
}

// loadWith streams the report's sheets over the driver connection dc, through
// a sink (sink.go) that appends the rows while the next are parsed.
func (l *Loader) loadWith(dc any, rr *reportReader, res *FileResult, st *setState) (err error) {
	dconn, ok := dc.(driver.Conn)
	if !ok {
		return fmt.Errorf("unexpected driver connection %T", dc)
	}
	sk := newSink(dconn, len(Contract)+1)
	defer func() { // on a panic in a reader too: the transaction is rolled back after
		// what the sink failed on came before whatever stopped the loader
		if serr := sk.stop(); serr != nil {
			err = serr
		}
	}()
	// every Appender is opened first: opened at its sheet, the sink would
	// open it only after adding the sheet before to its table (the
	// connection is the flusher's alone), and copy nothing meanwhile
	rejects := sk.open("rejects")
	apps := make(map[*SheetSpec]int, len(Contract))
	for _, spec := range Contract {
		if rr.sheets[spec] != nil {
			apps[spec] = sk.open(spec.Table) // closed by the sink's stop if its sheet is not done
		}
	}
	var missing []*missingColumns
	for _, spec := range Contract {
		ss := rr.sheets[spec]
		if ss == nil {
			continue
		}
		err := l.appendSheet(sk, rejects, apps[spec], spec, ss, res, st)
		var mc *missingColumns
		if errors.As(err, &mc) {
			missing = append(missing, mc) // every sheet's missing columns are said at once
			continue
		}
		if err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		return missingError(missing)
	}
	sk.close(rejects, nil)
	return nil
}

// missingColumns is a sheet with no header naming its required columns.
type missingColumns struct {
	ss *sheetSource
	me *MissingHeaderError
}

func (m *missingColumns) Error() string { return m.me.Error() }

// missingError is one error for every sheet whose required columns are
// missing, so the unit mends them all before sending the report again.
func missingError(ms []*missingColumns) error {
	var msgs, reasons []string
	for _, m := range ms {
		msgs = append(msgs, m.ss.sheet+": "+m.me.Error())
		reasons = append(reasons, vietnameseMissing(m.me))
	}
	return &FileError{Path: ms[0].ss.file, Sheet: ms[0].ss.sheet, Msg: strings.Join(msgs, "; "), Reason: strings.Join(reasons, "; ")}
}

// appendSheet loads one sheet. The ThongTin sheet comes first and names the unit
// and year every later row carries.
func (l *Loader) appendSheet(sk *sink, rejects, app int, spec *SheetSpec, ss *sheetSource, res *FileResult, st *setState) error {
	it, err := ss.open()
	if err != nil {
		return &FileError{Path: ss.file, Sheet: ss.sheet, Msg: "cannot read sheet", Reason: "Không đọc được sheet", Err: err}
	}
	faults.Point("ingest.sheet")
	enc, _ := it.(interface{ Encoding() string })
	it = &closeOnce{rowIter: it}
	defer it.Close()
	finder, err := newHeaderFinder(spec)
	if err != nil {
		return err
	}
	colIdx := map[string]int{}
	for i, c := range spec.Columns {
		colIdx[c.Name] = i
	}
	var hm *HeaderMap
	var parser *rowParser
	var checks *sheetChecks
	// cand is a header found but not yet taken: a row of sub-headers right
	// under it may name more columns (the header block of an official form)
	var cand *HeaderMap
	candHits := 0
	underHeader := false      // the next row with something in it is the first under the header
	sigFirst, sigLast := 0, 0 // a signature or footer block under the data
	phrases := textMemo{}
	useHeader := func() error {
		hm, cand = cand, nil
		underHeader = true
		if st.headersOnly {
			return nil
		}
		parser = newRowParser(hm, colIdx)
		parser.date1904 = ss.date1904
		var err error
		checks, err = st.sheet(spec)
		return err
	}
	vals := make([]any, len(spec.Columns))
	row := make([]driver.Value, provenanceColumns+len(spec.Columns))
	var probs []problem
	rowNum, dataRows := 0, 0
	maxRows := l.Limits.orDefault().MaxRows
	appendErr := func() error {
		for it.Next() {
			rowNum++
			if rowNum > maxRows {
				return &FileError{Path: ss.file, Sheet: ss.sheet, Msg: fmt.Sprintf("more than %d rows", maxRows),
					Reason: fmt.Sprintf("Sheet có hơn %s dòng", vnfmt.Int(int64(maxRows)))}
			}
			cells, err := it.Cells()
			var bad *RowError
			if err != nil && !errors.As(err, &bad) {
				return sheetError(ss, err, fmt.Sprintf("row %d", rowNum), fmt.Sprintf("Không đọc được dòng %d", rowNum))
			}
			if bad != nil && hm == nil && cand != nil {
				if err := useHeader(); err != nil || st.headersOnly {
					return err
				}
			}
			if bad != nil {
				if hm == nil { // not a data row (a title above the header): said, not counted
					res.warn(fmt.Sprintf("Sheet %s, dòng %d (trên dòng tiêu đề) không đọc được: %s", spec.Name, rowNum, bad.Reason))
					continue
				}
				if res.split != nil && !res.split.take(spec, hm, rowNum, bad.Cells) {
					continue // another unit's row, or only looked at (several.go)
				}
				dataRows++
				res.Rejected++
				own := rowKey(spec, hm, bad.Cells)
				checks.reject(own, rowNum)
				col, header := "", ""
				if bad.Col > 0 {
					col = ColumnLetter(bad.Col - 1)
					for i, pos := range hm.Index {
						if pos == bad.Col-1 {
							header = spec.Columns[i].Header
						}
					}
				}
				sk.row(rejects, nil, 0, res.LoadID, nullStr(res.Unit), nullInt(res.Year), ss.file, ss.sha, spec.Name, ss.sheet,
					int32(rowNum), nullStr(col), nullStr(header), capValue(bad.Value), bad.Reason, nullStr(own))
				continue
			}
			if hm == nil {
				if blankRow(cells) {
					if cand != nil { // a blank row ends the header block
						if err := useHeader(); err != nil || st.headersOnly {
							return err
						}
					}
					continue
				}
				h, hits := finder.try(rowNum, cells)
				switch {
				case cand != nil && h != nil && hits > candHits && rowNum == cand.Row+1:
					cand, candHits = h, hits // a row of sub-headers: the header block goes on
					continue
				case cand != nil:
					if err := useHeader(); err != nil || st.headersOnly {
						return err
					}
					// this row is the first under the header
				case h != nil:
					cand, candHits = h, hits // the header, unless the row below names more columns
					continue
				case rowNum >= maxHeaderSearch:
					return nil
				default:
					continue
				}
			}
			if blankRow(cells) || isTotalRow(cells) {
				continue
			}
			if underHeader {
				underHeader = false
				if columnNumbers(cells) {
					res.Notes = append(res.Notes, fmt.Sprintf("Sheet %s, dòng %d: dòng đánh số cột (%s) dưới dòng tiêu đề, đã bỏ qua",
						spec.Name, rowNum, strings.Join(nonEmpty(cells)[:min(3, len(nonEmpty(cells)))], ", ")+"…"))
					continue
				}
			}
			if finder.headerAgain(hm, cells) {
				res.Notes = append(res.Notes, fmt.Sprintf("Sheet %s, dòng %d: dòng tiêu đề lặp lại, đã bỏ qua", spec.Name, rowNum))
				continue
			}
			if sigFirst == 0 && signatureStart(cells, phrases) || sigFirst > 0 && signatureRest(cells, phrases) {
				if sigFirst == 0 {
					sigFirst = rowNum
				}
				sigLast = rowNum
				continue
			}
			if res.split != nil && !res.split.take(spec, hm, rowNum, cells) {
				continue // another unit's row, or only looked at (several.go)
			}
			dataRows++
			if spec.Table == "file_info" && dataRows > 1 {
				if other := l.otherUnit(parser, cells, vals, res); other != "" {
					// several units' reports in one workbook: never loaded
					// under one code; split by the DonVi tree (several.go)
					return &severalUnits{fe: &FileError{Path: ss.file, Sheet: ss.sheet,
						Msg:    fmt.Sprintf("ThongTin names two reporting units, %s and %s (row %d)", res.Unit, other, rowNum),
						Reason: fmt.Sprintf("Sheet ThongTin có hai đơn vị báo cáo (%s và %s ở dòng %d): một tệp chỉ chứa báo cáo của một đơn vị — mỗi đơn vị gửi tệp riêng của mình", res.Unit, other, rowNum)}}
				}
				probs = append(probs[:0], problem{col: 0, value: strings.Join(nonEmpty(cells), " | "), reason: "Sheet ThongTin chỉ có một dòng dữ liệu"})
			} else {
				probs = parser.parse(cells, vals, probs[:0])
			}
			// own: the row's code in a sheet keyed by one column, for the
			// references to it and the rejects' row_key
			var own string
			if len(probs) > 0 {
				own = rowKey(spec, hm, cells)
			} else {
				var sp *setProblem
				if own, sp = checks.check(vals, rowNum); sp != nil {
					probs = append(probs, problem{col: sp.col, value: sp.value, reason: sp.reason})
				} else if spec.Table == "units" {
					if p, ok := l.claim(vals, rowNum, res); ok {
						probs = append(probs, p)
					}
				}
			}
			if len(probs) > 0 {
				res.Rejected++
				checks.reject(own, rowNum)
				for _, p := range probs {
					col := ""
					if pos := hm.Index[p.col]; pos >= 0 {
						col = ColumnLetter(pos)
					}
					sk.row(rejects, nil, 0, res.LoadID, nullStr(res.Unit), nullInt(res.Year), ss.file, ss.sha, spec.Name, ss.sheet,
						int32(rowNum), nullStr(col), spec.Columns[p.col].Header, capValue(p.value), p.reason, nullStr(own))
				}
				continue
			}
			checks.accept(own)
			if spec.Table == "file_info" {
				if err := l.identify(ss, vals, res); err != nil {
					return err
				}
			}
			row[0], row[1], row[2], row[3] = res.LoadID, res.Unit, int32(res.Year), int32(rowNum)
			for i, v := range vals {
				row[provenanceColumns+i] = v
			}
			sk.row(app, ss, rowNum, row...)
		}
		if cand != nil { // the header was the sheet's last row
			return useHeader()
		}
		return nil
	}()
	res.Read += dataRows
	if checks != nil {
		for _, n := range checks.restoredNotes() {
			res.warn(n)
		}
	}
	if ss.computed > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Sheet %s: %d ô công thức chưa có giá trị lưu sẵn, đã được tính khi đọc", spec.Name, ss.computed))
	}
	if sigFirst > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Sheet %s, %s: phần chữ ký, nơi nhận cuối biểu, đã bỏ qua", spec.Name, rowSpan(sigFirst, sigLast)))
	}
	if err := it.Close(); err != nil && appendErr == nil {
		// the reader stopped early: rows the sheet holds were not read
		appendErr = sheetError(ss, err, "reading stopped", "Không đọc hết sheet")
	}
	if appendErr != nil {
		return appendErr
	}
	sk.close(app, ss)
	if hm == nil && finder.searched > 0 { // rows, but none of them the header
		st.headersOnly = true // the report fails; the other sheets are only looked at for their headers
		return &missingColumns{ss: ss, me: finder.missing()}
	}
	if st.headersOnly {
		return nil
	}
	if spec.Required && dataRows == 0 && spec.Table != "file_info" { // ThongTin without its row fails below
		if hm == nil {
			res.warn(fmt.Sprintf("Sheet %s trống: không có dòng tiêu đề và không có dữ liệu", spec.Name))
		} else {
			res.warn(fmt.Sprintf("Sheet %s chỉ có dòng tiêu đề, không có dòng dữ liệu nào", spec.Name))
		}
	}
	if enc != nil && enc.Encoding() != "" {
		res.Conversions = append(res.Conversions, Conversion{Sheet: spec.Name, Column: "(cả tệp)",
			Encoding: Encoding(enc.Encoding()), Cells: dataRows, Before: filepath.Base(ss.file), After: "UTF-8"})
	}
	if parser != nil {
		for _, c := range parser.conversions {
			res.Conversions = append(res.Conversions, Conversion{Sheet: spec.Name, Column: spec.Columns[c.col].Header,
				Encoding: c.enc, Cells: c.cells, Before: c.before, After: c.after})
		}
	}
	if spec.Table == "file_info" && res.Unit == "" && !res.split.looking() {
		return &FileError{Path: ss.file, Sheet: ss.sheet, Msg: "ThongTin gives no valid unit code and year",
			Reason: "Sheet ThongTin không có mã đơn vị báo cáo và năm báo cáo hợp lệ"}
	}
	return nil
}

// guarded runs fn for one report, turning a panic — a reader (excelize's or
// orgqa's) meeting what it never expected in a hostile file — into a failure
// of that report alone, so one file cannot stop the province's night. The
// tests' reading both ways (ORGQA_VERIFY_XLSX) still panics on a difference.
func guarded(path string, fn func() error) (err error) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if _, mismatch := p.(verifyMismatch); mismatch {
			panic(p)
		}
		err = &FileError{Path: path, Msg: fmt.Sprintf("the reader failed on this file: %v\n%s", p, debug.Stack()),
			Reason: "Tệp có cấu trúc bất thường làm chương trình đọc bị lỗi; hãy mở tệp bằng Excel, lưu lại rồi gửi lại"}
	}()
	return fn()
}

// claim checks an accepted DonVi row against the organizations and cells
// other units' reports list for the year: a problem when one already does,
// else the row's code is the report's claim.
func (l *Loader) claim(vals []any, row int, res *FileResult) (problem, bool) {
	code, ok := claimable(vals, res.Year)
	if !ok {
		return problem{}, false
	}
	cl, taken := l.claims.other(res.Year, code, res.Unit)
	if !taken {
		res.claimed = append(res.claimed, code)
		return problem{}, false
	}
	res.conflicts = append(res.conflicts, conflict{code: code, row: row, claim: cl})
	return problem{col: donVi.code, value: code, reason: claimReason(code, res.Year, cl)}, true
}

// warn adds a note the unit must act on.
func (r *FileResult) warn(note string) {
	r.Notes = append(r.Notes, note)
	r.Warnings = append(r.Warnings, note)
}

// sheetError is a sheet that cannot be read on. A reader's own *FileError
// (XML no reader accepts) already says why in Vietnamese; it gets the file and
// sheet. Anything else is wrapped with msg and reason.
func sheetError(ss *sheetSource, err error, msg, reason string) error {
	var fe *FileError
	if errors.As(err, &fe) && fe.Path == "" {
		c := *fe
		c.Path, c.Sheet = ss.file, ss.sheet
		return &c
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) { // a part excelize decodes whole, e.g. the shared strings
		reason = fmt.Sprintf("Dữ liệu XML của tệp bị hỏng (%s); cả tệp không được nạp — hãy mở tệp bằng Excel, lưu lại rồi gửi lại", se.Msg)
	}
	return &FileError{Path: ss.file, Sheet: ss.sheet, Msg: msg, Reason: reason, Err: err}
}

// closeOnce lets a sheet's reader be closed (and its error read) before the
// deferred Close.
type closeOnce struct {
	rowIter
	closed bool
}

func (c *closeOnce) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	return c.rowIter.Close()
}

// rowKey is a rejected row's own code (for a sheet keyed by one column), so that
// rows referring to it can say it was rejected rather than absent.
func rowKey(spec *SheetSpec, hm *HeaderMap, cells []string) string {
	if len(spec.Key) != 1 || hm == nil {
		return ""
	}
	if pos := hm.Index[spec.column(spec.Key[0])]; pos >= 0 && pos < len(cells) {
		return cleanText(cells[pos])
	}
	return ""
}

func vietnameseMissing(me *MissingHeaderError) string {
	found := "không có"
	if len(me.Found) > 0 {
		found = strings.Join(me.Found, ", ")
	}
	return fmt.Sprintf("Sheet %s thiếu cột bắt buộc: %s (dòng tiêu đề tìm thấy: %s)", me.Sheet,
		strings.Join(me.Missing, ", "), found)
}

// otherUnit is the unit a further ThongTin row names, when it is another
// than the report's: "" when it names the same unit or cannot be read.
func (l *Loader) otherUnit(parser *rowParser, cells []string, vals []any, res *FileResult) string {
	if res.Unit == "" || len(parser.parse(cells, vals, nil)) > 0 {
		return ""
	}
	unit, _ := vals[SheetByName("ThongTin").column("declared_unit_code")].(string)
	year, _ := vals[SheetByName("ThongTin").column("declared_year")].(int32)
	if unit == "" || unit == res.Unit {
		return ""
	}
	if r, err := l.units.resolve(unit, int(year)); err == nil && r.unit == res.Unit {
		return ""
	}
	return unit
}

// identify takes the unit and year from ThongTin; a CSV set's file names must agree.
func (l *Loader) identify(ss *sheetSource, vals []any, res *FileResult) error {
	spec := SheetByName("ThongTin")
	unit, _ := vals[spec.column("declared_unit_code")].(string)
	year, _ := vals[spec.column("declared_year")].(int32)
	if src := res.Source; src.Kind == "csv" && (unit != src.csvUnit || int(year) != src.csvYear) {
		return &FileError{Path: ss.file, Sheet: ss.sheet,
			Msg:    fmt.Sprintf("ThongTin says unit %s year %d but the file names say %s %d", unit, year, src.csvUnit, src.csvYear),
			Reason: fmt.Sprintf("ThongTin ghi đơn vị %s năm %d nhưng tên tệp ghi %s năm %d", unit, year, src.csvUnit, src.csvYear)}
	}
	r, err := l.units.resolve(unit, int(year))
	if err != nil {
		return &FileError{Path: ss.file, Sheet: ss.sheet, Msg: err.Error(), Reason: "Sheet ThongTin: " + err.Error()}
	}
	res.Unit, res.Year, res.UnitStatus = r.unit, int(year), r.status
	switch r.status {
	case UnitRestored:
		res.Declared = unit
		res.warn(r.note)
	case UnitNew:
		res.Declared = unit
		res.Notes = append(res.Notes, r.note)
	}
	return nil
}

// finish counts what the load kept, checks nothing was lost, replaces earlier
// loads of the same unit and year, and records the load in the manifest.
func (l *Loader) finish(ctx context.Context, conn *sql.Conn, res *FileResult, started time.Time) error {
	// a report in its own transaction counts itself in the warehouse; in a
	// group, what the loader handed over is taken, and counted in the
	// warehouse with the group's other reports before the commit (checkGroup)
	res.Accepted = res.Read - res.Rejected
	if l.group.oneByOne {
		got, err := countRows(ctx, conn, "load_id = $1", res.LoadID)
		if err != nil {
			return err
		}
		res.Accepted, res.Rejected = got[res.LoadID][0], got[res.LoadID][1]
		if res.Accepted+res.Rejected != res.Read {
			return fmt.Errorf("row accounting: %d read but %d accepted + %d rejected", res.Read, res.Accepted, res.Rejected)
		}
	}
	var err error
	if res.Replaced, err = loadedOf(ctx, conn, res.Unit, res.Year); err != nil {
		return err
	}
	// a rival still in the inbox: the report prepared later wins
	rivals, err := l.rivals(ctx, conn, res.Replaced, res.Source.Path)
	if err != nil {
		return err
	}
	var prepared sql.NullTime // Ngày lập, read only to compare with a rival's
	if len(rivals) > 0 {
		if prepared, err = preparedOn(ctx, conn, res.LoadID); err != nil {
			return err
		}
	}
	mine := res.Source.ModTime // a CSV set's: its newest file's; a joined report's: its newest part's
	for _, r := range rivals {
		if !laterThan(prepared, mine, r) {
			return &supersedeError{winner: r, msg: supersedeMessage(res.Unit, res.Year, res.Source.Path, prepared, mine, r.path, r.prepared, r.modTime)}
		}
	}
	if err := replaceLoads(ctx, conn, res.Replaced, res.LoadID); err != nil {
		return err
	}
	for _, r := range rivals {
		if _, err := conn.ExecContext(ctx, `UPDATE load_manifest SET outcome = 'superseded', message = ? WHERE load_id = ?`,
			supersedeMessage(res.Unit, res.Year, r.path, r.prepared, r.modTime, res.Source.Path, prepared, mine), r.loadID); err != nil {
			return err
		}
		res.Notes = append(res.Notes, fmt.Sprintf("Thay cho báo cáo lập trước của đơn vị (tệp %s, vẫn còn trong thư mục nhận)", filepath.Base(r.path)))
	}
	for _, w := range res.Warnings {
		if _, err := conn.ExecContext(ctx, `INSERT INTO load_notes VALUES (?, NULL, ?)`, res.LoadID, w); err != nil {
			return err
		}
	}
	for _, c := range res.conflicts {
		if _, err := conn.ExecContext(ctx, `INSERT INTO load_notes VALUES (?, ?, ?)`, res.LoadID, c.unit,
			claimNote(c, res.Year, res.Unit, res.Source.Path)); err != nil {
			return err
		}
	}
	if n := len(res.conflicts); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d mã đơn vị đã có trong báo cáo của đơn vị khác cùng năm (đơn vị %s, tệp %s): các dòng đó bị từ chối",
			n, res.conflicts[0].unit, filepath.Base(res.conflicts[0].file)))
	}
	for _, c := range res.Conversions {
		if _, err := conn.ExecContext(ctx, `INSERT INTO legacy_conversions VALUES (?, ?, ?, ?, ?, ?, ?)`,
			res.LoadID, c.Sheet, c.Column, string(c.Encoding), c.Cells, c.Before, c.After); err != nil {
			return err
		}
	}
	if n := len(res.Conversions); n > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("Đã chuyển mã sang Unicode ở %d cột hoặc tệp (xem legacy_conversions)", n))
	}
	var msg any
	if len(res.Notes) > 0 {
		msg = strings.Join(res.Notes, "; ")
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO load_manifest VALUES (?, ?, ?, ?, `+listParam+`, ?, ?, ?, ?, ?, ?, ?, 'loaded', ?, NULL, ?, NULL, NULL, NULL, ?, ?)`,
		res.LoadID, res.Source.Path, res.Source.Kind, res.SHA256, duckdbList(res.Source.Files), res.Unit, res.Year,
		res.Read, res.Accepted, res.Rejected, started, l.now(), msg, l.now(), nullStr(res.Declared), nullStr(res.UnitStatus))
	return err
}
