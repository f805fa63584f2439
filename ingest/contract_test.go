package ingest

import "testing"

// The contract is data; this checks it holds together, so the lookups that
// assume it (SheetSpec.column) can never fail on a real file.
func TestContractIsConsistent(t *testing.T) {
	tables := map[string]*SheetSpec{}
	for _, s := range Contract {
		if tables[s.Table] != nil {
			t.Errorf("table %s loaded by two sheets", s.Table)
		}
		tables[s.Table] = s
	}
	has := func(s *SheetSpec, col string) bool {
		for _, c := range s.Columns {
			if c.Name == col {
				return true
			}
		}
		return false
	}
	seen := map[string]bool{}
	for _, s := range Contract {
		for _, c := range s.Columns {
			if (c.Kind == KindEnum) != (c.Enum != nil) {
				t.Errorf("%s.%s: enum kind and enum list disagree", s.Name, c.Name)
			}
			if c.Kind == KindInt && c.Min >= c.Max {
				t.Errorf("%s.%s: no range", s.Name, c.Name)
			}
		}
		for _, k := range s.Key {
			if !has(s, k) {
				t.Errorf("%s: key column %s does not exist", s.Name, k)
			}
		}
		for _, r := range s.Refs {
			target := tables[r.Table]
			if !has(s, r.Column) || target == nil || !has(target, r.TargetColumn) {
				t.Errorf("%s: reference %+v does not resolve", s.Name, r)
			} else if !seen[target.Name] {
				t.Errorf("%s refers to %s, which loads after it", s.Name, target.Name)
			}
		}
		seen[s.Name] = true
	}
}
