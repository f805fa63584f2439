package main

import (
	"math"
	"sort"
	"strings"
	"time"

	"orgqa/internal/gen"
	"orgqa/transform"
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
	lists   map[mkey][]float64   // values a median is taken over (M4)
	values  map[mkey]*float64    // values set directly (M18), nil for null
	graded  []string             // the metrics M18 grades
}

const provinceCode = "TINH"

// cellMetrics and rollupMetrics are the metric names each level must carry.
var cellMetrics = []string{"M1", "M2", "M3", "M4", "M4_on_time", "M5", "M6", "M7", "M8", "M9", "M9_above85", "M10",
	"M11_tot", "M11_kha", "M11_trung_binh", "M11_kem",
	"M15_dang_vien_htxs", "M15_dang_vien_htt", "M15_dang_vien_ht", "M15_dang_vien_kht"}

func rollupMetrics() []string {
	out := []string{"M1", "M2", "M3", "M4", "M4_on_time", "M5", "M6", "M7", "M8", "M9", "M9_above85", "M10",
		"M11_tot", "M11_kha", "M11_trung_binh", "M11_kem", "M12", "M13_kiem_tra", "M13_giam_sat", "M13_vi_pham", "M14_per1000",
		"M16", "M16_breach", "M17"}
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

// metricsOf is what a unit of the level must carry; orgGraded are the metrics
// the rule set in force grades (M18).
func metricsOf(level string, orgGraded []string) []string {
	switch level {
	case "cell":
		return cellMetrics
	case "org":
		out := rollupMetrics()
		for _, m := range orgGraded {
			out = append(out, "M18_"+m)
		}
		return append(out, "M18_max_rating")
	}
	return append(rollupMetrics(), "M18_red", "M18_capped")
}

// countMetric reports the metrics whose value is a count (denominator null).
func countMetric(m string) bool {
	switch m {
	case "M6", "M16_breach", "M17", "M18_red", "M18_capped":
		return true
	}
	return len(m) > 4 && (m[:4] == "M13_" && m != "M13_vi_pham" || m[:4] == "M14_" && m != "M14_per1000")
}

// nullParts reports the metrics with neither numerator nor denominator (M18's grades).
func nullParts(m string) bool {
	return strings.HasPrefix(m, "M18_") && m != "M18_red" && m != "M18_capped"
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

// addList adds a value to the lists a median is taken over, at every level.
func (e *expectation) addList(a at, metric string, v float64) {
	keys := []mkey{{"reporting_unit", a.ru, metric}, {"province", provinceCode, metric}}
	if a.cell != "" {
		keys = append(keys, mkey{"cell", a.cell, metric})
	}
	if a.org != "" {
		keys = append(keys, mkey{"org", a.org, metric})
	}
	for _, k := range keys {
		e.lists[k] = append(e.lists[k], v)
	}
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if n := len(s); n%2 == 1 {
		return s[n/2]
	} else {
		return (s[n/2-1] + s[n/2]) / 2
	}
}

func expectMetrics(reps []*gen.Report, y int, rules *transform.RuleSet) *expectation {
	e := &expectation{year: y, metrics: map[mkey]*frac{}, units: map[[2]string]string{}, lists: map[mkey][]float64{}, values: map[mkey]*float64{}}
	yStart, yEnd, cutoff := day(y, 1, 1), day(y, 12, 31), day(y, 12, 15)
	inYear := func(t time.Time) bool { return !t.Before(yStart) && !t.After(yEnd) }

	unitAt := map[string]at{}
	memberAt := map[string]at{}
	facts := orgFacts{}
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
			if u.Level == gen.LevelCell && a.org != "" {
				facts.of(a.org).cells++
			}
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

	// M4: letters signed in the year that the residence cell received
	for _, rep := range reps {
		for _, l := range rep.Letters {
			a, ok := memberAt[l.MemberCode]
			if !inYear(l.Signed) || l.CellReceived == nil || !ok {
				continue
			}
			days := l.CellReceived.Sub(l.Signed).Hours() / 24
			e.add(a, "M4", "all", 1, 0)
			e.addList(a, "M4", days)
			e.add(a, "M4_on_time", "all", b2f(days <= float64(rules.LeadTimeDays)), 1)
		}
	}

	// ratings of the year, by target
	memberRating := map[string]string{}
	orgRating := map[string]string{}
	for _, rep := range reps {
		for _, r := range rep.Ratings {
			if r.Year != y {
				continue
			}
			if r.TargetType == "Đảng viên" {
				memberRating[r.Code] = ratingCode[r.Rating]
			} else {
				orgRating[r.Code] = ratingCode[r.Rating]
			}
		}
	}
	// M6: a Chưa tốt comment and a rating HTT or HTXS
	for code, c := range comments {
		if r := memberRating[code]; c.Conclusion == "Chưa tốt" && (r == "htt" || r == "htxs") {
			e.add(memberAt[code], "M6", "all", 1, 0)
		}
	}

	// meetings, per cell
	type cellState struct {
		months, quarters                map[int]bool
		present, expected, above, count float64
		longDue, longOK, graded         float64
		grades                          map[string]float64
	}
	cs := map[string]*cellState{}
	for _, c := range cells {
		cs[c.cell] = &cellState{months: map[int]bool{}, quarters: map[int]bool{}, grades: map[string]float64{}}
	}
	var durationFrom *time.Time
	if rules.DurationRuleFrom != "" {
		t, _ := time.Parse("2006-01-02", rules.DurationRuleFrom)
		durationFrom = &t
	}
	gradeCode := map[string]string{"Tốt": "tot", "Khá": "kha", "Trung bình": "trung_binh", "Kém": "kem"}
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
			if durationFrom != nil && !mt.Date.Before(*durationFrom) {
				s.longDue++
				need := rules.MinMinutes
				if mt.Kind == "Kết hợp" {
					need = rules.MinMinutesCombined
				}
				if mt.Minutes >= need {
					s.longOK++
				}
			}
			if g := gradeCode[mt.Grade]; g != "" {
				s.graded++
				s.grades[g]++
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
		e.add(c, "M10", "all", s.longOK, s.longDue)
		for _, g := range []string{"tot", "kha", "trung_binh", "kem"} {
			e.add(c, "M11_"+g, "all", s.grades[g], s.graded)
		}
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
	disciplinedOrg := map[string]bool{}
	for _, rep := range reps {
		for _, d := range rep.Disciplines {
			if !inYear(d.Decided) {
				continue
			}
			a := targetAt(d.TargetType, d.TargetCode, rep.UnitCode)
			if a.org != "" {
				disciplinedOrg[a.org] = true
				f := facts.of(a.org)
				switch {
				case d.TargetType == "Đảng viên":
					f.membersDisc[d.TargetCode] = true
				case d.TargetCode == a.org:
					f.orgDisc = true
				default:
					f.cellsDisc[d.TargetCode] = true
				}
			}
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

	// M16: members HTXS over HTT per organization; a breach above the quota
	type quota struct {
		ru        string
		htxs, htt float64
	}
	quotas := map[string]*quota{}
	for code, r := range memberRating {
		a := memberAt[code]
		if a.org == "" {
			continue
		}
		q := quotas[a.org]
		if q == nil {
			q = &quota{ru: a.ru}
			quotas[a.org] = q
		}
		q.htxs += b2f(r == "htxs")
		q.htt += b2f(r == "htt")
	}
	quotaBps := math.Round(rules.ExcellenceQuota * 10000)
	for org, q := range quotas {
		e.add(at{ru: q.ru, org: org}, "M16", "rollup", q.htxs, q.htt)
		e.add(at{ru: q.ru, org: org}, "M16_breach", "rollup", b2f(q.htxs*10000 > quotaBps*q.htt), 0)
	}
	// M17: organizations rated HTXS with a discipline on them, below them or on a member
	for _, o := range orgs {
		if orgRating[o.org] == "htxs" {
			e.add(at{ru: o.ru, org: o.org}, "M17", "rollup", b2f(disciplinedOrg[o.org]), 0)
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
	for code, r := range memberRating {
		if a := memberAt[code]; a.org != "" {
			f := facts.of(a.org)
			f.rated++
			f.kht += b2f(r == "kht")
			f.httPlus += b2f(r == "htt" || r == "htxs")
		}
	}
	e.assess(orgs, facts, rules)
	return e
}

// orgFacts is what the rating caps look at, per grassroots organization.
type orgFacts map[string]*orgFact

type orgFact struct {
	orgDisc                bool
	cells                  float64
	cellsDisc, membersDisc map[string]bool
	rated, kht, httPlus    float64
}

func (o orgFacts) of(org string) *orgFact {
	if o[org] == nil {
		o[org] = &orgFact{cellsDisc: map[string]bool{}, membersDisc: map[string]bool{}}
	}
	return o[org]
}

// holds says whether a cap's condition holds for an organization, as the
// rule texts put it (transform.CapConditions).
func (f *orgFact) holds(c transform.Cap) bool {
	switch c.When {
	case "org_disciplined":
		return f.orgDisc
	case "subordinate_disciplined":
		return len(f.cellsDisc) > 0
	case "subordinates_disciplined_over":
		return f.cells > 0 && float64(len(f.cellsDisc)) > c.Share*f.cells
	case "any_disciplined":
		return f.orgDisc || len(f.cellsDisc) > 0 || len(f.membersDisc) > 0
	}
	// the member conditions are a cell's: they cap a chi bộ cơ sở only (an
	// organization with no cells below it)
	if f.cells > 0 {
		return false
	}
	switch c.When {
	case "member_disciplined":
		return len(f.membersDisc) > 0
	case "member_kht":
		return f.kht > 0
	case "members_htt_under":
		return f.rated > 0 && f.httPlus < c.Share*f.rated
	}
	panic("unknown cap " + c.When)
}

// assess is M18: each graded metric of each organization on the value the
// mart shows, and the highest rating the rules allow.
func (e *expectation) assess(orgs []at, facts orgFacts, rules *transform.RuleSet) {
	for m := range rules.Thresholds {
		e.graded = append(e.graded, m)
	}
	sort.Strings(e.graded)
	level := map[string]float64{"kht": 1, "ht": 2, "htt": 3, "htxs": 4}
	for _, o := range orgs {
		red := false
		for _, m := range e.graded {
			f := frac{}
			if w := e.metrics[mkey{"org", o.org, m}]; w != nil {
				f = *w
			}
			k := mkey{"org", o.org, "M18_" + m}
			v, ok := e.value(m, f)
			t := rules.Thresholds[m]
			minDen := float64(rules.MinDenominator)
			if t.MinDenominator != nil {
				minDen = float64(*t.MinDenominator)
			}
			if !ok || f.den < minDen { // too few cases to grade
				e.values[k] = nil
				continue
			}
			beyond := func(limit float64) bool {
				if t.Better == "lower" {
					return v <= limit
				}
				return v >= limit
			}
			g := 3.0
			if beyond(t.Green) {
				g = 1
			} else if beyond(t.Amber) {
				g = 2
			}
			red = red || g == 3
			e.values[k] = &g
		}
		maxRating := 4.0
		for _, c := range rules.Caps {
			if facts.of(o.org).holds(c) {
				maxRating = math.Min(maxRating, level[c.Max])
			}
		}
		if red && rules.MaxRatingWithRed != "" {
			maxRating = math.Min(maxRating, level[rules.MaxRatingWithRed])
		}
		e.values[mkey{"org", o.org, "M18_max_rating"}] = &maxRating
		for _, metric := range []string{"M18_red", "M18_capped"} {
			hit := b2f(metric == "M18_red" && red || metric == "M18_capped" && maxRating < 4)
			e.add(at{ru: o.ru}, metric, "rollup", hit, 0)
		}
	}
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
	case metric == "M4":
		return 0, false // a median: see valueAt
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

// valueAt is the value a unit's metric must have.
func (e *expectation) valueAt(k mkey, f frac) (float64, bool) {
	if v, set := e.values[k]; set {
		if v == nil {
			return 0, false
		}
		return *v, true
	}
	if k.metric == "M4" {
		if xs := e.lists[k]; len(xs) > 0 {
			return median(xs), true
		}
		return 0, false
	}
	return e.value(k.metric, f)
}
