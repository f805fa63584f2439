package reports

import (
	"math/rand"
	"sort"
	"testing"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// vietnameseNames are names as units write them: every vowel with every
// tone, đ beside d, capitals, numbers written short and long, spaces,
// punctuation, and a few in decomposed form (NFD), as a file might hold them.
func vietnameseNames(n int, seed int64) []string {
	onsets := []string{"", "b", "c", "ch", "d", "đ", "g", "gi", "h", "kh", "l", "m", "n", "ng", "nh", "ph", "qu", "s", "t", "th", "tr", "v", "x", "Đ", "D", "B", "T"}
	vowels := []string{"a", "ă", "â", "e", "ê", "i", "o", "ô", "ơ", "u", "ư", "y", "oa", "uy", "ươ", "iê"}
	tones := []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
	codas := []string{"", "n", "ng", "nh", "c", "ch", "t", "m", "p"}
	heads := []string{"Chi bộ", "Đảng bộ", "Đảng bộ xã", "Chi bộ thôn", "chi bộ", "Đảng ủy", "Chi bộ Khu phố", ""}
	tails := []string{"", " 1", " 2", " 10", " 02", " A", " (cũ)", " - 3", "-2", "  "}
	r := rand.New(rand.NewSource(seed))
	syllable := func() string {
		return norm.NFC.String(onsets[r.Intn(len(onsets))] + vowels[r.Intn(len(vowels))] + tones[r.Intn(len(tones))] + codas[r.Intn(len(codas))])
	}
	out := []string{"", " ", "a", "A", "á", "à", "ả", "ã", "ạ", "ă", "â", "đ", "Đ", "d", "D", "dz", "đa", "da"}
	for len(out) < n {
		name := heads[r.Intn(len(heads))]
		for k := 1 + r.Intn(3); k > 0; k-- {
			if name != "" {
				name += " "
			}
			name += syllable()
		}
		name += tails[r.Intn(len(tails))]
		if r.Intn(20) == 0 {
			name = norm.NFD.String(name)
		}
		out = append(out, name)
	}
	return out
}

func sign(c int) int {
	switch {
	case c < 0:
		return -1
	case c > 0:
		return 1
	}
	return 0
}

// TestViOrderAgreesWithTheCollator: the kept collation keys order every pair
// of names as golang.org/x/text's collator compares them, and a sort by them
// gives the collator's order.
func TestViOrderAgreesWithTheCollator(t *testing.T) {
	names := vietnameseNames(700, 7)
	col := collate.New(language.Vietnamese)
	o := newViOrder()
	for i, a := range names {
		for _, b := range names[i:] {
			want := sign(col.CompareString(a, b))
			if got := sign(cmpNamed(o, a, "", b, "")); got != want {
				t.Fatalf("%q against %q: keys say %d, the collator %d", a, b, got, want)
			}
			if got := sign(cmpNamed(o, b, "", a, "")); got != -want {
				t.Fatalf("%q against %q: keys say %d, the collator %d", b, a, got, -want)
			}
		}
	}
	byKeys := append([]string(nil), names...)
	byCollator := append([]string(nil), names...)
	sort.SliceStable(byKeys, func(i, j int) bool { return cmpNamed(o, byKeys[i], "", byKeys[j], "") < 0 })
	sort.SliceStable(byCollator, func(i, j int) bool { return col.CompareString(byCollator[i], byCollator[j]) < 0 })
	for i := range byKeys {
		if byKeys[i] != byCollator[i] {
			t.Fatalf("place %d: %q by the keys, %q by the collator", i+1, byKeys[i], byCollator[i])
		}
	}
	// a tie by name goes to the code
	if c := cmpNamed(o, "Chi bộ 1", "0101", "Chi bộ 1", "0100"); c <= 0 {
		t.Errorf("same name, codes 0101 and 0100: %d, want the code's order", c)
	}
	// and the Vietnamese order itself: đ after d, a before ă before â, tones in the alphabet's order
	for _, pair := range [][2]string{{"Dương", "Đông"}, {"an", "ăn"}, {"ăn", "ân"}, {"ma", "má"}, {"Chi bộ 2", "Chi bộ 3"}} {
		if c := cmpNamed(o, pair[0], "", pair[1], ""); c >= 0 {
			t.Errorf("%q should come before %q (%d)", pair[0], pair[1], c)
		}
	}
}

// BenchmarkViOrderSort sorts 20.000 names the Vietnamese way: through the
// collator's CompareString, and through keys kept (viOrder).
func BenchmarkViOrderSort(b *testing.B) {
	names := vietnameseNames(20000, 11)
	b.Run("collator", func(b *testing.B) {
		col := collate.New(language.Vietnamese)
		for i := 0; i < b.N; i++ {
			s := append([]string(nil), names...)
			sort.Slice(s, func(i, j int) bool { return col.CompareString(s[i], s[j]) < 0 })
		}
	})
	b.Run("keys", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			o := newViOrder()
			s := append([]string(nil), names...)
			sort.Slice(s, func(i, j int) bool { return cmpNamed(o, s[i], "", s[j], "") < 0 })
		}
	})
}
