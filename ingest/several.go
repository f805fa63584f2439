package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"orgqa/internal/vnfmt"
)

// Several reporting units in one workbook: ThongTin has a row for each (a
// district office that typed in its communes' reports, two communes merged
// mid-season). Such a workbook is loaded as one report per unit when the
// DonVi tree says whose every row is:
//
//   - a DonVi row is the unit's that its chain of Mã đơn vị cấp trên reaches
//     first (the unit's own row, or the row naming it as parent);
//   - a member (DangVien) is the unit's of its cell; a letter or a comment the
//     member's unit's; a meeting the unit's of its cell;
//   - an inspection, a discipline or a rating the unit's of its target (an
//     organization or a member), an inspection else of its subject;
//   - a ThongTin row the unit it names.
//
// Each unit's report is then loaded as if it had come alone — its own load,
// transaction, checks, claims and manifest row, all with the workbook's path
// — so a problem of one (superseded by the unit's own later report) stays
// with it. When a row belongs to no unit or to two, or a unit named in
// ThongTin has no unit in DonVi, the workbook is refused whole with a reason
// naming the units and the rows, and every unit named is told in its return
// workbook. A CSV set (named for one unit) and a report joined from parts are
// not split: refused as before.

// severalUnits is a ThongTin naming a second unit; fe is the refusal used
// when the workbook is not split.
type severalUnits struct{ fe *FileError }

func (e *severalUnits) Error() string { return e.fe.Error() }
func (e *severalUnits) Unwrap() error { return e.fe }

// unitSplit is how a load of a several-unit workbook takes rows: plan.collect
// (a first pass that only reads each row's codes), or only unit's rows.
type unitSplit struct {
	plan *splitPlan
	unit string
}

// looking is a first pass: rows are read for their codes, nothing loaded.
func (u *unitSplit) looking() bool { return u != nil && u.unit == "" }

// take reports whether the load keeps the row: in the first pass it notes the
// row's codes and keeps none.
func (u *unitSplit) take(spec *SheetSpec, hm *HeaderMap, row int, cells []string) bool {
	if u.unit == "" {
		u.plan.add(spec, hm, row, cells)
		return false
	}
	return u.plan.owner[planKey{spec, row}] == u.unit
}

type planKey struct {
	spec *SheetSpec
	row  int
}

// planRow is a data row's codes, by the contract's column names.
type planRow struct {
	row   int
	codes map[string]string
}

// splitPlan is the rows of a several-unit workbook and, once assigned, the
// unit each belongs to.
type splitPlan struct {
	rows  map[*SheetSpec][]planRow
	owner map[planKey]string
	units []string // in ThongTin's order, as resolved
}

// splitColumns are the columns that tell whose a row is.
var splitColumns = map[string][]string{
	"ThongTin":  {"declared_unit_code", "declared_year"},
	"DonVi":     {"unit_code", "parent_code"},
	"DangVien":  {"member_code", "cell_code"},
	"GioiThieu": {"member_code"},
	"NhanXet":   {"member_code"},
	"SinhHoat":  {"cell_code"},
	"KiemTra":   {"target_type", "target_code", "subject_code"},
	"KyLuat":    {"target_type", "target_code"},
	"XepLoai":   {"target_type", "target_code"},
}

func (p *splitPlan) add(spec *SheetSpec, hm *HeaderMap, row int, cells []string) {
	pr := planRow{row: row, codes: map[string]string{}}
	for _, name := range splitColumns[spec.Name] {
		i := spec.column(name)
		raw := ""
		if pos := hm.Index[i]; pos >= 0 && pos < len(cells) {
			raw = cells[pos]
		}
		switch c := &spec.Columns[i]; c.Kind {
		case KindEnum: // Đối tượng, as its code: to_chuc or dang_vien
			if code, ok := c.Enum.Lookup(raw); ok {
				pr.codes[name] = code
			}
		default:
			pr.codes[name] = cleanText(raw)
		}
	}
	p.rows[spec] = append(p.rows[spec], pr)
}

// unplaced is a row that belongs to no unit, or to two.
type unplaced struct {
	sheet string
	row   int
	why   string
}

// assign gives every row its unit; the rows it cannot place, and the units
// named in ThongTin that own no DonVi row, are why the workbook is refused.
func (p *splitPlan) assign(ui *unitIndex) (bad []unplaced, empty []string) {
	p.owner = map[planKey]string{}
	// the units ThongTin names, and the codes that mean each
	named := map[string]string{}    // code as written, or resolved → unit
	squashed := map[string]string{} // squash(code) → unit; "" when two units squash alike
	tt := SheetByName("ThongTin")
	for _, r := range p.rows[tt] {
		code := r.codes["declared_unit_code"]
		if code == "" {
			continue
		}
		unit := code
		if res, err := ui.resolve(code, atoiOr0(r.codes["declared_year"])); err == nil {
			unit = res.unit
		}
		if _, seen := named[unit]; !seen {
			p.units = append(p.units, unit)
		}
		named[code], named[unit] = unit, unit
	}
	for code, unit := range named {
		if u, seen := squashed[squash(code)]; seen && u != unit {
			squashed[squash(code)] = ""
		} else {
			squashed[squash(code)] = unit
		}
	}
	isUnit := func(code string) string {
		if u, ok := named[code]; ok {
			return u
		}
		if code != "" {
			return squashed[squash(code)]
		}
		return ""
	}
	for _, r := range p.rows[tt] { // a row naming no unit goes with the first (and is refused there)
		unit := isUnit(r.codes["declared_unit_code"])
		if unit == "" && len(p.units) > 0 {
			unit = p.units[0]
		}
		p.owner[planKey{tt, r.row}] = unit
	}

	// DonVi: each row's unit by its parent chain
	dv := SheetByName("DonVi")
	parents := map[string][]string{}
	for _, r := range p.rows[dv] {
		c := r.codes["unit_code"]
		parents[c] = append(parents[c], r.codes["parent_code"])
	}
	const ambiguous = "\x00"
	memo := map[string]string{}
	var ownerOf func(code string, depth int) string
	ownerOf = func(code string, depth int) string {
		if u := isUnit(code); u != "" {
			return u
		}
		if code == "" || depth > len(parents) {
			return "" // no parent, or a cycle
		}
		if u, ok := memo[code]; ok {
			return u
		}
		memo[code] = "" // a cycle back to here finds no unit
		u := ""
		for i, parent := range parents[code] {
			pu := ownerOf(parent, depth+1)
			if i == 0 {
				u = pu
			} else if pu != u {
				u = ambiguous
			}
		}
		memo[code] = u
		return u
	}
	// a code as the rows use it: exactly, else with its zeros lost (typed as a number)
	lookup := func(owners map[string]string, code string) string {
		if code == "" {
			return ""
		}
		if u, ok := owners[code]; ok {
			return u
		}
		return owners["\x01"+squash(code)]
	}
	orgs := map[string]string{}
	note := func(owners map[string]string, code, unit string) {
		for _, k := range []string{code, "\x01" + squash(code)} {
			if prev, seen := owners[k]; seen && prev != unit {
				owners[k] = ambiguous
			} else {
				owners[k] = unit
			}
		}
	}
	owned := map[string]bool{}
	for _, r := range p.rows[dv] {
		code := r.codes["unit_code"]
		u := isUnit(code)
		if u == "" {
			u = ownerOf(r.codes["parent_code"], 0)
		}
		switch u {
		case "":
			bad = append(bad, unplaced{dv.Name, r.row, fmt.Sprintf("đơn vị %s: chuỗi đơn vị cấp trên không dẫn tới đơn vị báo cáo nào", orBlank(code))})
		case ambiguous:
			bad = append(bad, unplaced{dv.Name, r.row, fmt.Sprintf("đơn vị %s thuộc cả hai đơn vị báo cáo", orBlank(code))})
		default:
			p.owner[planKey{dv, r.row}] = u
			owned[u] = true
			note(orgs, code, u)
		}
	}
	for _, u := range p.units {
		if !owned[u] {
			empty = append(empty, u)
		}
	}

	// members by their cell; then every row that names a cell, a member or an organization
	members := map[string]string{}
	mv := SheetByName("DangVien")
	listed := map[string]bool{} // members of DangVien, placed or not
	// place gives the row unit u; what names the code that tells, member the
	// member it names (a row of a member placed nowhere says so)
	place := func(spec *SheetSpec, r planRow, u, what, member string) {
		switch {
		case u == "" && member != "" && listed[member]:
			bad = append(bad, unplaced{spec.Name, r.row, what + ": đảng viên này ở sheet DangVien chưa xác định được đơn vị"})
		case u == "":
			bad = append(bad, unplaced{spec.Name, r.row, what + " không thuộc đơn vị nào trong sheet DonVi"})
		case u == ambiguous:
			bad = append(bad, unplaced{spec.Name, r.row, what + " thuộc cả hai đơn vị báo cáo"})
		default:
			p.owner[planKey{spec, r.row}] = u
		}
	}
	for _, r := range p.rows[mv] {
		listed[r.codes["member_code"]] = true
	}
	for _, r := range p.rows[mv] {
		u := lookup(orgs, r.codes["cell_code"])
		place(mv, r, u, "mã chi bộ "+orBlank(r.codes["cell_code"]), "")
		if u != "" && u != ambiguous {
			note(members, r.codes["member_code"], u)
		}
	}
	target := func(r planRow) (string, string) {
		kind, code := r.codes["target_type"], r.codes["target_code"]
		first, second := orgs, members
		if kind == "dang_vien" {
			first, second = members, orgs
		}
		u := lookup(first, code)
		if u == "" {
			u = lookup(second, code)
		}
		if u == "" {
			u = isUnit(code)
		}
		return u, "mã đối tượng " + orBlank(code)
	}
	for _, spec := range Contract {
		switch spec.Name {
		case "GioiThieu", "NhanXet":
			for _, r := range p.rows[spec] {
				m := r.codes["member_code"]
				place(spec, r, lookup(members, m), "mã đảng viên "+orBlank(m), m)
			}
		case "SinhHoat":
			for _, r := range p.rows[spec] {
				place(spec, r, lookup(orgs, r.codes["cell_code"]), "mã chi bộ "+orBlank(r.codes["cell_code"]), "")
			}
		case "KiemTra", "KyLuat", "XepLoai":
			for _, r := range p.rows[spec] {
				u, what := target(r)
				if u == "" && spec.Name == "KiemTra" { // the inspecting committee's
					if s := r.codes["subject_code"]; s != "" {
						if u = isUnit(s); u == "" {
							u = lookup(orgs, s)
						}
					}
				}
				place(spec, r, u, what, r.codes["target_code"])
			}
		}
	}
	return bad, empty
}

func orBlank(code string) string {
	if code == "" {
		return "(trống)"
	}
	return code
}

// loadSeveral loads a workbook whose ThongTin names several units as one
// report per unit, or refuses it whole (see the top of this file).
func (l *Loader) loadSeveral(ctx context.Context, conn *sql.Conn, rr *reportReader, first FileResult, started time.Time, several *severalUnits) ([]FileResult, error) {
	src := first.Source
	plan := &splitPlan{rows: map[*SheetSpec][]planRow{}}
	look := FileResult{Source: src, SHA256: first.SHA256, split: &unitSplit{plan: plan}}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	lookErr := l.loadRows(ctx, conn, rr, &look) // reads, appends nothing
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		return nil, err
	}
	refuse := func(cause error) ([]FileResult, error) {
		res := first
		res.Err, res.Outcome = nil, ""
		res, err := l.fail(ctx, conn, res, started, cause)
		if err != nil || len(plan.units) < 2 {
			return []FileResult{res}, err
		}
		// every unit named is told, in its return workbook
		var id int64
		if err := conn.QueryRowContext(ctx, `SELECT max(load_id) FROM load_manifest WHERE sha256 = ? AND outcome = 'failed'`, res.SHA256).Scan(&id); err != nil {
			return []FileResult{res}, err
		}
		for _, u := range plan.units {
			if u == res.Unit {
				continue
			}
			if _, err := conn.ExecContext(ctx, `INSERT INTO load_notes VALUES (?, ?, ?)`, id, u, "Không nạp được tệp: "+res.Err.(*FileError).Reason); err != nil {
				return []FileResult{res}, err
			}
		}
		return []FileResult{res}, nil
	}
	if lookErr != nil {
		return refuse(lookErr)
	}
	bad, empty := plan.assign(l.units)
	if len(bad) > 0 || len(empty) > 0 {
		return refuse(splitRefusal(src.Path, plan.units, bad, empty))
	}
	// the workbook's earlier failures go; each unit's report is recorded on its own
	if err := l.dropFailures(ctx, conn, first.SHA256, ""); err != nil {
		return nil, err
	}
	l.Log.Info("a workbook with several units' reports: loaded as one report per unit", "source", src.Path, "units", strings.Join(plan.units, ", "))
	var out []FileResult
	for _, u := range plan.units {
		res := FileResult{Source: src, SHA256: first.SHA256, split: &unitSplit{plan: plan, unit: u}}
		res.Notes = append(append([]string(nil), first.Notes...), fmt.Sprintf("Tệp có báo cáo của %s đơn vị (%s): đã tách theo sheet DonVi, đây là phần của đơn vị %s",
			vnfmt.Int(int64(len(plan.units))), strings.Join(plan.units, ", "), u))
		res, err := l.loadReport(ctx, conn, rr, res, l.now())
		out = append(out, res)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// splitRefusal says why a several-unit workbook cannot be split.
func splitRefusal(path string, units []string, bad []unplaced, empty []string) *FileError {
	var why []string
	for _, u := range empty {
		why = append(why, fmt.Sprintf("sheet DonVi không có đơn vị nào thuộc %s", u))
	}
	const shown = 5
	for i, b := range bad {
		if i == shown {
			why = append(why, fmt.Sprintf("và %s dòng khác", vnfmt.Int(int64(len(bad)-shown))))
			break
		}
		why = append(why, fmt.Sprintf("sheet %s dòng %d: %s", b.sheet, b.row, b.why))
	}
	count := map[int]string{2: "hai", 3: "ba", 4: "bốn", 5: "năm"}[len(units)]
	if count == "" {
		count = vnfmt.Int(int64(len(units)))
	}
	list := strings.Join(units, ", ")
	if n := len(units); n >= 2 {
		list = strings.Join(units[:n-1], ", ") + " và " + units[n-1]
	}
	return &FileError{Path: path, Sheet: "ThongTin",
		Msg: fmt.Sprintf("ThongTin names %d reporting units (%s) and the DonVi tree does not say whose every row is: %d rows placed nowhere or twice, %d units without units",
			len(units), strings.Join(units, ", "), len(bad), len(empty)),
		Reason: fmt.Sprintf("Sheet ThongTin có %s đơn vị báo cáo (%s) nhưng không tách được tệp thành báo cáo của từng đơn vị theo sheet DonVi: %s. Hãy sửa các dòng đó, hoặc để mỗi đơn vị gửi tệp riêng của mình",
			count, list, strings.Join(why, "; "))}
}
