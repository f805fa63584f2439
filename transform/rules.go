package transform

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	orgsql "orgqa/sql"
)

// The rules of the annual assessment are data, not code: thresholds, cut-off
// dates, the excellence quota and the rating caps, per rule set, each rule set
// in force for a range of years (132-QĐ/TW, 124-QĐ/TW, 366-QĐ/TW differ).
// rules.json holds the defaults; --config FILE replaces them without a rebuild.

//go:embed rules.json
var defaultRules []byte

// Rules is the whole configuration.
type Rules struct {
	Version  int `json:"version"`
	Province struct {
		Code string `json:"code"`
		Name string `json:"name"`
	} `json:"province"`
	RuleSets []RuleSet `json:"rule_sets"`

	raw []byte // the file as read, recorded with each run
}

// RuleSet is the rules in force for a range of years.
type RuleSet struct {
	ID                 string  `json:"id"`
	Title              string  `json:"title"`
	FromYear           int     `json:"from_year"`
	ToYear             int     `json:"to_year"` // 0: still in force
	CommentCutoff      string  `json:"comment_cutoff"`
	LeadTimeDays       int     `json:"lead_time_days"`
	AttendanceGoodPct  int     `json:"attendance_good_pct"`
	DurationRuleFrom   string  `json:"duration_rule_from"` // "" when no duration rule
	MinMinutes         int     `json:"min_minutes"`
	MinMinutesCombined int     `json:"min_minutes_combined"`
	ExcellenceQuota    float64 `json:"excellence_quota"`
	QuotaSource        string  `json:"quota_source"`
	// MinDenominator: a share of fewer cases than this (3 members, 2
	// meetings) is shown but not graded
	MinDenominator int `json:"min_denominator"`
	// Caps are the rules' limits on an organization's rating (see Cap)
	Caps []Cap `json:"caps"`
	// MaxRatingWithRed caps an organization with a metric at red: no rule
	// says so, so "" (off) unless the board decides it
	MaxRatingWithRed string               `json:"max_rating_with_red"`
	Thresholds       map[string]Threshold `json:"thresholds"`
	// Deprecated: a cap {"when": "any_disciplined"} (configurations written
	// before caps were listed)
	HTXSForbidsDiscipline   bool   `json:"htxs_forbids_discipline,omitempty"`
	MaxRatingWithDiscipline string `json:"max_rating_with_discipline,omitempty"`
}

// Cap is a rule's limit on an organization's rating: when the condition holds
// in the year, the rating is at most Max. Rule is the short citation shown in
// each reason; Source what the text says and where.
type Cap struct {
	When   string  `json:"when"`
	Share  float64 `json:"share,omitempty"` // for the *_over / *_under conditions
	Max    string  `json:"max"`
	Rule   string  `json:"rule"`
	Source string  `json:"source"`
}

// CapConditions are the conditions a cap can name, with what each means.
var CapConditions = map[string]string{
	"org_disciplined":               "the organization itself disciplined in the year",
	"subordinate_disciplined":       "a unit below it (a cell) disciplined in the year",
	"subordinates_disciplined_over": "more than share of the units below it disciplined in the year",
	"member_disciplined":            "one of its members disciplined in the year",
	"any_disciplined":               "the organization, a unit below it or a member disciplined in the year",
	"member_kht":                    "one of its members rated KHT for the year",
	"members_htt_under":             "fewer than share of its rated members rated HTT or HTXS",
}

// Threshold grades a metric: green at or beyond Green, amber at or beyond Amber,
// red otherwise; Better says which way is beyond. Source says where the
// limits come from: a rule, or (where no rule sets a number) the spread of
// real provinces.
type Threshold struct {
	Better string  `json:"better"` // "higher" or "lower"
	Green  float64 `json:"green"`
	Amber  float64 `json:"amber"`
	Source string  `json:"source,omitempty"`
	// MinDenominator overrides the rule set's for this metric (M7: every
	// cell counts, however few an organization has)
	MinDenominator *int `json:"min_denominator,omitempty"`
}

var ratingLevels = map[string]int{"kht": 1, "ht": 2, "htt": 3, "htxs": 4}

// DefaultRules returns the embedded configuration.
func DefaultRules() (*Rules, error) { return ParseRules(defaultRules, "rules.json (embedded)") }

// ParseRules parses and checks a configuration; every problem is reported.
func ParseRules(b []byte, name string) (*Rules, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	r := &Rules{raw: b}
	if err := dec.Decode(r); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	var errs []string
	bad := func(format string, a ...any) { errs = append(errs, fmt.Sprintf(format, a...)) }
	if r.Version != 1 {
		bad("version %d: this orgqa reads version 1", r.Version)
	}
	if r.Province.Code == "" || r.Province.Name == "" {
		bad("province: code and name are required")
	}
	sort.Slice(r.RuleSets, func(i, j int) bool { return r.RuleSets[i].FromYear < r.RuleSets[j].FromYear })
	for i, s := range r.RuleSets {
		where := fmt.Sprintf("rule set %q", s.ID)
		if s.ID == "" || s.FromYear < 1990 || s.ToYear != 0 && s.ToYear < s.FromYear {
			bad("%s: id and a valid from_year/to_year are required", where)
		}
		if i > 0 {
			prev := r.RuleSets[i-1]
			if prev.ToYear == 0 || prev.ToYear >= s.FromYear {
				bad("%s overlaps %q", where, prev.ID)
			}
		}
		if _, err := time.Parse("01-02", s.CommentCutoff); err != nil {
			bad("%s: comment_cutoff %q: want MM-DD", where, s.CommentCutoff)
		}
		if s.DurationRuleFrom != "" {
			if _, err := time.Parse("2006-01-02", s.DurationRuleFrom); err != nil {
				bad("%s: duration_rule_from %q: want YYYY-MM-DD", where, s.DurationRuleFrom)
			}
		}
		if s.AttendanceGoodPct <= 0 || s.AttendanceGoodPct > 100 || s.LeadTimeDays <= 0 || s.MinMinutes <= 0 || s.MinMinutesCombined <= 0 {
			bad("%s: attendance_good_pct, lead_time_days and the minutes must be positive", where)
		}
		// bounds a real rule never reaches, so a typo cannot overflow a date or a count later
		if s.LeadTimeDays > 366 || s.MinMinutes > 1440 || s.MinMinutesCombined > 1440 {
			bad("%s: lead_time_days must be at most 366 and the minutes at most 1440", where)
		}
		if s.ExcellenceQuota <= 0 || s.ExcellenceQuota > 1 {
			bad("%s: excellence_quota %v: want a share in (0, 1]", where, s.ExcellenceQuota)
		}
		if s.MaxRatingWithRed != "" && ratingLevels[s.MaxRatingWithRed] == 0 {
			bad("%s: max_rating_with_red %q: want htxs, htt, ht, kht or \"\" (off)", where, s.MaxRatingWithRed)
		}
		if s.MinDenominator < 0 {
			bad("%s: min_denominator must not be negative", where)
		}
		if s.HTXSForbidsDiscipline { // the older form of one cap
			if ratingLevels[s.MaxRatingWithDiscipline] == 0 {
				bad("%s: max_rating_with_discipline %q: want htxs, htt, ht or kht", where, s.MaxRatingWithDiscipline)
			}
			r.RuleSets[i].Caps = append(r.RuleSets[i].Caps, Cap{When: "any_disciplined", Max: s.MaxRatingWithDiscipline, Rule: s.ID,
				Source: "htxs_forbids_discipline (cấu hình)"})
			r.RuleSets[i].HTXSForbidsDiscipline, r.RuleSets[i].MaxRatingWithDiscipline = false, ""
		}
		for k, c := range s.Caps {
			cw := fmt.Sprintf("%s: cap %d (%s)", where, k+1, c.When)
			if _, ok := CapConditions[c.When]; !ok {
				bad("%s: unknown condition; want one of %s", cw, strings.Join(sortedKeys(CapConditions), ", "))
			}
			if ratingLevels[c.Max] == 0 {
				bad("%s: max %q: want htxs, htt, ht or kht", cw, c.Max)
			}
			needsShare := strings.HasSuffix(c.When, "_over") || strings.HasSuffix(c.When, "_under")
			if needsShare != (c.Share > 0) || c.Share > 1 {
				bad("%s: share %v: a share in (0, 1] for the *_over and *_under conditions only", cw, c.Share)
			}
			if c.Rule == "" {
				bad("%s: rule (the citation shown in reasons) is required", cw)
			}
		}
		for _, metric := range sortedKeys(s.Thresholds) {
			t := s.Thresholds[metric]
			ok := t.Better == "higher" && t.Green >= t.Amber || t.Better == "lower" && t.Green <= t.Amber
			if !ok {
				bad("%s: threshold %s: better must be higher (green >= amber) or lower (green <= amber)", where, metric)
			}
			kind, known := catalogMetrics()[metric]
			switch {
			case !known:
				bad("%s: threshold %s: no such metric in the metric catalog (sql/metric_catalog.sql)", where, metric)
			case kind == "grade":
				bad("%s: threshold %s: a grade is what thresholds make, it cannot have one", where, metric)
			case t.Green < 0 || t.Amber < 0:
				bad("%s: threshold %s: limits must not be negative", where, metric)
			case kind == "ratio" && (t.Green > 1 || t.Amber > 1):
				bad("%s: threshold %s: %s is a share: limits between 0 and 1", where, metric, metric)
			}
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("config %s: %s", name, strings.Join(errs, "; "))
	}
	return r, nil
}

// catalogMetrics are the metrics of the embedded metric catalog, with their kind.
var catalogMetrics = sync.OnceValue(func() map[string]string {
	out := map[string]string{}
	b, err := orgsql.Models.ReadFile("metric_catalog.sql")
	if err != nil {
		return out
	}
	for _, m := range catalogRow.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[3]
	}
	return out
})

// catalogRow is one row of metric_catalog.sql's VALUES: (n, 'M1', 'all', 'ratio', …).
var catalogRow = regexp.MustCompile(`\(\s*\d+,\s*'(M[0-9A-Za-z_]+)',\s*'(\w+)',\s*'(\w+)'`)

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ForYear returns the rule set in force in year.
func (r *Rules) ForYear(year int) (*RuleSet, error) {
	for i := range r.RuleSets {
		s := &r.RuleSets[i]
		if year >= s.FromYear && (s.ToYear == 0 || year <= s.ToYear) {
			return s, nil
		}
	}
	return nil, fmt.Errorf("config: no rule set covers %d", year)
}

// SHA256 identifies the configuration file as read.
func (r *Rules) SHA256() string {
	h := sha256.Sum256(r.raw)
	return hex.EncodeToString(h[:])
}

// Params are the values the models read for a year, from its rule set.
func (r *Rules) Params(year int) (Params, error) {
	s, err := r.ForYear(year)
	if err != nil {
		return Params{}, err
	}
	cut, _ := time.Parse("01-02", s.CommentCutoff)
	p := Params{
		Year:               year,
		RuleSet:            s,
		CommentCutoff:      time.Date(year, cut.Month(), cut.Day(), 0, 0, 0, 0, time.UTC),
		AttendanceGoodPct:  s.AttendanceGoodPct,
		LeadTimeDays:       s.LeadTimeDays,
		MinMinutes:         s.MinMinutes,
		MinMinutesCombined: s.MinMinutesCombined,
		ExcellenceQuota:    s.ExcellenceQuota,
		ProvinceCode:       r.Province.Code,
		ProvinceName:       r.Province.Name,
		ConfigSHA256:       r.SHA256(),
		ConfigJSON:         string(r.raw),
	}
	if s.DurationRuleFrom != "" {
		t, _ := time.Parse("2006-01-02", s.DurationRuleFrom)
		p.DurationRuleFrom = &t
	}
	return p, nil
}
