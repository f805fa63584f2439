package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/transform"
)

func rulesText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "transform", "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func with(t *testing.T, extra string) []byte {
	return []byte(strings.TrimSuffix(rulesText(t), "}") + ",\n" + extra + "\n}")
}

// TestSections: delivery and email sit beside the rules; the rules' sha256 does
// not depend on them; the summary carries no secret.
func TestSections(t *testing.T) {
	raw, _ := os.ReadFile(filepath.Join("..", "..", "transform", "rules.json"))
	plain, err := Parse(raw, "plain.json")
	if err != nil {
		t.Fatal(err)
	}
	def, _ := transform.DefaultRules()
	if plain.Rules.SHA256() != def.SHA256() || plain.Delivery != DefaultDelivery || plain.Email != nil {
		t.Errorf("rules alone: %+v", plain)
	}
	f, err := Parse(with(t, `"delivery": {"keep_runs": 7, "keep_summaries": 9},
		"email": {"host": "smtp.btctu.test", "port": 587, "username": "orgqa", "password_env": "X", "from": "orgqa@btctu.test", "to": ["a@btctu.test"]}`), "full.json")
	if err != nil {
		t.Fatal(err)
	}
	other, _ := Parse(with(t, `"email": {"host": "other.test", "port": 25, "from": "x@y.test", "to": ["b@btctu.test"]}`), "other.json")
	if f.Delivery.KeepRuns != 7 || f.Email.Host != "smtp.btctu.test" || !f.Email.UseStartTLS() || f.Rules.SHA256() != other.Rules.SHA256() {
		t.Errorf("parsed %+v %+v; rules sha %s vs %s", f.Delivery, f.Email, f.Rules.SHA256(), other.Rules.SHA256())
	}
	t.Setenv("X", "secret-value")
	if p, err := f.Email.Password(); err != nil || p != "secret-value" {
		t.Errorf("password %q %v", p, err)
	}
	if s := fmt.Sprint(f.Summary()); strings.Contains(s, "secret-value") {
		t.Errorf("summary shows the secret: %v", s)
	}
}

// TestStrict: unknown fields and unsafe or incomplete email settings are errors.
// TestByteOrderMark: a config saved by Notepad (UTF-8 with a BOM) reads as the same rules.
func TestByteOrderMark(t *testing.T) {
	plain, err := Parse([]byte(rulesText(t)), "plain.json")
	if err != nil {
		t.Fatal(err)
	}
	bom, err := Parse(append([]byte("\xEF\xBB\xBF"), rulesText(t)...), "bom.json")
	if err != nil {
		t.Fatalf("with a byte order mark: %v", err)
	}
	if plain.Rules.SHA256() != bom.Rules.SHA256() {
		t.Error("the byte order mark changed the rules' sha256")
	}
}

func TestStrict(t *testing.T) {
	cases := map[string]string{
		`"delivery": {"keep": 3}`:                                                                                        "unknown field",
		`"delivery": {"keep_runs": 0, "keep_summaries": 1}`:                                                              "keep_runs",
		`"email": {"host": "h", "port": 25, "from": "x@y.test", "to": [], "username": "u"}`:                              "recipient",
		`"email": {"host": "h", "port": 25, "from": "x@y.test", "to": ["a@b.test"], "starttls": false, "username": "u"}`: "clear text",
		`"email": {"host": "h", "port": 25, "from": "not an address", "to": ["a@b.test"]}`:                               "from",
		`"mail": {}`: "unknown field",
		`"email": {"host": "h", "port": 25, "from": "x@y.test", "to": ["a@b.test"], "timeout_seconds": 9223372036854775807}`: "timeout_seconds",
		`"delivery": {"keep_runs": 5000000000, "keep_summaries": 1}`:                                                         "keep_runs",
	}
	for extra, want := range cases {
		if _, err := Parse(with(t, extra), "bad.json"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want %q", extra, err, want)
		}
	}
}

// TestUnitsList: the province's reporting units sit beside the rules, do not
// change the rules' sha256, and are checked (codes, dates).
func TestUnitsList(t *testing.T) {
	f, err := Parse(with(t, `"units": [
		{"code": "0100", "name": "Đảng ủy phường 1", "old_code": "H01", "valid_from": "2025-07-01"},
		{"code": "H01", "name": "Huyện ủy cũ", "valid_to": "2025-06-30"}]`), "units.json")
	if err != nil {
		t.Fatal(err)
	}
	// the rules' sha256 is that of the same rules beside another section
	other, _ := Parse(with(t, `"delivery": {"keep_runs": 7, "keep_summaries": 9}`), "other.json")
	if len(f.Units) != 2 || f.Units[0].OldCode != "H01" || f.Units[0].ValidFrom.Format("02/01/2006") != "01/07/2025" ||
		f.Units[1].ValidTo == nil || f.Rules.SHA256() != other.Rules.SHA256() {
		t.Errorf("units %+v, rules sha256 %s", f.Units, f.Rules.SHA256())
	}
	for extra, want := range map[string]string{
		`"units": [{"code": "0100"}, {"code": "0100"}]`:                                     "listed twice",
		`"units": [{"name": "no code"}]`:                                                    "no code",
		`"units": [{"code": "0100", "valid_from": "01/07/2025"}]`:                           "want YYYY-MM-DD",
		`"units": [{"code": "0100", "valid_from": "2025-07-01", "valid_to": "2025-01-01"}]`: "valid_to before valid_from",
		`"units": [{"code": "0100", "ten": "x"}]`:                                           "unknown field",
	} {
		if _, err := Parse(with(t, extra), "bad.json"); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", extra, err, want)
		}
	}
}
