package ingest

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The province's reporting units. A report says whose it is in ThongTin, and
// a clerk may retype that code as a number (0100 → 100) or with a space. The
// units orgqa knows are the config's official list (after the 2025 reform:
// communes and wards, each valid from a day, with the old code it replaced),
// or without a list the units of the reports accepted before. A report whose
// code is not known but names exactly one known unit once its leading zeros
// are restored or its spaces removed is read as that unit, with a note; a
// code that could be several units refuses the file; a code no known unit
// could be is a new unit, loaded and shown as new on the data-quality sheet.

// KnownUnit is one reporting unit of the official list.
type KnownUnit struct {
	Code, Name, OldCode string
	ValidFrom, ValidTo  *time.Time // nil: open
}

// ValidIn says whether the unit reports in year (validity by year, not by day).
func (u KnownUnit) ValidIn(year int) bool {
	return (u.ValidFrom == nil || u.ValidFrom.Year() <= year) && (u.ValidTo == nil || u.ValidTo.Year() >= year)
}

// Unit statuses in the manifest.
const (
	UnitRestored = "restored" // read as a known unit (declared_unit is what the file says)
	UnitNew      = "new"      // no known unit could be meant
)

// unitIndex resolves a report's declared unit code.
type unitIndex struct {
	list    []KnownUnit     // the config's list; nil without one
	earlier map[string]bool // without a list: units of reports accepted before this ingest
	now     map[string]bool // and those accepted during it
}

func loadUnits(ctx context.Context, db querier, list []KnownUnit) (*unitIndex, error) {
	ui := &unitIndex{list: list, earlier: map[string]bool{}, now: map[string]bool{}}
	if list != nil {
		return ui, nil
	}
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT reporting_unit FROM load_manifest
		WHERE outcome IN ('loaded', 'replaced', 'superseded') AND reporting_unit IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("units: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var u string
		if err := rows.Scan(&u); err != nil {
			return nil, err
		}
		ui.earlier[u] = true
	}
	return ui, rows.Err()
}

// accepted records a unit whose report loaded.
func (ui *unitIndex) accepted(unit string) { ui.now[unit] = true }

// squash is a code as typed without what retyping loses or adds: spaces and
// leading zeros.
func squash(code string) string {
	code = strings.Join(strings.Fields(code), "")
	if t := strings.TrimLeft(code, "0"); t != "" {
		return t
	}
	return code
}

// resolution is what a declared code is read as.
type resolution struct {
	unit, status, note string
}

// resolve reads a report's declared unit code for year.
func (ui *unitIndex) resolve(declared string, year int) (resolution, error) {
	type cand struct{ code, name, why string }
	var known []cand
	isKnown := false
	if ui.list != nil {
		for _, u := range ui.list {
			if !u.ValidIn(year) {
				continue
			}
			if u.Code == declared {
				isKnown = true
			}
			known = append(known, cand{u.Code, u.Name, ""})
			if u.OldCode != "" && u.OldCode == declared {
				known = append(known, cand{u.Code, u.Name, "old"})
			}
		}
	} else {
		for u := range ui.earlier {
			known = append(known, cand{u, "", ""})
		}
		for u := range ui.now {
			if !ui.earlier[u] {
				known = append(known, cand{u, "", ""})
			}
		}
		isKnown = ui.earlier[declared] || ui.now[declared]
	}
	if isKnown {
		return resolution{unit: declared}, nil
	}
	var found []cand
	seen := map[string]bool{}
	for _, k := range known {
		if seen[k.code] {
			continue
		}
		if k.why == "old" || squash(k.code) == squash(declared) {
			found = append(found, k)
			seen[k.code] = true
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].code < found[j].code })
	switch len(found) {
	case 1:
		k := found[0]
		name := ""
		if k.name != "" {
			name = " (" + k.name + ")"
		}
		why := "số 0 ở đầu bị mất hoặc có dấu cách — hãy định dạng ô này là Văn bản và ghi đúng mã"
		if k.why == "old" {
			why = "đó là mã cũ của đơn vị — từ nay ghi mã mới"
		}
		return resolution{unit: k.code, status: UnitRestored,
			note: fmt.Sprintf("Mã đơn vị báo cáo %q ở sheet ThongTin được đọc là %q%s: %s", declared, k.code, name, why)}, nil
	case 0:
		if ui.list == nil && len(ui.earlier) == 0 {
			return resolution{unit: declared}, nil // the first reports: nothing to compare with
		}
		where := "các báo cáo đã nạp trước đây"
		if ui.list != nil {
			where = "danh sách đơn vị báo cáo của tỉnh"
		}
		return resolution{unit: declared, status: UnitNew,
			note: fmt.Sprintf("Đơn vị báo cáo mới: mã %q không có trong %s", declared, where)}, nil
	}
	codes := make([]string, len(found))
	for i, k := range found {
		codes[i] = k.code
	}
	return resolution{}, fmt.Errorf("mã đơn vị báo cáo %q có thể là %s: hãy ghi đúng mã đơn vị (định dạng ô là Văn bản để giữ số 0 ở đầu)",
		declared, strings.Join(codes, ", "))
}

var nameTokens = regexp.MustCompile(`[0-9A-Za-z]+`)

// fromName attributes a file that could not be read to a unit by its name:
// a token equal to exactly one known unit code (else, once leading zeros are
// restored), and a year when the name holds exactly one; year 0 otherwise.
func (ui *unitIndex) fromName(path string) (unit string, year int) {
	if ui == nil {
		return "", 0
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	codes := map[string]bool{}
	for _, u := range ui.list {
		codes[u.Code] = true
	}
	for u := range ui.earlier {
		codes[u] = true
	}
	for u := range ui.now {
		codes[u] = true
	}
	tokens := nameTokens.FindAllString(base, -1)
	years := map[int]bool{}
	for _, t := range tokens {
		if len(t) == 4 && (strings.HasPrefix(t, "20") || strings.HasPrefix(t, "19")) {
			if y, err := strconv.Atoi(t); err == nil {
				years[y] = true
			}
		}
	}
	if len(years) == 1 {
		for y := range years {
			year = y
		}
	}
	for _, match := range []func(t, c string) bool{
		func(t, c string) bool { return t == c },
		func(t, c string) bool { return squash(t) == squash(c) },
	} {
		found := map[string]bool{}
		for _, t := range tokens {
			if years[atoiOr0(t)] && len(t) == 4 && !codes[t] {
				continue // the year, not a code
			}
			for c := range codes {
				if match(t, c) {
					found[c] = true
				}
			}
		}
		if len(found) == 1 {
			for c := range found {
				unit = c
			}
			return unit, year
		}
		if len(found) > 1 {
			return "", year
		}
	}
	return "", year
}

func atoiOr0(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
