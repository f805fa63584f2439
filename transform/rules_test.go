package transform

import (
	"strings"
	"testing"
)

func TestRuleSetByYear(t *testing.T) {
	r, err := DefaultRules()
	if err != nil {
		t.Fatal(err)
	}
	for year, want := range map[int]string{2018: "132-QĐ/TW", 2022: "132-QĐ/TW", 2023: "124-QĐ/TW", 2024: "124-QĐ/TW", 2025: "366-QĐ/TW", 2030: "366-QĐ/TW"} {
		s, err := r.ForYear(year)
		if err != nil || s.ID != want {
			t.Errorf("ForYear(%d) = %v, %v; want %s", year, s, err, want)
		}
	}
	if _, err := r.ForYear(2010); err == nil {
		t.Error("2010 has no rule set, but one was found")
	}
	p, err := r.Params(2025)
	if err != nil || p.CommentCutoff.Format("02/01/2006") != "15/12/2025" || p.DurationRuleFrom == nil ||
		p.DurationRuleFrom.Format("02/01/2006") != "28/10/2025" || p.ExcellenceQuota != 0.20 {
		t.Errorf("Params(2025) = %+v, %v", p, err)
	}
	if p, _ := r.Params(2024); p.DurationRuleFrom != nil {
		t.Error("2024 has a meeting-duration rule; it came with 42-HD/BTCTW in October 2025")
	}
}

func TestRulesAreChecked(t *testing.T) {
	base, _ := DefaultRules()
	good := string(base.raw)
	tests := []struct{ name, from, to, want string }{
		{"unknown field", `"lead_time_days": 30`, `"lead_time_dayz": 30`, "unknown field"},
		{"bad cut-off", `"comment_cutoff": "12-15"`, `"comment_cutoff": "15/12"`, "comment_cutoff"},
		{"overlap", `"to_year": 2022`, `"to_year": 2023`, "overlaps"},
		{"bad rating", `"max_rating_with_red": ""`, `"max_rating_with_red": "tốt"`, `max_rating_with_red "tốt"`},
		{"bad cap rating", `"max": "htt"`, `"max": "tốt"`, `max "tốt"`},
		{"unknown cap", `"when": "member_kht"`, `"when": "member_khd"`, "unknown condition"},
		{"cap without its share", `, "share": 0.8}`, `}`, "share 0"},
		{"share on a cap that takes none", `"when": "member_kht", "max": "ht",`, `"when": "member_kht", "share": 0.5, "max": "ht",`, "share 0.5"},
		{"cap without its citation", `"rule": "QĐ 366-QĐ/TW, Điều 11"`, `"rule": ""`, "rule (the citation"},
		{"negative minimum", `"min_denominator": 5`, `"min_denominator": -1`, "min_denominator"},
		{"backwards threshold", `"M5":   {"better": "lower", "green": 0.02, "amber": 0.05`, `"M5":   {"better": "lower", "green": 0.15, "amber": 0.05`, "threshold M5"},
		{"quota", `"excellence_quota": 0.2`, `"excellence_quota": 20`, "excellence_quota"},
		{"unknown metric", `"M1":   {"better": "higher", "green": 0.95, "amber": 0.9,`, `"M99":   {"better": "higher", "green": 0.95, "amber": 0.9,`, "threshold M99: no such metric"},
		{"negative threshold", `"M1":   {"better": "higher", "green": 0.95, "amber": 0.9,`, `"M1":   {"better": "higher", "green": 0.95, "amber": -0.5,`, "must not be negative"},
		{"a share above 1", `"M1":   {"better": "higher", "green": 0.95, "amber": 0.9,`, `"M1":   {"better": "higher", "green": 95, "amber": 85,`, "M1 is a share"},
		{"a grade graded", `"M1":   {"better": "higher", "green": 0.95, "amber": 0.9,`, `"M18_M1":   {"better": "higher", "green": 0.95, "amber": 0.9,`, "a grade is what thresholds make"},
		{"lead time that overflows later", `"lead_time_days": 30`, `"lead_time_days": 9223372036854775807`, "lead_time_days"},
		{"lead time beyond a year", `"lead_time_days": 30`, `"lead_time_days": 400`, "at most 366"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(good, tt.from) {
				t.Fatalf("rules.json has no %q", tt.from)
			}
			_, err := ParseRules([]byte(strings.Replace(good, tt.from, tt.to, 1)), "test.json")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

// TestOlderConfigurationsStillRead: a configuration written before caps were
// listed (htxs_forbids_discipline, max_rating_with_discipline) reads, its cap
// becoming any_disciplined; max_rating_with_red "" is off.
func TestOlderConfigurationsStillRead(t *testing.T) {
	base, _ := DefaultRules()
	old := strings.Replace(string(base.raw), `"max_rating_with_red": "",`,
		`"max_rating_with_red": "ht", "htxs_forbids_discipline": true, "max_rating_with_discipline": "htt",`, 1)
	r, err := ParseRules([]byte(old), "old.json")
	if err != nil {
		t.Fatal(err)
	}
	s := r.RuleSets[0]
	last := s.Caps[len(s.Caps)-1]
	if last.When != "any_disciplined" || last.Max != "htt" || s.MaxRatingWithRed != "ht" {
		t.Errorf("caps %+v, red %q", s.Caps, s.MaxRatingWithRed)
	}
	if d, _ := DefaultRules(); d.RuleSets[2].MaxRatingWithRed != "" {
		t.Error("a metric at red caps the rating by default; no rule says so")
	}
}
