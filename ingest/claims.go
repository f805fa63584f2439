package ingest

import (
	"context"
	"database/sql"
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
	// year → code → the units listing it, with their files: almost always
	// one (a slice, not a map per code: at national scale, 300.000 maps
	// were most of ingest's Go heap)
	byYear map[int]map[string][]claim
	// byUnit is the same from the other side, year → unit → its codes, so a
	// load replaces its unit's claims without a walk over every code of the
	// year (at national scale, 3.960 walks over 300.000 codes were a quarter
	// of ingest)
	byUnit map[int]map[string][]string
}

// loadClaims reads the index from the loaded units.
func loadClaims(ctx context.Context, db *sql.DB) (*claimIndex, error) {
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
	ci := &claimIndex{byYear: map[int]map[string][]claim{}, byUnit: map[int]map[string][]string{}}
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

func (ci *claimIndex) add(year int, code, unit, file string) {
	codes := ci.byYear[year]
	if codes == nil {
		codes = map[string][]claim{}
		ci.byYear[year] = codes
	}
	for k, c := range codes[code] {
		if c.unit == unit {
			codes[code][k].file = file
			return
		}
	}
	codes[code] = append(codes[code], claim{unit: unit, file: file})
	if ci.byUnit[year] == nil {
		ci.byUnit[year] = map[string][]string{}
	}
	ci.byUnit[year][unit] = append(ci.byUnit[year][unit], code)
}

// other is another unit's claim on code in year than unit's (the first by
// unit code, when a warehouse loaded before this check holds several).
func (ci *claimIndex) other(year int, code, unit string) (claim, bool) {
	var best claim
	found := false
	for _, c := range ci.byYear[year][code] {
		if c.unit != unit && (!found || c.unit < best.unit) {
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
		cs := byCode[code]
		for k, c := range cs {
			if c.unit == unit {
				cs[k] = cs[len(cs)-1]
				cs = cs[:len(cs)-1]
				break
			}
		}
		if len(cs) == 0 {
			delete(byCode, code)
		} else {
			byCode[code] = cs
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
