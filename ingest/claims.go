package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// A grassroots organization or cell belongs to one reporting unit in a year:
// the marts hold one row per organization and cell. When a report lists an
// organization or cell that another unit's loaded report already lists for
// the same year (a unit code retyped, a cell moved in the 2025 reorganisation
// and listed by both the old and the new unit), the later report's DonVi row
// is rejected — and with it, as echoes, the rows that hang on it — with a
// reason naming the other unit and its file, and the other unit is told in its
// return workbook. The first unit's numbers stay as they were, and no
// uniqueness test after transform can fail because of input.

// claim is the unit and file that already list a code for the year.
type claim struct{ unit, file string }

// conflict is one of this report's DonVi rows refused for another unit's claim.
type conflict struct {
	code string
	row  int
	claim
}

// claimIndex holds, per year, the organizations and cells the loaded reports
// list (valid in the year), with the units that list them: read once per
// ingest and kept current as reports commit, instead of a query per report
// (which cost 7% of a province's ingest).
type claimIndex struct {
	// owners are the (unit, file) pairs that claim anything, each once;
	// the maps below refer to them by index
	owners  []claim
	ownerOf map[claim]int32
	// year → code → the one owner listing it, or -1 when several do (then
	// multi holds them). A code almost always has one: an index, not a
	// slice per code (at national scale the 400.000 slices were 69% of
	// ingest's Go heap, and its peak grew with them)
	byYear map[int]map[string]int32
	multi  map[int]map[string][]int32
	// byUnit is the same from the other side, year → unit → its codes, so a
	// load replaces its unit's claims without a walk over every code of the
	// year (at national scale, 3.960 walks over 300.000 codes were a quarter
	// of ingest)
	byUnit map[int]map[string][]string
}

func newClaimIndex() *claimIndex {
	return &claimIndex{ownerOf: map[claim]int32{}, byYear: map[int]map[string]int32{},
		multi: map[int]map[string][]int32{}, byUnit: map[int]map[string][]string{}}
}

// loadClaims reads the index from the loaded units.
func loadClaims(ctx context.Context, db querier) (*claimIndex, error) {
	rows, err := db.QueryContext(ctx, `SELECT report_year, unit_code, reporting_unit, min(s.source_file) FROM units
		JOIN load_sources s ON s.load_id = units.load_id AND s.table_name = 'units'
		WHERE unit_level IN ('co_so', 'chi_bo')
		  AND (valid_from IS NULL OR valid_from <= make_date(report_year, 12, 31))
		  AND (valid_to IS NULL OR valid_to >= make_date(report_year, 1, 1))
		GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer rows.Close()
	ci := newClaimIndex()
	for rows.Next() {
		var year int
		var code, unit, file string
		if err := rows.Scan(&year, &code, &unit, &file); err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		ci.add(year, code, unit, file)
	}
	return ci, rows.Err()
}

// owner is the index of (unit, file), added when new.
func (ci *claimIndex) owner(unit, file string) int32 {
	c := claim{unit: unit, file: file}
	o, ok := ci.ownerOf[c]
	if !ok {
		o = int32(len(ci.owners))
		ci.owners = append(ci.owners, c)
		ci.ownerOf[c] = o
	}
	return o
}

func (ci *claimIndex) add(year int, code, unit, file string) {
	o := ci.owner(unit, file)
	codes := ci.byYear[year]
	if codes == nil {
		codes = map[string]int32{}
		ci.byYear[year] = codes
	}
	switch v, ok := codes[code]; {
	case !ok:
		codes[code] = o
	case v >= 0 && ci.owners[v].unit == unit: // the unit's claim, from another file
		codes[code] = o
		return
	case v >= 0:
		if ci.multi[year] == nil {
			ci.multi[year] = map[string][]int32{}
		}
		codes[code] = -1
		ci.multi[year][code] = []int32{v, o}
	default:
		list := ci.multi[year][code]
		for k, x := range list {
			if ci.owners[x].unit == unit {
				list[k] = o
				return
			}
		}
		ci.multi[year][code] = append(list, o)
	}
	if ci.byUnit[year] == nil {
		ci.byUnit[year] = map[string][]string{}
	}
	ci.byUnit[year][unit] = append(ci.byUnit[year][unit], code)
}

// other is another unit's claim on code in year than unit's (the first by
// unit code, when a warehouse loaded before this check holds several).
func (ci *claimIndex) other(year int, code, unit string) (claim, bool) {
	v, ok := ci.byYear[year][code]
	if !ok {
		return claim{}, false
	}
	if v >= 0 {
		if c := ci.owners[v]; c.unit != unit {
			return c, true
		}
		return claim{}, false
	}
	var best claim
	found := false
	for _, o := range ci.multi[year][code] {
		if c := ci.owners[o]; c.unit != unit && (!found || c.unit < best.unit) {
			best, found = c, true
		}
	}
	return best, found
}

// replace records a committed load: unit's claims for year are now codes
// (the load replaced every earlier one of the unit and year).
func (ci *claimIndex) replace(year int, unit, file string, codes []string) {
	byCode := ci.byYear[year]
	for _, code := range ci.byUnit[year][unit] {
		v, ok := byCode[code]
		switch {
		case !ok:
		case v >= 0:
			if ci.owners[v].unit == unit {
				delete(byCode, code)
			}
		default:
			list := ci.multi[year][code]
			for k, x := range list {
				if ci.owners[x].unit == unit {
					list[k] = list[len(list)-1]
					list = list[:len(list)-1]
					break
				}
			}
			if len(list) == 1 {
				byCode[code] = list[0]
				delete(ci.multi[year], code)
			} else {
				ci.multi[year][code] = list
			}
		}
	}
	delete(ci.byUnit[year], unit)
	for _, c := range codes {
		ci.add(year, c, unit, file)
	}
}

// donVi's columns a claim reads, found once.
var donVi = func() (c struct{ code, level, from, to int }) {
	s := SheetByName("DonVi")
	c.code, c.level, c.from, c.to = s.column("unit_code"), s.column("unit_level"), s.column("valid_from"), s.column("valid_to")
	return c
}()

// claimable reports whether a row of DonVi (only) is an organization or cell
// valid in year, and its code.
func claimable(vals []any, year int) (string, bool) {
	level, _ := vals[donVi.level].(string)
	if level != "co_so" && level != "chi_bo" {
		return "", false
	}
	if from, ok := vals[donVi.from].(time.Time); ok && from.Year() > year {
		return "", false
	}
	if to, ok := vals[donVi.to].(time.Time); ok && to.Year() < year {
		return "", false
	}
	code, _ := vals[donVi.code].(string)
	return code, true
}

// claimReason is the rejected row's reason, for the unit that sent it.
func claimReason(code string, year int, cl claim) string {
	return fmt.Sprintf("Mã đơn vị %q đã có trong báo cáo năm %d của đơn vị %s (tệp %s); một tổ chức, chi bộ chỉ thuộc một đơn vị báo cáo — hãy kiểm tra lại mã, hoặc liên hệ Ban Tổ chức nếu đơn vị đã chuyển về đơn vị mình",
		code, year, cl.unit, filepath.Base(cl.file))
}

// claimNote tells the unit that listed the code first.
func claimNote(c conflict, year int, unit, file string) string {
	return fmt.Sprintf("Mã đơn vị %q của đơn vị cũng được đơn vị %s kê khai trong báo cáo năm %d (tệp %s, sheet DonVi dòng %d); dòng đó và các dòng liên quan đã bị từ chối, số liệu của đơn vị giữ nguyên — đề nghị hai đơn vị thống nhất với Ban Tổ chức",
		c.code, unit, year, filepath.Base(file), c.row)
}
