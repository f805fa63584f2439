package main

import (
	"math"
	"time"

	"orgqa/internal/gen"
)

// This file works out every metric from the generator's records, by domain.md §4's
// counting rules applied to the labels as units write them. It shares no code
// with the SQL models: it is the second person computing the metric by hand.

type mkey struct{ level, unit, metric string }

type frac struct{ num, den float64 }

type expectation struct {
	year    int
	metrics map[mkey]*frac
	units   map[[2]string]string // (level, unit) -> name
}

const provinceCode = "TINH"

// cellMetrics and rollupMetrics are the metric names each level must carry.
var cellMetrics = []string{"M1", "M2", "M3", "M5", "M7", "M8", "M9", "M9_above85",
	"M15_dang_vien_htxs", "M15_dang_vien_htt", "M15_dang_vien_ht", "M15_dang_vien_kht"}

func rollupMetrics() []string {
	out := []string{"M1", "M2", "M3", "M5", "M7", "M8", "M9", "M9_above85", "M12", "M13_kiem_tra", "M13_giam_sat", "M13_vi_pham", "M14_per1000"}
	for _, a := range []string{"kiem_tra", "giam_sat"} {
		for _, k := range []string{"thuong_xuyen", "chuyen_de", "dau_hieu_vi_pham"} {
			for _, t := range []string{"to_chuc", "dang_vien"} {
				out = append(out, "M13_"+a+"_"+k+"_"+t)
			}
		}
	}
	for _, f := range []string{"khien_trach", "canh_cao", "cach_chuc", "khai_tru"} {
		out = append(out, "M14_dang_vien_"+f)
	}
	for _, f := range []string{"khien_trach", "canh_cao", "giai_tan"} {
		out = append(out, "M14_to_chuc_"+f)
	}
	for _, t := range []string{"dang_vien", "to_chuc"} {
		for _, l := range []string{"htxs", "htt", "ht", "kht"} {
			out = append(out, "M15_"+t+"_"+l)
		}
	}
	return out
}

// countMetric reports the metrics whose value is a count (denominator null).
func countMetric(m string) bool {
	return len(m) > 4 && (m[:4] == "M13_" && m != "M13_vi_pham" || m[:4] == "M14_" && m != "M14_per1000")
}

// at is where a fact belongs.
type at struct{ ru, org, cell string }

// add puts a fact's numerator and denominator into every level it rolls up to.
// scope: "cell" (cells only), "rollup" (above cells) or "all".
func (e *expectation) add(a at, metric, scope string, num, den float64) {
	put := func(level, unit string) {
		k := mkey{level, unit, metric}
		f := e.metrics[k]
		if f == nil {
			f = &frac{}
			e.metrics[k] = f
		}
		f.num += num
		f.den += den
	}
	if a.cell != "" && scope != "rollup" {
		put("cell", a.cell)
	}
	if scope == "cell" {
		return
	}
	if a.org != "" {
		put("org", a.org)
	}
	put("reporting_unit", a.ru)
	put("province", provinceCode)
}

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

var ratingCode = map[string]string{
	"HTXS": "htxs", "HTT": "htt", "HT": "ht", "KHT": "kht",
	"Hoàn thành xuất sắc nhiệm vụ": "htxs", "Hoàn thành tốt nhiệm vụ": "htt",
	"Hoàn thành nhiệm vụ": "ht", "Không hoàn thành nhiệm vụ": "kht",
}

var targetCode = map[string]string{"Tổ chức": "to_chuc", "Đảng viên": "dang_vien"}

var inspectionCode = map[string]string{
	"Kiểm tra": "kiem_tra", "Giám sát": "giam_sat",
	"Thường xuyên": "thuong_xuyen", "Chuyên đề": "chuyen_de", "Dấu hiệu vi phạm": "dau_hieu_vi_pham",
}

var disciplineCode = map[string]string{"Khiển trách": "khien_trach", "Cảnh cáo": "canh_cao", "Cách chức": "cach_chuc", "Khai trừ": "khai_tru", "Giải tán": "giai_tan"}

func expectMetrics(reps []*gen.Report, y int) *expectation {
	e := &expectation{year: y, metrics: map[mkey]*frac{}, units: map[[2]string]string{}}
	yStart, yEnd, cutoff := day(y, 1, 1), day(y, 12, 31), day(y, 12, 15)
	inYear := func(t time.Time) bool { return !t.Before(yStart) && !t.After(yEnd) }

	unitAt := map[string]at{}
	memberAt := map[string]at{}
	type memberInfo struct {
		m       gen.Member
		counted bool
	}
	members := map[string]memberInfo{}
	var cells []at
	var orgs []at
	for _, rep := range reps {
		ru := rep.UnitCode
		e.units[[2]string{"reporting_unit", ru}] = rep.UnitName
		valid := map[string]gen.Unit{}
		for _, u := range rep.Units {
			if (u.ValidFrom == nil || !u.ValidFrom.After(yEnd)) && (u.ValidTo == nil || !u.ValidTo.Before(yStart)) {
				valid[u.Code] = u
			}
		}
		orgOf := func(code string) string {
			for i := 0; i < 32; i++ {
				u, ok := valid[code]
				if !ok {
					return ""
				}
				if u.Level == gen.LevelOrg {
					return u.Code
				}
				code = u.Parent
			}
			return ""
		}
		hasCells := map[string]bool{}
		for _, u := range valid {
			if u.Level == gen.LevelCell {
				hasCells[orgOf(u.Code)] = true
			}
		}
		for _, u := range valid {
			a := at{ru: ru, org: orgOf(u.Code)}
			if u.Level == gen.LevelCell || u.Level == gen.LevelOrg && !hasCells[u.Code] {
				a.cell = u.Code
				cells = append(cells, a)
				e.units[[2]string{"cell", u.Code}] = u.Name
			}
			if u.Level == gen.LevelOrg {
				orgs = append(orgs, a)
				e.units[[2]string{"org", u.Code}] = u.Name
			}
			unitAt[u.Code] = a
		}
		for _, m := range rep.Members {
			counted := m.Status == "" || m.Status == gen.StatusActive || m.StatusDate != nil && m.StatusDate.After(yEnd)
			members[m.Code] = memberInfo{m: m, counted: counted}
			a := at{ru: ru}
			if u, ok := unitAt[m.CellCode]; ok {
				a.org = u.org
				a.cell = u.cell
			}
			memberAt[m.Code] = a
		}
	}
	e.units[[2]string{"province", provinceCode}] = "Toàn tỉnh"

	// letters: the latest signed by 31/12/Y, a confirmed one on a tie
	type letterState struct {
		signed    time.Time
		confirmed bool
	}
	latest := map[string]*letterState{}
	comments := map[string]gen.Comment{}
	for _, rep := range reps {
		for _, l := range rep.Letters {
			if l.Signed.After(yEnd) {
				continue
			}
			s := latest[l.MemberCode]
			c := l.Confirmed != nil
			if s == nil || l.Signed.After(s.signed) || l.Signed.Equal(s.signed) && c {
				latest[l.MemberCode] = &letterState{l.Signed, c}
			}
		}
		for _, c := range rep.Comments {
			if c.Year == y {
				comments[c.MemberCode] = c
			}
		}
	}
	for code, mi := range members {
		m := mi.m
		introduced := m.Scheme == "" || m.Scheme == gen.SchemeIntroduced
		if !mi.counted || m.Working != "Có" || !(introduced || m.Scheme == gen.SchemeExcused) {
			continue
		}
		a := memberAt[code]
		l := latest[code]
		e.add(a, "M1", "all", b2f(l != nil), 1)
		if l == nil {
			continue
		}
		e.add(a, "M2", "all", b2f(l.confirmed), 1)
		if introduced {
			c, ok := comments[code]
			e.add(a, "M3", "all", b2f(ok && c.Received != nil && !c.Received.After(cutoff)), 1)
		}
	}
	for code, c := range comments {
		if c.Conclusion != "" {
			e.add(memberAt[code], "M5", "all", b2f(c.Conclusion == "Chưa tốt"), 1)
		}
	}

	// meetings, per cell
	type cellState struct {
		months, quarters                map[int]bool
		present, expected, above, count float64
	}
	cs := map[string]*cellState{}
	for _, c := range cells {
		cs[c.cell] = &cellState{months: map[int]bool{}, quarters: map[int]bool{}}
	}
	for _, rep := range reps {
		for _, mt := range rep.Meetings {
			s := cs[mt.CellCode]
			if s == nil || !inYear(mt.Date) {
				continue
			}
			if mt.Kind == "Thường kỳ" || mt.Kind == "Kết hợp" {
				s.months[int(mt.Date.Month())] = true
			}
			if mt.Kind == "Chuyên đề" || mt.Kind == "Kết hợp" {
				s.quarters[(int(mt.Date.Month())-1)/3] = true
			}
			exp := mt.Members - mt.Exempt
			s.present += float64(mt.Present)
			s.expected += float64(exp)
			if exp > 0 {
				s.count++
				if mt.Present*100 > 85*exp { // above 85%, in whole numbers
					s.above++
				}
			}
		}
	}
	for _, c := range cells {
		s := cs[c.cell]
		e.add(c, "M7", "cell", float64(len(s.months)), 12)
		e.add(c, "M7", "rollup", b2f(len(s.months) == 12), 1)
		e.add(c, "M8", "all", float64(len(s.quarters)), 4)
		e.add(c, "M9", "all", s.present, s.expected)
		e.add(c, "M9_above85", "all", s.above, s.count)
	}

	// inspections: the year of the start, or of the conclusion when the start is blank
	targetAt := func(typ, code string, ru string) at {
		var a at
		var ok bool
		if typ == "Tổ chức" {
			a, ok = unitAt[code]
		} else {
			a, ok = memberAt[code]
		}
		if !ok {
			return at{ru: ru}
		}
		return a
	}
	covered := map[string]bool{}
	for _, rep := range reps {
		for _, in := range rep.Inspections {
			when := in.Start
			if when == nil {
				when = in.Concluded
			}
			if when == nil || !inYear(*when) {
				continue
			}
			a := targetAt(in.TargetType, in.TargetCode, rep.UnitCode)
			if in.TargetType == "Tổ chức" && a.org != "" {
				covered[a.org] = true
			}
			act := inspectionCode[in.Activity]
			e.add(a, "M13_"+act, "rollup", 1, 0)
			e.add(a, "M13_"+act+"_"+inspectionCode[in.Kind]+"_"+targetCode[in.TargetType], "rollup", 1, 0)
			if in.Concluded != nil {
				e.add(a, "M13_vi_pham", "rollup", b2f(in.Violation == "Có"), 1)
			}
		}
	}
	for _, o := range orgs {
		e.add(at{ru: o.ru, org: o.org}, "M12", "rollup", b2f(covered[o.org]), 1)
	}

	// discipline decided in the year; the rate counts each member once
	disciplined := map[string]bool{}
	for _, rep := range reps {
		for _, d := range rep.Disciplines {
			if !inYear(d.Decided) {
				continue
			}
			a := targetAt(d.TargetType, d.TargetCode, rep.UnitCode)
			e.add(a, "M14_"+targetCode[d.TargetType]+"_"+disciplineCode[d.Form], "rollup", 1, 0)
			if d.TargetType == "Đảng viên" && !disciplined[d.TargetCode] {
				disciplined[d.TargetCode] = true
				e.add(a, "M14_per1000", "rollup", 1, 0)
			}
		}
	}
	for code, mi := range members {
		if mi.counted {
			e.add(memberAt[code], "M14_per1000", "rollup", 0, 1)
		}
	}

	for _, rep := range reps {
		for _, r := range rep.Ratings {
			if r.Year != y {
				continue
			}
			a := targetAt(r.TargetType, r.Code, rep.UnitCode)
			scope := "all"
			if r.TargetType == "Tổ chức" {
				scope = "rollup"
			}
			for _, l := range []string{"htxs", "htt", "ht", "kht"} {
				e.add(a, "M15_"+targetCode[r.TargetType]+"_"+l, scope, b2f(ratingCode[r.Rating] == l), 1)
			}
		}
	}
	return e
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// value is what the mart must hold for a metric with this numerator and denominator.
func (e *expectation) value(metric string, f frac) (float64, bool) {
	switch {
	case countMetric(metric):
		return f.num, true
	case f.den == 0:
		return 0, false
	case metric == "M14_per1000":
		return math.Round(100000*f.num/f.den) / 100, true
	default:
		return math.Round(1000*f.num/f.den) / 1000, true
	}
}
