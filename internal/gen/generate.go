package gen

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"
)

// Scale sets the size of a generated data set.
type Scale struct {
	Name           string
	Units          int // reporting units
	OrgsPerUnit    int // grassroots organizations per reporting unit (mean)
	CellsPerOrg    int // cells per đảng bộ cơ sở (mean)
	MembersPerCell int // members per cell (mean)
}

// Scales are the sizes of domain.md §2. A province is about 120 reporting units,
// 2.000 grassroots organizations, 6.000 cells and 170.000 members; national is
// 33 provinces' worth (about 5,6 million members).
var Scales = map[string]Scale{
	"small":    {Name: "small", Units: 3, OrgsPerUnit: 4, CellsPerOrg: 3, MembersPerCell: 10},
	"demo":     {Name: "demo", Units: 6, OrgsPerUnit: 17, CellsPerOrg: 5, MembersPerCell: 25},
	"province": {Name: "province", Units: 120, OrgsPerUnit: 17, CellsPerOrg: 5, MembersPerCell: 25},
	"national": {Name: "national", Units: 3960, OrgsPerUnit: 17, CellsPerOrg: 5, MembersPerCell: 25},
}

// Config selects what to generate.
type Config struct {
	Scale Scale
	Year  int
	Seed  uint64
}

// Generate builds reporting unit i (0-based) of the data set. The result depends
// only on (Seed, Year, i), so units can be generated one at a time in constant memory.
func Generate(cfg Config, i int) *Report {
	g := &unitGen{
		cfg: cfg,
		r:   rand.New(rand.NewPCG(cfg.Seed, uint64(cfg.Year)<<32|uint64(i))),
		y:   cfg.Year,
	}
	return g.report(i)
}

type unitGen struct {
	cfg Config
	r   *rand.Rand
	y   int
	rep *Report
	// residence cells of this unit (cells of commune/ward organizations)
	residenceCells []Unit
	// weak: the organization being generated is one of the few (5–6%) that
	// lag on every measure; weakOrgs: those of the report
	weak     bool
	weakOrgs map[string]bool
}

// p is the chance of a good outcome: as real provinces report it, or lower
// in a weak organization.
func (g *unitGen) p(normal, weak float64) float64 {
	if g.weak {
		return weak
	}
	return normal
}

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func ptr(t time.Time) *time.Time { return &t }

func (g *unitGen) chance(p float64) bool { return g.r.Float64() < p }

func (g *unitGen) pick(xs []string) string { return xs[g.r.IntN(len(xs))] }

// around returns n ±spread (at least min).
func (g *unitGen) around(n int, spread float64, min int) int {
	d := int(float64(n) * spread)
	v := n
	if d > 0 {
		v = n - d + g.r.IntN(2*d+1)
	}
	if v < min {
		v = min
	}
	return v
}

// dayIn returns a random day between from and to inclusive.
func (g *unitGen) dayIn(from, to time.Time) time.Time {
	days := int(to.Sub(from).Hours()/24) + 1
	return from.AddDate(0, 0, g.r.IntN(days))
}

func (g *unitGen) personName() (string, string) {
	gender := "Nam"
	middle := g.pick(middleMale)
	given := g.pick(givenMale)
	if g.chance(0.45) {
		gender = "Nữ"
		middle = g.pick(middleFemale)
		given = g.pick(givenFemale)
	}
	return g.pick(familyNames) + " " + middle + " " + given, gender
}

func (g *unitGen) report(i int) *Report {
	y := g.y
	code := fmt.Sprintf("%04d", 100+i)
	place := placeName(i)
	var name string
	if y >= 2025 {
		name = "Đảng ủy xã " + place
		if i%4 == 1 {
			name = "Đảng ủy phường " + place
		}
	} else {
		switch i % 10 {
		case 0:
			name = "Thành ủy " + place
		case 5:
			name = "Thị ủy " + place
		default:
			name = "Huyện ủy " + place
		}
	}
	author, _ := g.personName()
	g.rep = &Report{
		UnitCode: code, UnitName: name, Year: y, Author: author,
		Created: g.dayIn(date(y+1, 1, 5), date(y+1, 2, 20)),
		Layout: Layout{
			TitleRows: i%2 == 0,
			STT:       i%3 != 2,
			TextDates: i%3 == 1,
			TotalRow:  i%4 == 0,
			BOM:       i%2 == 1,
		},
	}
	rep := g.rep
	root := Unit{Code: code, Name: name, Level: LevelAbove, ValidFrom: ptr(date(2020, 1, 1))}
	if y >= 2025 {
		// a commune committee since the reform: every three communes of the
		// generated set come from one district of the year before
		root.ValidFrom = ptr(date(2025, 7, 1))
		root.OldCode = fmt.Sprintf("%04d", 100+i/3)
	}
	rep.Units = append(rep.Units, root)

	nOrgs := g.around(g.cfg.Scale.OrgsPerUnit, 0.3, 2)
	type orgCells struct {
		org   Unit
		cells []Unit
	}
	var orgs []orgCells
	g.weakOrgs = map[string]bool{}
	for j := 0; j < nOrgs; j++ {
		oc := orgCells{org: g.org(code, j)}
		if g.chance(0.055) {
			g.weakOrgs[oc.org.Code] = true
		}
		if j == 0 || g.chance(0.6) { // đảng bộ cơ sở with cells
			oc.org.Name = "Đảng bộ " + oc.org.Name
			n := g.around(g.cfg.Scale.CellsPerOrg, 0.6, 2)
			for k := 0; k < n; k++ {
				oc.cells = append(oc.cells, g.cell(oc.org, k))
			}
			// a cell merged away last year: valid until 30/06/(Y-1), if its organization was there before
			if g.chance(0.25) && !oc.org.ValidFrom.After(date(y-1, 6, 30)) {
				c := g.cell(oc.org, n)
				c.ValidTo = ptr(date(y-1, 6, 30))
				rep.Units = append(rep.Units, c)
			}
		} else {
			oc.org.Name = "Chi bộ " + oc.org.Name
		}
		rep.Units = append(rep.Units, oc.org)
		rep.Units = append(rep.Units, oc.cells...)
		orgs = append(orgs, oc)
		if oc.org.Type == "Xã phường" {
			if len(oc.cells) > 0 {
				g.residenceCells = append(g.residenceCells, oc.cells...)
			} else {
				g.residenceCells = append(g.residenceCells, oc.org)
			}
		}
	}

	seq := 0
	for _, oc := range orgs {
		g.weak = g.weakOrgs[oc.org.Code]
		holders := oc.cells
		if len(holders) == 0 {
			holders = []Unit{oc.org} // a chi bộ cơ sở holds its members itself
		}
		for _, cell := range holders {
			n := g.around(g.cfg.Scale.MembersPerCell, 0.4, 3)
			var counted []Member
			for k := 0; k < n; k++ {
				seq++
				m := g.member(i, seq, cell, oc.org.Type)
				rep.Members = append(rep.Members, m)
				if memberCounted(m, y) {
					counted = append(counted, m)
				}
				g.memberEvents(m)
			}
			g.meetings(cell, len(counted))
		}
	}
	g.weak = false
	g.inspections(orgs2units(orgs, func(o orgCells) (Unit, []Unit) { return o.org, o.cells }))
	g.orgRatingsAndDiscipline()
	g.keepQuota()
	g.breaches(i, orgs2units(orgs, func(o orgCells) (Unit, []Unit) { return o.org, o.cells }))
	return rep
}

func orgs2units[T any](xs []T, f func(T) (Unit, []Unit)) [][]Unit {
	var out [][]Unit
	for _, x := range xs {
		o, cs := f(x)
		out = append(out, append([]Unit{o}, cs...))
	}
	return out
}

var orgTypes = []struct {
	name string
	p    float64
}{{"Xã phường", 0.35}, {"Cơ quan", 0.25}, {"Sự nghiệp", 0.20}, {"Doanh nghiệp", 0.12}, {"Lực lượng vũ trang", 0.08}}

func (g *unitGen) org(ru string, j int) Unit {
	x := g.r.Float64()
	typ := orgTypes[len(orgTypes)-1].name
	for _, t := range orgTypes {
		if x < t.p {
			typ = t.name
			break
		}
		x -= t.p
	}
	var name string
	switch typ {
	case "Xã phường":
		name = "xã " + g.pick(places)
	case "Cơ quan":
		name = g.pick(agencies)
	case "Sự nghiệp":
		name = g.pick(services) + " " + g.pick(places)
	case "Doanh nghiệp":
		name = "Công ty " + g.pick(companies)
	default:
		name = g.pick(forces)
	}
	return Unit{Code: fmt.Sprintf("%s%03d", ru, j+1), Name: name, Level: LevelOrg, Type: typ, Parent: ru,
		ValidFrom: ptr(date(2020+g.r.IntN(3), 1, 1))}
}

func (g *unitGen) cell(org Unit, k int) Unit {
	var name string
	if org.Type == "Xã phường" {
		if g.chance(0.5) {
			name = fmt.Sprintf("Chi bộ ấp %d", k+1)
		} else {
			name = fmt.Sprintf("Chi bộ khu phố %d", k+1)
		}
	} else {
		name = "Chi bộ " + departments[(k+g.r.IntN(3))%len(departments)]
	}
	return Unit{Code: fmt.Sprintf("%s%02d", org.Code, k+1), Name: name, Level: LevelCell, Type: org.Type, Parent: org.Code,
		ValidFrom: org.ValidFrom}
}

// memberCounted is domain.md §4: Trạng thái Đang sinh hoạt or blank, or a status date after 31/12/Y.
func memberCounted(m Member, y int) bool {
	return m.Status == "" || m.Status == StatusActive || (m.StatusDate != nil && m.StatusDate.After(date(y, 12, 31)))
}

var statuses = []struct {
	name string
	p    float64
}{{"Chuyển đi", 0.02}, {"Từ trần", 0.01}, {"Xóa tên", 0.01}, {"Khai trừ", 0.005}, {"Ra khỏi Đảng", 0.005}}

func (g *unitGen) member(ru, seq int, cell Unit, orgType string) Member {
	y := g.y
	name, gender := g.personName()
	m := Member{
		Code: fmt.Sprintf("%04d%05d", ru, seq), Name: name, Gender: gender, CellCode: cell.Code,
		Birth:   g.dayIn(date(1955, 1, 1), date(2002, 12, 31)),
		Working: "Không",
	}
	pWorking := 0.60
	if orgType == "Xã phường" {
		pWorking = 0.15
	}
	if g.chance(pWorking) {
		m.Working = "Có"
		switch x := g.r.Float64(); {
		case x < 0.30:
			m.Scheme = "" // blank means Giới thiệu
		case x < 0.86:
			m.Scheme = SchemeIntroduced
		case x < 0.94:
			m.Scheme = SchemeExcused
		default:
			m.Scheme = SchemeNone
		}
		m.ResidenceCommune = "xã " + g.pick(places)
		if len(g.residenceCells) > 0 && m.Scheme != SchemeNone {
			m.ResidenceCellCode = g.residenceCells[g.r.IntN(len(g.residenceCells))].Code
		}
	}
	x := g.r.Float64()
	for _, s := range statuses {
		if x < s.p {
			m.Status = s.name
			m.StatusDate = ptr(g.dayIn(date(y-1, 1, 1), date(y+1, 3, 31)))
			if g.chance(0.15) { // on the boundary: gone on the last day still counts as gone
				m.StatusDate = ptr(date(y, 12, 31))
			}
			break
		}
		x -= s.p
	}
	if m.Status == "" && g.chance(0.4) {
		m.Status = StatusActive
	}
	return m
}

// memberEvents adds the member's letters, comments, ratings and discipline.
func (g *unitGen) memberEvents(m Member) {
	y, rep := g.y, g.rep
	introduced := m.Working == "Có" && m.Scheme != SchemeNone
	var lastSigned *time.Time
	if introduced && g.chance(g.p(0.985, 0.80)) { // ≈98% of working members hold a letter
		n := 1
		if g.chance(0.05) {
			n = 2 // moved house: an older letter and a newer one
		}
		for k := 0; k < n; k++ {
			var signed time.Time
			switch x := g.r.Float64(); {
			case x < 0.65 || k == 0 && n == 2:
				signed = g.dayIn(date(y-4, 1, 10), date(y-1, 12, 31))
			case x < 0.99:
				signed = g.dayIn(date(y, 1, 5), date(y, 12, 31))
			default:
				signed = g.dayIn(date(y+1, 1, 2), date(y+1, 2, 28)) // signed too late for Y
			}
			if g.chance(0.02) { // signed on the last day of the year: still counts
				signed = date(y, 12, 31)
			}
			if lastSigned != nil && !signed.After(*lastSigned) { // a move: the new letter comes later
				signed = lastSigned.AddDate(0, 1+g.r.IntN(6), 0)
			}
			l := Letter{MemberCode: m.Code, Number: fmt.Sprintf("%d/GGT-ĐU", 1+g.r.IntN(400)), Signed: signed, Commune: m.ResidenceCommune}
			if g.chance(0.9) {
				l.Confirmed = ptr(signed.AddDate(0, 0, 3+g.r.IntN(18)))
				if g.chance(0.85) {
					l.CellReceived = ptr(l.Confirmed.AddDate(0, 0, 1+g.r.IntN(40)))
				}
			}
			rep.Letters = append(rep.Letters, l)
			if lastSigned == nil || signed.After(*lastSigned) {
				lastSigned = &l.Signed
			}
		}
	}
	if lastSigned != nil && !lastSigned.After(date(y, 12, 31)) {
		pComment := g.p(0.985, 0.85)
		if m.Scheme == SchemeExcused {
			pComment = 0.05 // excused, but some committees comment anyway
		}
		if g.chance(pComment) {
			rep.Comments = append(rep.Comments, g.comment(m, y))
		}
		if g.chance(0.3) {
			rep.Comments = append(rep.Comments, g.comment(m, y-1))
		}
	}
	dist := memberRatings
	if g.weak {
		dist = memberRatingsWeak
	}
	if memberCounted(m, y) && g.chance(0.97) {
		rep.Ratings = append(rep.Ratings, g.rating("Đảng viên", m.Code, y, dist))
	}
	if g.chance(0.1) {
		rep.Ratings = append(rep.Ratings, g.rating("Đảng viên", m.Code, y-1, dist))
	}
	if g.chance(g.p(0.0035, 0.012)) { // ≈4 members in 1.000 a year
		d := Discipline{TargetType: "Đảng viên", TargetCode: m.Code, Form: g.weighted(disciplineForms, disciplineShares),
			Decided: g.dayIn(date(y, 1, 1), date(y, 12, 31))}
		if g.chance(0.1) {
			d.Decided = g.dayIn(date(y-1, 1, 1), date(y-1, 12, 31))
		}
		d.Case = fmt.Sprintf("KL-%s-%d", g.rep.UnitCode, len(rep.Disciplines)+1)
		rep.Disciplines = append(rep.Disciplines, d)
	}
	if g.chance(0.06) { // ≈6% of members inspected or supervised a year
		g.addInspection("Đảng viên", m.Code)
	}
}

var (
	// members disciplined, by form: khiển trách / cảnh cáo / cách chức / khai trừ ≈ 67/16/2/15%
	disciplineForms  = []string{"Khiển trách", "Cảnh cáo", "Cách chức", "Khai trừ"}
	disciplineShares = []float64{0.67, 0.16, 0.02, 0.15}
)

// weighted picks one of xs with the given shares.
func (g *unitGen) weighted(xs []string, shares []float64) string {
	x := g.r.Float64()
	for i, p := range shares {
		if x < p {
			return xs[i]
		}
		x -= p
	}
	return xs[len(xs)-1]
}

func (g *unitGen) comment(m Member, year int) Comment {
	meet := g.dayIn(date(year, 9, 15), date(year, 11, 10))
	c := Comment{MemberCode: m.Code, Year: year, ResidenceCell: m.ResidenceCellCode, MeetingDate: &meet, Channel: "Giấy",
		Content: "Gương mẫu chấp hành chủ trương của Đảng, chính sách, pháp luật của Nhà nước và quy định nơi cư trú."}
	switch x := g.r.Float64(); { // almost all "Tốt": ≈1% Chưa tốt
	case x < g.p(0.985, 0.93):
		c.Conclusion = "Tốt"
	case x < g.p(0.995, 0.99):
		c.Conclusion = "Chưa tốt"
		c.Content = "Chưa tham gia đầy đủ các buổi sinh hoạt ở khu dân cư."
	default:
		c.Conclusion = ""
	}
	if year >= 2025 && g.chance(0.15) {
		c.Channel = "Dịch vụ công"
	}
	c.Sent = ptr(meet.AddDate(0, 0, 2+g.r.IntN(9)))
	if g.chance(g.p(0.995, 0.90)) { // ≈97% back by the cut-off
		c.Received = ptr(c.Sent.AddDate(0, 0, 1+g.r.IntN(20)))
		switch {
		case g.chance(g.p(0.02, 0.25)): // late: after the cut-off
			c.Received = ptr(g.dayIn(date(year, 12, 16), date(year+1, 1, 20)))
		case g.chance(0.03): // received on the cut-off day itself: on time
			c.Received = ptr(date(year, 12, 15))
		}
	}
	return c
}

var (
	// real provinces: organizations 20/72/7,5/0,5%, members 14/77/8,5/0,5%
	// (HTXS/HTT/HT/KHT); the weak organizations take the lower ones
	memberRatings     = []float64{0.145, 0.782, 0.07, 0.003}
	memberRatingsWeak = []float64{0.06, 0.62, 0.29, 0.03}
	orgRatings        = []float64{0.21, 0.745, 0.045, 0.0}
	orgRatingsWeak    = []float64{0.0, 0.35, 0.55, 0.10}
	ratingShort       = []string{"HTXS", "HTT", "HT", "KHT"}
	ratingFull        = []string{"Hoàn thành xuất sắc nhiệm vụ", "Hoàn thành tốt nhiệm vụ", "Hoàn thành nhiệm vụ", "Không hoàn thành nhiệm vụ"}
	scoreBands        = [][2]int{{90, 100}, {70, 89}, {50, 69}, {20, 49}}
)

func (g *unitGen) rating(target, code string, year int, dist []float64) Rating {
	x, lvl := g.r.Float64(), len(dist)-1
	for k, p := range dist {
		if x < p {
			lvl = k
			break
		}
		x -= p
	}
	r := Rating{TargetType: target, Code: code, Year: year, Rating: ratingShort[lvl]}
	if g.chance(0.3) {
		r.Rating = ratingFull[lvl]
	}
	self := lvl
	if self > 0 && g.chance(0.2) {
		self--
	}
	r.Self = ratingShort[self]
	if year >= 2025 {
		b := scoreBands[lvl]
		r.Score = b[0] + g.r.IntN(b[1]-b[0]+1)
	}
	return r
}

// meetings writes a cell's meetings for the year; members is its head count.
func (g *unitGen) meetings(cell Unit, members int) {
	y, rep := g.y, g.rep
	missing := map[int]bool{}
	if !g.chance(g.p(0.975, 0.45)) { // ≈97% of cells meet all 12 months
		for k := 1 + g.r.IntN(3); k > 0; k-- {
			missing[1+g.r.IntN(12)] = true
		}
	}
	if g.chance(0.2) { // last December's meeting, listed again: not in Y
		rep.Meetings = append(rep.Meetings, g.meeting(cell, members, date(y-1, 12, 5+g.r.IntN(20)), "Thường kỳ"))
	}
	for q := 0; q < 4; q++ {
		combinedMonth := 0
		if g.chance(0.3) {
			combinedMonth = q*3 + 1 + g.r.IntN(3)
		}
		for m := q*3 + 1; m <= q*3+3; m++ {
			if missing[m] {
				continue
			}
			kind := "Thường kỳ"
			if m == combinedMonth {
				kind = "Kết hợp"
			}
			rep.Meetings = append(rep.Meetings, g.meeting(cell, members, date(y, m, 1+g.r.IntN(28)), kind))
		}
		if combinedMonth == 0 && g.chance(g.p(0.985, 0.6)) { // a thematic meeting each quarter
			m := q*3 + 1 + g.r.IntN(3)
			rep.Meetings = append(rep.Meetings, g.meeting(cell, members, date(y, m, 1+g.r.IntN(28)), "Chuyên đề"))
		}
	}
}

func (g *unitGen) meeting(cell Unit, members int, d time.Time, kind string) Meeting {
	mt := Meeting{CellCode: cell.Code, Date: d, Kind: kind, Members: members, Minutes: 60 + 5*g.r.IntN(19)}
	if kind == "Kết hợp" {
		mt.Minutes = 100 + 5*g.r.IntN(17)
	}
	if !d.Before(date(2025, 10, 28)) { // HD 42: at least 90 minutes (120 combined), nearly always kept
		mt.Minutes = 90 + 5*g.r.IntN(13)
		if kind == "Kết hợp" {
			mt.Minutes = 120 + 5*g.r.IntN(9)
		}
		if !g.chance(g.p(0.98, 0.6)) {
			mt.Minutes -= 30
		}
	}
	if members > 0 {
		mt.Exempt = g.r.IntN(min(3, members))
	}
	expected := mt.Members - mt.Exempt
	for k := 0; k < expected; k++ { // each member away with a reason now and then
		if !g.chance(g.p(0.955, 0.84)) {
			mt.AbsentExcused++
		}
	}
	if g.chance(g.p(0.05, 0.3)) && expected-mt.AbsentExcused > 0 {
		mt.AbsentUnexcused = 1
	}
	mt.Present = expected - mt.AbsentExcused - mt.AbsentUnexcused
	mt.Grade = g.pick([]string{"Tốt", "Tốt", "Tốt", "Tốt", "Tốt", "Khá", "Khá", "Khá", "Trung bình", ""})
	return mt
}

var (
	activities = []string{"Kiểm tra", "Giám sát"}
	inspKinds  = []string{"Thường xuyên", "Chuyên đề", "Dấu hiệu vi phạm"}
	inspShares = []float64{0.6, 0.35, 0.05}
)

func (g *unitGen) addInspection(targetType, targetCode string) {
	y, rep := g.y, g.rep
	in := Inspection{
		Case:     fmt.Sprintf("KT-%s-%03d", rep.UnitCode, len(rep.Inspections)+1),
		Activity: g.pick(activities), Kind: g.weighted(inspKinds, inspShares), Subject: rep.UnitCode,
		TargetType: targetType, TargetCode: targetCode,
	}
	if in.Kind == "Dấu hiệu vi phạm" {
		in.Activity = "Kiểm tra"
	}
	switch x := g.r.Float64(); {
	case x < 0.85:
		in.Start = ptr(g.dayIn(date(y, 1, 10), date(y, 11, 30)))
	case x < 0.90: // start left blank: the conclusion date decides the year
		in.Concluded = ptr(g.dayIn(date(y, 2, 1), date(y, 12, 20)))
	case x < 0.95: // began last year, concluded this year: belongs to Y-1
		in.Start = ptr(g.dayIn(date(y-1, 11, 1), date(y-1, 12, 20)))
		in.Concluded = ptr(g.dayIn(date(y, 1, 5), date(y, 2, 28)))
	default: // blank start, concluded last year
		in.Concluded = ptr(g.dayIn(date(y-1, 3, 1), date(y-1, 12, 20)))
	}
	if in.Start != nil && in.Concluded == nil && g.chance(0.9) {
		in.Concluded = ptr(in.Start.AddDate(0, 0, 10+g.r.IntN(40)))
	}
	if in.Concluded != nil {
		in.Violation = "Không"
		// violations found in ≈3% of routine cases, 55–75% of signs-of-violation ones
		if in.Kind == "Dấu hiệu vi phạm" && g.chance(0.65) || in.Kind != "Dấu hiệu vi phạm" && g.chance(0.03) {
			in.Violation = "Có"
		}
	}
	rep.Inspections = append(rep.Inspections, in)
}

// inspections covers about half of the organizations, some through one of their cells.
func (g *unitGen) inspections(orgs [][]Unit) {
	for _, units := range orgs {
		if !g.chance(0.55) {
			continue
		}
		for k := 1 + g.r.IntN(2); k > 0; k-- {
			target := units[0]
			if len(units) > 1 && g.chance(0.3) {
				target = units[1+g.r.IntN(len(units)-1)]
			}
			if target.ValidTo != nil {
				target = units[0]
			}
			g.addInspection("Tổ chức", target.Code)
		}
	}
}

func (g *unitGen) orgRatingsAndDiscipline() {
	y, rep := g.y, g.rep
	for _, u := range rep.Units {
		if u.Level == LevelAbove || u.ValidTo != nil {
			continue
		}
		dist := orgRatings
		if g.weakOrgs[u.Code] || g.weakOrgs[u.Parent] {
			dist = orgRatingsWeak
		}
		if g.chance(0.97) {
			rep.Ratings = append(rep.Ratings, g.rating("Tổ chức", u.Code, y, dist))
		}
		pDisc := 0.004 // 0,5–1% of organizations a year, more of the weak
		if g.weakOrgs[u.Code] {
			pDisc = 0.06
		}
		if u.Level == LevelOrg && g.chance(pDisc) {
			rep.Disciplines = append(rep.Disciplines, Discipline{
				Case: fmt.Sprintf("KL-%s-%d", rep.UnitCode, len(rep.Disciplines)+1), TargetType: "Tổ chức", TargetCode: u.Code,
				Form: g.pick([]string{"Khiển trách", "Cảnh cáo"}), Decided: g.dayIn(date(y, 1, 1), date(y, 12, 31))})
		}
	}
	sort.SliceStable(rep.Ratings, func(a, b int) bool { return rep.Ratings[a].TargetType > rep.Ratings[b].TargetType })
}

// breaches puts one deliberate breach of the rules in the report, a different
// one by the unit's place in the set, so that every flag the assessment
// raises shows in a demo province: members HTXS above the quota of HTT, an
// organization rated HTXS with a disciplined cell, a cell that missed three
// months, a disciplined organization rated HTT.
func (g *unitGen) breaches(i int, orgs [][]Unit) {
	y, rep := g.y, g.rep
	var withCells [][]Unit
	for _, units := range orgs {
		if len(units) > 1 && units[1].ValidTo == nil && !g.weakOrgs[units[0].Code] {
			withCells = append(withCells, units)
		}
	}
	if len(withCells) == 0 {
		return
	}
	units := withCells[g.r.IntN(len(withCells))]
	if i%4 == 1 { // one disciplined cell of five or more: not HTXS, yet under 124's 20% of cells
		for _, u := range withCells {
			if len(u) > len(units) {
				units = u
			}
		}
	}
	org, cell := units[0], units[1]
	rateOrg := func(level int) {
		for k := range rep.Ratings {
			if r := &rep.Ratings[k]; r.TargetType == "Tổ chức" && r.Code == org.Code && r.Year == y {
				*r = g.fixedRating("Tổ chức", org.Code, y, level)
				return
			}
		}
		rep.Ratings = append(rep.Ratings, g.fixedRating("Tổ chức", org.Code, y, level))
	}
	discipline := func(code string) {
		rep.Disciplines = append(rep.Disciplines, Discipline{Case: fmt.Sprintf("KL-%s-%d", rep.UnitCode, len(rep.Disciplines)+1),
			TargetType: "Tổ chức", TargetCode: code, Form: "Khiển trách", Decided: g.dayIn(date(y, 3, 1), date(y, 10, 31))})
	}
	switch i % 4 {
	case 0: // members HTXS above 20% of HTT
		inOrg := map[string]bool{}
		for _, u := range units {
			inOrg[u.Code] = true
		}
		var rated []int
		for k, r := range rep.Ratings {
			if r.TargetType != "Đảng viên" || r.Year != y {
				continue
			}
			for _, m := range rep.Members { // members are few per report: a scan is fine
				if m.Code == r.Code && inOrg[m.CellCode] {
					rated = append(rated, k)
					break
				}
			}
		}
		for n, k := range rated {
			level := 1 // HTT
			if n*10 < len(rated)*3 {
				level = 0 // the first 30%: HTXS
			}
			rep.Ratings[k] = g.fixedRating("Đảng viên", rep.Ratings[k].Code, y, level)
		}
	case 1: // rated HTXS, with a disciplined cell
		rateOrg(0)
		discipline(cell.Code)
	case 2: // a cell that missed March to May
		kept := rep.Meetings[:0]
		for _, m := range rep.Meetings {
			if m.CellCode == cell.Code && m.Date.Year() == y && m.Date.Month() >= 3 && m.Date.Month() <= 5 {
				continue
			}
			kept = append(kept, m)
		}
		rep.Meetings = kept
	case 3: // disciplined, yet rated HTT
		rateOrg(1)
		discipline(org.Code)
	}
}

// fixedRating is a rating at a given level (0 HTXS … 3 KHT).
func (g *unitGen) fixedRating(target, code string, year, level int) Rating {
	r := Rating{TargetType: target, Code: code, Year: year, Rating: ratingShort[level], Self: ratingShort[level]}
	if year >= 2025 {
		b := scoreBands[level]
		r.Score = b[0] + g.r.IntN(b[1]-b[0]+1)
	}
	return r
}

// keepQuota does what a committee does before it sends the ratings: members
// HTXS beyond 20% of those HTT in an organization are rated HTT instead.
func (g *unitGen) keepQuota() {
	y, rep := g.y, g.rep
	orgOf := map[string]string{}
	for _, u := range rep.Units {
		switch u.Level {
		case LevelOrg:
			orgOf[u.Code] = u.Code
		case LevelCell:
			orgOf[u.Code] = u.Parent
		}
	}
	memberOrg := map[string]string{}
	for _, m := range rep.Members {
		memberOrg[m.Code] = orgOf[m.CellCode]
	}
	htxs, htt := map[string][]int{}, map[string]int{}
	for k, r := range rep.Ratings {
		if r.TargetType != "Đảng viên" || r.Year != y {
			continue
		}
		switch o := memberOrg[r.Code]; r.Rating {
		case ratingShort[0], ratingFull[0]:
			htxs[o] = append(htxs[o], k)
		case ratingShort[1], ratingFull[1]:
			htt[o]++
		}
	}
	for o, ks := range htxs {
		for len(ks)*5 > htt[o] && len(ks) > 0 {
			k := ks[len(ks)-1]
			ks = ks[:len(ks)-1]
			rep.Ratings[k] = g.fixedRating("Đảng viên", rep.Ratings[k].Code, y, 1)
			htt[o]++
		}
	}
}
