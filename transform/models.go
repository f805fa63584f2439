// Package transform runs orgqa's SQL models: .sql files with a short strict
// header, ordered by what they read, built in one transaction. It owns the order
// and the run; the SQL itself lives in the sql/ folder. It reads no files from
// reporting units and writes no reports.
package transform

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Model is one .sql file.
//
// Its header is a run of "-- key: value" lines at the top:
//
//	-- model: int_units              the model's name (required, unique)
//	-- builds: int_units, int_x      the tables it creates (default: its name)
//	-- depends: units, params        tables it reads: source tables or what other models build
//
// followed by free comment lines saying what it builds and why.
type Model struct {
	Name    string
	File    string
	Builds  []string
	Depends []string
	SQL     string
}

// ModelError is a model file that cannot be used.
type ModelError struct {
	File string
	Line int
	Msg  string
}

func (e *ModelError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return e.File + ": " + e.Msg
}

// Load reads every .sql file of fsys, checks its header and references, and
// returns the models in an order where each comes after what it depends on.
// sources are the tables that exist before any model runs.
func Load(fsys fs.FS, sources []string) ([]Model, error) {
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no .sql models found")
	}
	var models []Model
	var errs []string
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		m, err := parseModel(f, string(b))
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		models = append(models, m)
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("models: %s", strings.Join(errs, "; "))
	}
	return order(models, sources)
}

func parseModel(file, text string) (Model, error) {
	m := Model{File: file, SQL: text}
	seen := map[string]bool{}
	for _, h := range readHeader(text, "model", "builds", "depends") {
		key := h.key
		if seen[key] {
			return m, &ModelError{file, h.line, fmt.Sprintf("%q given twice", key)}
		}
		seen[key] = true
		names := splitNames(h.value)
		for _, n := range names {
			if !isIdent(n) {
				return m, &ModelError{file, h.line, fmt.Sprintf("%s: %q is not a table name", key, n)}
			}
		}
		switch key {
		case "model":
			if len(names) != 1 {
				return m, &ModelError{file, h.line, "model: want exactly one name"}
			}
			m.Name = names[0]
		case "builds":
			m.Builds = names
		case "depends":
			m.Depends = names
		}
	}
	if m.Name == "" {
		return m, &ModelError{File: file, Msg: `no "-- model: NAME" header`}
	}
	if !seen["depends"] {
		return m, &ModelError{File: file, Msg: `no "-- depends:" header (write "-- depends:" with nothing after it for none)`}
	}
	if want := strings.TrimSuffix(path.Base(file), ".sql"); want != m.Name {
		return m, &ModelError{File: file, Msg: fmt.Sprintf("model %q must live in %s.sql", m.Name, m.Name)}
	}
	if len(m.Builds) == 0 {
		m.Builds = []string{m.Name}
	}
	return m, nil
}

func splitNames(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func isIdent(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// order sorts models so each follows the models that build what it reads, and
// refuses unknown references, tables built twice, and cycles.
func order(models []Model, sources []string) ([]Model, error) {
	builder := map[string]int{}
	isSource := map[string]bool{}
	for _, s := range sources {
		isSource[s] = true
	}
	for i, m := range models {
		for _, b := range m.Builds {
			if j, dup := builder[b]; dup {
				return nil, &ModelError{File: m.File, Msg: fmt.Sprintf("%s is also built by %s", b, models[j].File)}
			}
			if isSource[b] {
				return nil, &ModelError{File: m.File, Msg: fmt.Sprintf("%s is a source table; a model may not rebuild it", b)}
			}
			builder[b] = i
		}
	}
	deps := make([][]int, len(models))
	for i, m := range models {
		for _, d := range m.Depends {
			if j, ok := builder[d]; ok {
				if j != i {
					deps[i] = append(deps[i], j)
				}
				continue
			}
			if !isSource[d] {
				return nil, &ModelError{File: m.File, Msg: fmt.Sprintf("depends on %q, which is neither a source table nor built by a model", d)}
			}
		}
	}
	const (
		unseen = iota
		active
		done
	)
	state := make([]int, len(models))
	var out []Model
	var visit func(i int, trail []string) error
	visit = func(i int, trail []string) error {
		switch state[i] {
		case done:
			return nil
		case active:
			return &ModelError{File: models[i].File, Msg: "dependency cycle: " + strings.Join(append(trail, models[i].Name), " -> ")}
		}
		state[i] = active
		ds := append([]int(nil), deps[i]...)
		sort.Slice(ds, func(a, b int) bool { return models[ds[a]].Name < models[ds[b]].Name })
		for _, j := range ds {
			if err := visit(j, append(trail, models[i].Name)); err != nil {
				return err
			}
		}
		state[i] = done
		out = append(out, models[i])
		return nil
	}
	for i := range models {
		if err := visit(i, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
