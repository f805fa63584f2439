package ingest

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
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

// claims are the organizations and cells valid in year that reports of other
// units than unit list, from the loaded rows (the transaction's own view).
func claims(ctx context.Context, dconn driver.Conn, unit string, year int) (map[string]claim, error) {
	q, ok := dconn.(driver.QueryerContext)
	if !ok {
		return nil, fmt.Errorf("driver connection %T cannot query", dconn)
	}
	rows, err := q.QueryContext(ctx, `SELECT unit_code, min(reporting_unit), min(source_file) FROM units
		WHERE report_year = $1 AND reporting_unit <> $2 AND unit_level IN ('co_so', 'chi_bo')
		  AND (valid_from IS NULL OR valid_from <= make_date($1, 12, 31))
		  AND (valid_to IS NULL OR valid_to >= make_date($1, 1, 1))
		GROUP BY unit_code`, []driver.NamedValue{{Ordinal: 1, Value: int64(year)}, {Ordinal: 2, Value: unit}})
	if err != nil {
		return nil, fmt.Errorf("claims: %w", err)
	}
	defer rows.Close()
	out := map[string]claim{}
	dest := make([]driver.Value, 3)
	for {
		if err := rows.Next(dest); err == io.EOF {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("claims: %w", err)
		}
		code, _ := dest[0].(string)
		u, _ := dest[1].(string)
		f, _ := dest[2].(string)
		out[code] = claim{unit: u, file: f}
	}
}

// claimed returns the other unit's claim on a DonVi row, if it has one: the
// row is an organization or cell valid in year and its code is claimed.
func claimed(c map[string]claim, vals []any, year int) (claim, bool) {
	spec := SheetByName("DonVi")
	level, _ := vals[spec.column("unit_level")].(string)
	if level != "co_so" && level != "chi_bo" {
		return claim{}, false
	}
	if from, ok := vals[spec.column("valid_from")].(time.Time); ok && from.Year() > year {
		return claim{}, false
	}
	if to, ok := vals[spec.column("valid_to")].(time.Time); ok && to.Year() < year {
		return claim{}, false
	}
	code, _ := vals[spec.column("unit_code")].(string)
	cl, ok := c[code]
	return cl, ok
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
