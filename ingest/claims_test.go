package ingest

import (
	"fmt"
	"math/rand"
	"testing"
)

// TestClaimIndexReplace: after any sequence of loads (each replacing its
// unit's claims for the year), every code's other claim is what a plain list
// of the loads that stand says.
func TestClaimIndexReplace(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	ci := newClaimIndex()
	type load struct {
		file  string
		codes []string
	}
	standing := map[int]map[string]load{} // year → unit → its last load
	units := []string{"0101", "0102", "0103", "0104"}
	for i := 0; i < 400; i++ {
		year, unit := 2024+rng.Intn(2), units[rng.Intn(len(units))]
		var codes []string
		for k := rng.Intn(6); k > 0; k-- {
			codes = append(codes, fmt.Sprintf("C%02d", rng.Intn(20)))
		}
		file := fmt.Sprintf("load%d.xlsx", i)
		ci.replace(year, unit, file, codes)
		if standing[year] == nil {
			standing[year] = map[string]load{}
		}
		standing[year][unit] = load{file, codes}
		for y := 2024; y <= 2025; y++ {
			for c := 0; c < 20; c++ {
				code := fmt.Sprintf("C%02d", c)
				for _, asker := range units {
					var want claim
					found := false
					for u, l := range standing[y] {
						for _, lc := range l.codes {
							if lc == code && u != asker && (!found || u < want.unit) {
								want, found = claim{u, l.file}, true
							}
						}
					}
					got, ok := ci.other(y, code, asker)
					if ok != found || got != want {
						t.Fatalf("after load %d: other(%d, %s, %s) = %v %v, want %v %v", i, y, code, asker, got, ok, want, found)
					}
				}
			}
		}
	}
}
