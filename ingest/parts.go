package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// A report split over several files: the members in one workbook (with
// ThongTin), the meetings and ratings in another, sent the same day. A
// workbook with contract sheets but no ThongTin is such a part when its name
// gives a known unit code (and the year, if it holds one): it is read together
// with the unit's report of the inbox as one report, provided no sheet is in
// two of the files. Otherwise it is refused with a reason that says how to
// send it. The joined report replaces the unit's report alone, and on later
// nights, unchanged, is skipped as any other.

// errPart marks a workbook without ThongTin, left for loadParts.
var errPart = errors.New("a part of a report: no ThongTin sheet")

// loadParts loads the parts found in the inbox with the report each belongs to.
func (l *Loader) loadParts(ctx context.Context, conn *sql.Conn, parts []Source, sum *Summary) error {
	if len(parts) == 0 {
		return nil
	}
	l.partsDone = true
	defer func() { l.partsDone = false }()
	type key struct {
		unit string
		year int
	}
	groups := map[key][]Source{}
	var keys []key
	for _, p := range parts {
		unit, year := l.units.fromName(p.Path)
		if unit == "" {
			res, err := l.loadSource(ctx, conn, p, nil) // fails, as a report without ThongTin
			sum.Files = append(sum.Files, res...)
			if err != nil {
				return err
			}
			continue
		}
		k := key{unit, year}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].unit < keys[j].unit || keys[i].unit == keys[j].unit && keys[i].year < keys[j].year
	})
	for _, k := range keys {
		group := groups[k]
		main, year, err := l.mainReport(ctx, conn, k.unit, k.year)
		if err != nil {
			return err
		}
		if main == nil {
			for _, p := range group {
				res := FileResult{Source: p, Unit: k.unit, Year: k.year}
				if res.Year == 0 {
					res.Year = l.latestYear(ctx, conn)
				}
				if h, err := hashSource(p); err == nil {
					res.SHA256 = h.report
				}
				res, err := l.fail(ctx, conn, res, l.now(), &FileError{Path: p.Path, Sheet: "ThongTin",
					Msg:    fmt.Sprintf("no ThongTin sheet, and no report of unit %s in the inbox to join it to", k.unit),
					Reason: fmt.Sprintf("Tệp không có sheet ThongTin; tên tệp chỉ đơn vị %s nhưng thư mục nhận không có báo cáo (có sheet ThongTin) của đơn vị này để ghép — hãy gửi cả báo cáo trong một tệp, hoặc thêm sheet ThongTin", k.unit)})
				if err != nil {
					return err
				}
				sum.Files = append(sum.Files, res)
			}
			continue
		}
		joined := *main
		joined.Parts = group
		joined.Files = append([]string(nil), main.Files...)
		names := []string{filepath.Base(main.Path)}
		for _, p := range group {
			joined.Files = append(joined.Files, p.Files...)
			names = append(names, filepath.Base(p.Path))
			if p.ModTime.After(joined.ModTime) {
				joined.ModTime = p.ModTime
			}
		}
		l.Log.Info("a report split over several files: read as one", "unit", k.unit, "year", year, "files", strings.Join(names, ", "))
		all, err := l.loadSource(ctx, conn, joined, nil)
		if err != nil {
			return err
		}
		res := all[0] // a joined report is never split by unit
		var fe *FileError
		if res.Outcome == Failed && errors.As(res.Err, &fe) {
			// a part's own problem (a sheet also in the main file) is the
			// part's: the unit's report alone stays as it was
			for _, p := range group {
				if fe.Path != p.Path {
					continue
				}
				if err := l.dropFailures(ctx, conn, res.SHA256, ""); err != nil {
					return err
				}
				pr := FileResult{Source: p, Unit: k.unit, Year: year}
				if h, err := hashSource(p); err == nil {
					pr.SHA256 = h.report
				}
				if res, err = l.fail(ctx, conn, pr, l.now(), fe); err != nil {
					return err
				}
				break
			}
		}
		if res.Outcome == Loaded {
			l.Log.Info("joined report loaded", "files", strings.Join(names, ", "))
		}
		sum.Files = append(sum.Files, res)
	}
	return nil
}

// mainReport is the inbox's report of unit (and year, when known; else the
// latest) that is loaded now: the one a part is joined to.
func (l *Loader) mainReport(ctx context.Context, conn *sql.Conn, unit string, year int) (*Source, int, error) {
	rows, err := conn.QueryContext(ctx, `SELECT source_path, report_year FROM load_manifest
		WHERE reporting_unit = ? AND outcome = 'loaded' AND (? = 0 OR report_year = ?) ORDER BY report_year DESC, load_id DESC`, unit, year, year)
	if err != nil {
		return nil, year, err
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		var y int
		if err := rows.Scan(&path, &y); err != nil {
			return nil, year, err
		}
		if src, ok := l.inbox[path]; ok {
			src.Parts = nil
			if len(src.Files) > 0 {
				src.Files = src.Files[:1]
			}
			return &src, y, nil
		}
	}
	return nil, year, rows.Err()
}

// openParts opens a report's main workbook and its parts as one report: each
// contract sheet from the one file that has it.
func openParts(src Source, shas map[string]string, lim Limits) (*reportReader, error) {
	main := src
	main.Parts, main.Files = nil, src.Files[:1]
	rr, err := openReport(main, shas, lim)
	if err != nil {
		return nil, err
	}
	closers := []func() error{rr.close}
	closeAll := func() error {
		var errs []error
		for _, c := range closers {
			errs = append(errs, c())
		}
		return errors.Join(errs...)
	}
	rr.close = closeAll
	for _, p := range src.Parts {
		pr, err := openReport(p, shas, lim)
		if err != nil {
			closeAll()
			return nil, err
		}
		closers = append(closers, pr.close)
		// in the contract's order, every sheet both files hold: one reason, the same every night
		var shared []string
		var first *sheetSource
		for _, spec := range Contract {
			ss := pr.sheets[spec]
			if ss == nil {
				continue
			}
			if prev, dup := rr.sheets[spec]; dup {
				shared = append(shared, spec.Name)
				if first == nil {
					first = prev
				}
				continue
			}
			rr.sheets[spec] = ss
		}
		if len(shared) > 0 {
			closeAll()
			names := strings.Join(shared, ", ")
			return nil, &FileError{Path: p.Path, Sheet: shared[0],
				Msg: fmt.Sprintf("sheets %s are in both %s and %s", names, filepath.Base(first.file), filepath.Base(p.Path)),
				Reason: fmt.Sprintf("Báo cáo tách thành nhiều tệp nhưng sheet %s có trong cả tệp %s và tệp %s: mỗi sheet chỉ được ở một tệp — hãy gửi lại cả báo cáo trong một tệp",
					names, filepath.Base(first.file), filepath.Base(p.Path))}
		}
		rr.extra = append(rr.extra, pr.extra...)
	}
	return rr, nil
}
