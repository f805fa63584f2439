// Package config reads orgqa's configuration file: the rules of the assessment
// (read by transform, recorded with each transform) and, beside them, how a run
// delivers its outputs (retention, email). One file, read strictly: an unknown
// field anywhere is an error. Secrets never sit in it: the SMTP password comes
// from an environment variable or a file the config names.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"os"
	"strings"
	"time"

	"orgqa/ingest"
	"orgqa/transform"
)

// File is the configuration in force.
type File struct {
	Path     string // "" for the embedded defaults
	Rules    *transform.Rules
	Delivery Delivery
	Email    *Email // nil: no email
	// Units is the province's official list of reporting units; nil: the
	// units of the reports accepted before are the known ones
	Units []ingest.KnownUnit
}

// Unit is one entry of the config's units list.
type Unit struct {
	Code      string `json:"code"`
	Name      string `json:"name"`
	OldCode   string `json:"old_code"`
	ValidFrom string `json:"valid_from"` // YYYY-MM-DD, "" for open
	ValidTo   string `json:"valid_to"`
}

// Delivery says how long published outputs are kept.
type Delivery struct {
	// KeepRuns is how many dated workbook folders stay under <output>/excel/
	// (the one "latest" points to is never removed).
	KeepRuns int `json:"keep_runs"`
	// KeepSummaries is how many run summaries stay under <output>/runs/.
	KeepSummaries int `json:"keep_summaries"`
}

// DefaultDelivery is the retention without a config file.
var DefaultDelivery = Delivery{KeepRuns: 30, KeepSummaries: 400}

// Email sends the province workbook after a run that published a new one.
type Email struct {
	Host         string   `json:"host"`
	Port         int      `json:"port"`
	StartTLS     *bool    `json:"starttls"` // default true: never send in clear text unless told
	Username     string   `json:"username"`
	PasswordEnv  string   `json:"password_env"`  // name of the environment variable holding the password
	PasswordFile string   `json:"password_file"` // or a file holding it (first line)
	From         string   `json:"from"`
	To           []string `json:"to"`
	CAFile       string   `json:"ca_file"` // PEM: a private CA that signed the server's certificate
	TimeoutSec   int      `json:"timeout_seconds"`
}

// UseStartTLS reports whether the connection must be upgraded with STARTTLS.
func (e *Email) UseStartTLS() bool { return e.StartTLS == nil || *e.StartTLS }

// Password reads the password from where the config says; "" when none is set.
func (e *Email) Password() (string, error) {
	switch {
	case e.PasswordEnv != "":
		p, ok := os.LookupEnv(e.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("email: environment variable %s (password_env) is not set", e.PasswordEnv)
		}
		return p, nil
	case e.PasswordFile != "":
		b, err := os.ReadFile(e.PasswordFile)
		if err != nil {
			return "", fmt.Errorf("email: password_file: %w", err)
		}
		return strings.TrimRight(strings.SplitN(string(b), "\n", 2)[0], "\r"), nil
	}
	return "", nil
}

// Default is the configuration without a file: the embedded rules, default
// retention, no email.
func Default() (*File, error) {
	r, err := transform.DefaultRules()
	if err != nil {
		return nil, err
	}
	return &File{Rules: r, Delivery: DefaultDelivery}, nil
}

// Load reads the configuration file at path.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(b, path)
}

// sections of the file that are not the rules
const (
	deliveryKey = "delivery"
	emailKey    = "email"
	unitsKey    = "units"
)

// Parse reads a configuration. The rules part is handed to transform exactly as
// written when the file has no delivery or email section, so its sha256 names
// the rules alone either way.
func Parse(b []byte, name string) (*File, error) {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF")) // Notepad saves UTF-8 with a byte order mark
	var top map[string]json.RawMessage
	if err := json.Unmarshal(b, &top); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	f := &File{Path: name, Delivery: DefaultDelivery}
	rules := b
	if raw := top[unitsKey]; raw != nil {
		var list []Unit
		if err := strict(raw, &list); err != nil {
			return nil, fmt.Errorf("config %s: units: %w", name, err)
		}
		units, err := knownUnits(list)
		if err != nil {
			return nil, fmt.Errorf("config %s: units: %w", name, err)
		}
		f.Units = units
	}
	if top[deliveryKey] != nil || top[emailKey] != nil || top[unitsKey] != nil {
		if raw := top[deliveryKey]; raw != nil {
			if err := strict(raw, &f.Delivery); err != nil {
				return nil, fmt.Errorf("config %s: delivery: %w", name, err)
			}
		}
		if raw := top[emailKey]; raw != nil {
			f.Email = &Email{}
			if err := strict(raw, f.Email); err != nil {
				return nil, fmt.Errorf("config %s: email: %w", name, err)
			}
		}
		delete(top, deliveryKey)
		delete(top, emailKey)
		delete(top, unitsKey)
		var err error
		if rules, err = json.MarshalIndent(top, "", "  "); err != nil {
			return nil, err
		}
	}
	var err error
	if f.Rules, err = transform.ParseRules(rules, name); err != nil {
		return nil, err
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return f, nil
}

// knownUnits checks the units list: each with a code, unique codes, dates
// that parse and do not run backwards.
func knownUnits(list []Unit) ([]ingest.KnownUnit, error) {
	out := make([]ingest.KnownUnit, 0, len(list))
	seen := map[string]bool{}
	var errs []error
	day := func(s string) (*time.Time, error) {
		if s == "" {
			return nil, nil
		}
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, fmt.Errorf("%q: want YYYY-MM-DD", s)
		}
		return &t, nil
	}
	for i, u := range list {
		code := strings.TrimSpace(u.Code)
		if code == "" {
			errs = append(errs, fmt.Errorf("entry %d: no code", i+1))
			continue
		}
		if seen[code] {
			errs = append(errs, fmt.Errorf("code %s listed twice", code))
		}
		seen[code] = true
		from, err1 := day(u.ValidFrom)
		to, err2 := day(u.ValidTo)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, fmt.Errorf("code %s: %w", code, err))
			continue
		}
		if from != nil && to != nil && to.Before(*from) {
			errs = append(errs, fmt.Errorf("code %s: valid_to before valid_from", code))
		}
		out = append(out, ingest.KnownUnit{Code: code, Name: u.Name, OldCode: strings.TrimSpace(u.OldCode), ValidFrom: from, ValidTo: to})
	}
	return out, errors.Join(errs...)
}

func strict(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (f *File) check() error {
	var errs []error
	if f.Delivery.KeepRuns < 1 || f.Delivery.KeepSummaries < 1 || f.Delivery.KeepRuns > 100000 || f.Delivery.KeepSummaries > 100000 {
		errs = append(errs, errors.New("delivery: keep_runs and keep_summaries must be between 1 and 100000"))
	}
	if e := f.Email; e != nil {
		if e.Host == "" || e.Port <= 0 || e.Port > 65535 {
			errs = append(errs, errors.New("email: host and a port are required"))
		}
		if _, err := mail.ParseAddress(e.From); err != nil {
			errs = append(errs, fmt.Errorf("email: from %q: %w", e.From, err))
		}
		if len(e.To) == 0 {
			errs = append(errs, errors.New("email: to: at least one recipient"))
		}
		for _, to := range e.To {
			if _, err := mail.ParseAddress(to); err != nil {
				errs = append(errs, fmt.Errorf("email: to %q: %w", to, err))
			}
		}
		if e.PasswordEnv != "" && e.PasswordFile != "" {
			errs = append(errs, errors.New("email: password_env or password_file, not both"))
		}
		if (e.PasswordEnv != "" || e.PasswordFile != "") && e.Username == "" {
			errs = append(errs, errors.New("email: a password needs a username"))
		}
		if e.Username != "" && !e.UseStartTLS() {
			errs = append(errs, errors.New("email: authentication needs starttls (the password would cross the network in clear text)"))
		}
		if e.TimeoutSec < 0 || e.TimeoutSec > 3600 {
			errs = append(errs, errors.New("email: timeout_seconds must be between 0 and 3600"))
		}
	}
	return errors.Join(errs...)
}

// Summary is the configuration as a run records it: no secrets.
func (f *File) Summary() map[string]any {
	s := map[string]any{
		"path":           f.Path,
		"rules_sha256":   f.Rules.SHA256(),
		"keep_runs":      f.Delivery.KeepRuns,
		"keep_summaries": f.Delivery.KeepSummaries,
	}
	if f.Path == "" {
		s["path"] = "(embedded rules.json)"
	}
	if f.Units != nil {
		s["units"] = len(f.Units)
	}
	if e := f.Email; e != nil {
		s["email"] = map[string]any{"host": e.Host, "port": e.Port, "starttls": e.UseStartTLS(),
			"username": e.Username, "from": e.From, "to": e.To}
	}
	return s
}
