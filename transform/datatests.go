package transform

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
)

// DataTest is a check on the built tables: a query whose rows are the failures.
// An error-severity failure fails the transform (nothing is committed); a
// warning is recorded in data_test_results and shown in the report.
type DataTest struct {
	Name     string
	Severity string // "error" or "warn"
	Title    string // what a failure means, in Vietnamese
	SQL      string
	Source   string // file (and line) it was declared in
	// a unique test's table and key columns: failures checks a big table in parts
	table, key string
}

// TestResult is a data test that found failing rows.
type TestResult struct {
	Test     DataTest
	Failures int
	Sample   []string // a few failing rows
	// Sources are the reports the failing rows come from ("unit 0701 (in/a.xlsx)"),
	// for an error-severity test whose rows carry a unit code
	Sources []string
}

// DataTestError is a transform stopped by error-severity data tests.
type DataTestError struct{ Failed []TestResult }

func (e *DataTestError) Error() string {
	var parts []string
	for _, r := range e.Failed {
		p := fmt.Sprintf("data test %s (%s) failed on %d rows, e.g. %s",
			r.Test.Name, r.Test.Source, r.Failures, strings.Join(r.Sample, "; "))
		if len(r.Sources) > 0 {
			p += "; the rows come from the reports of " + strings.Join(r.Sources, ", ")
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, "\n")
}

var (
	genericLine = regexp.MustCompile(`^(error|warn)\s+(unique|not_null|accepted_values|relationships)\s+(\w+)\(([\w,\s]+)\)\s*(.*?)\s*\|\s*(.+)$`)
	relTarget   = regexp.MustCompile(`^->\s*(\w+)\((\w+)\)$`)
	valueList   = regexp.MustCompile(`^in\s*\(([^()]*)\)$`)
)

// LoadTests reads tests/tests.txt (generic tests, one a line) and tests/*.sql
// (custom tests with a "-- test:", "-- severity:", "-- title:" header). Every
// problem is reported; names must be unique.
func LoadTests(fsys fs.FS) ([]DataTest, error) {
	var tests []DataTest
	var errs []string
	if b, err := fs.ReadFile(fsys, "tests/tests.txt"); err == nil {
		for i, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			t, err := parseGeneric(line)
			if err != nil {
				errs = append(errs, fmt.Sprintf("tests/tests.txt:%d: %v", i+1, err))
				continue
			}
			t.Source = fmt.Sprintf("tests/tests.txt:%d", i+1)
			tests = append(tests, t)
		}
	}
	files, _ := fs.Glob(fsys, "tests/*.sql")
	for _, f := range files {
		b, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		t, err := parseCustom(f, string(b))
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		tests = append(tests, t)
	}
	seen := map[string]string{}
	for _, t := range tests {
		if prev, dup := seen[t.Name]; dup {
			errs = append(errs, fmt.Sprintf("%s: test %s is also declared at %s", t.Source, t.Name, prev))
		}
		seen[t.Name] = t.Source
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("data tests: %s", strings.Join(errs, "; "))
	}
	sort.SliceStable(tests, func(i, j int) bool { return tests[i].Severity < tests[j].Severity }) // errors first
	return tests, nil
}

func parseGeneric(line string) (DataTest, error) {
	m := genericLine.FindStringSubmatch(line)
	if m == nil {
		return DataTest{}, fmt.Errorf("want: severity kind table(columns) [-> table(column) | in (values)] | title")
	}
	sev, kind, table, rest, title := m[1], m[2], m[3], m[5], m[6]
	var cols []string
	for _, c := range strings.Split(m[4], ",") {
		cols = append(cols, strings.TrimSpace(c))
	}
	t := DataTest{Severity: sev, Title: strings.TrimSpace(title)}
	t.Name = kind + "_" + table + "_" + strings.Join(cols, "_")
	switch kind {
	case "unique":
		t.table, t.key = table, strings.Join(cols, ", ")
		t.SQL = copiesSQL(t.table, t.key, "")
	case "not_null":
		var cond []string
		for _, c := range cols {
			cond = append(cond, c+" IS NULL")
		}
		t.SQL = fmt.Sprintf("SELECT * FROM %s WHERE %s", table, strings.Join(cond, " OR "))
	case "accepted_values":
		v := valueList.FindStringSubmatch(rest)
		if v == nil || len(cols) != 1 {
			return t, fmt.Errorf("accepted_values wants one column and in (values)")
		}
		var quoted []string
		for _, x := range strings.Split(v[1], ",") {
			quoted = append(quoted, "'"+strings.ReplaceAll(strings.TrimSpace(x), "'", "''")+"'")
		}
		t.SQL = fmt.Sprintf("SELECT %[1]s, count(*) AS rows FROM %[2]s WHERE %[1]s IS NOT NULL AND %[1]s NOT IN (%[3]s) GROUP BY %[1]s",
			cols[0], table, strings.Join(quoted, ", "))
	case "relationships":
		r := relTarget.FindStringSubmatch(rest)
		if r == nil || len(cols) != 1 {
			return t, fmt.Errorf("relationships wants one column and -> table(column)")
		}
		t.SQL = fmt.Sprintf("SELECT DISTINCT s.%[2]s FROM %[1]s s WHERE s.%[2]s IS NOT NULL AND NOT EXISTS (SELECT 1 FROM %[3]s t WHERE t.%[4]s = s.%[2]s)",
			table, cols[0], r[1], r[2])
	}
	return t, nil
}

func parseCustom(file, text string) (DataTest, error) {
	t := DataTest{Source: file, SQL: text}
	for _, h := range readHeader(text, "test", "severity", "title") {
		switch h.key {
		case "test":
			t.Name = h.value
		case "severity":
			t.Severity = h.value
		case "title":
			t.Title = h.value
		}
	}
	if want := strings.TrimSuffix(path.Base(file), ".sql"); t.Name != want {
		return t, fmt.Errorf(`%s: want a "-- test: %s" header`, file, want)
	}
	if t.Severity != "error" && t.Severity != "warn" {
		return t, fmt.Errorf(`%s: "-- severity:" must be error or warn, not %q`, file, t.Severity)
	}
	if t.Title == "" {
		return t, fmt.Errorf(`%s: no "-- title:" (what a failure means, in Vietnamese)`, file)
	}
	t.SQL = strings.TrimRight(strings.TrimSpace(text), ";")
	return t, nil
}

// runTests checks the built tables; it returns the warnings, and a
// *DataTestError when an error-severity test failed.
func runTests(ctx context.Context, conn *sql.Conn, tests []DataTest) ([]TestResult, error) {
	var warnings, failed []TestResult
	for _, t := range tests {
		n, failing, err := failures(ctx, conn, t)
		if err != nil {
			return nil, fmt.Errorf("data test %s (%s): %w", t.Name, t.Source, err)
		}
		if n == 0 {
			continue
		}
		r := TestResult{Test: t, Failures: n}
		sample, err := sampleRows(ctx, conn, failing, 3)
		if err != nil {
			return nil, fmt.Errorf("data test %s (%s): %w", t.Name, t.Source, err)
		}
		r.Sample = sample
		if t.Severity == "error" {
			if r.Sources, err = sources(ctx, conn, failing); err != nil {
				return nil, fmt.Errorf("data test %s (%s): %w", t.Name, t.Source, err)
			}
			failed = append(failed, r)
		} else {
			warnings = append(warnings, r)
		}
	}
	if len(failed) > 0 {
		return warnings, &DataTestError{Failed: failed}
	}
	return warnings, nil
}

// uniquePartRows is about the most rows a unique test groups in one query.
// The tests run inside the transform's transaction, beside every table it
// built and has not committed: the national mart_metrics (8,9 M rows) grouped
// in one query ran out of memory at DuckDB's limit of 512 MB (and at 256 MB),
// where the same query alone, outside the transaction, needs none of it.
var uniquePartRows int64 = 1_000_000

// failures counts a test's failing rows and returns the query that gives them.
// A unique test on a table of more than uniquePartRows rows is checked in
// parts, the rows split by the hash of their key (equal keys always fall in
// the same part), one query a part: each groups a part's keys only. The
// failing query is then the parts that found copies.
func failures(ctx context.Context, conn *sql.Conn, t DataTest) (int, string, error) {
	parts := int64(1)
	if t.table != "" {
		var rows int64
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+t.table).Scan(&rows); err != nil {
			return 0, "", err
		}
		parts = max(1, (rows+uniquePartRows-1)/uniquePartRows)
	}
	if parts == 1 {
		var n int
		err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ("+t.SQL+")").Scan(&n)
		return n, t.SQL, err
	}
	total := 0
	var failing []string
	for i := int64(0); i < parts; i++ {
		q := copiesSQL(t.table, t.key, fmt.Sprintf("WHERE hash(%s) %% %d = %d", t.key, parts, i))
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM ("+q+")").Scan(&n); err != nil {
			return 0, "", err
		}
		if n > 0 {
			total += n
			failing = append(failing, q)
		}
	}
	return total, strings.Join(failing, " UNION ALL "), nil
}

// copiesSQL is a unique test's query: the keys of table (of its rows where
// says, if given) found more than once, with their number of copies.
func copiesSQL(table, key, where string) string {
	if where != "" {
		table += " " + where
	}
	return fmt.Sprintf("SELECT %[1]s, count(*) AS copies FROM %[2]s GROUP BY %[1]s HAVING count(*) > 1", key, table)
}

// codeColumns are the columns of a failing test's rows that name a unit of the
// year's reports, and the loaded table that says which report listed it.
var codeColumns = map[string]string{
	"unit_code": "units", "org_code": "units", "cell_code": "units", "reporting_unit": "file_info",
}

// sources are the reports (unit and file) that list the units a failing test's
// rows name, for the year being built: so the operator knows whose files to look at.
func sources(ctx context.Context, conn *sql.Conn, query string) ([]string, error) {
	rows, err := conn.QueryContext(ctx, "SELECT * FROM ("+query+") LIMIT 0")
	if err != nil {
		return nil, err
	}
	cols, _ := rows.Columns()
	rows.Close()
	var parts []string
	for _, c := range cols {
		table, ok := codeColumns[c]
		if !ok {
			continue
		}
		key := "unit_code"
		if table == "file_info" {
			key = "reporting_unit"
		}
		parts = append(parts, fmt.Sprintf(`SELECT t.reporting_unit, s.source_file FROM %s t
			JOIN load_sources s ON s.load_id = t.load_id AND s.table_name = '%s'
			WHERE t.report_year = (SELECT year FROM params) AND t.%s IN (SELECT %s FROM (%s))`, table, table, key, c, query))
	}
	if len(parts) == 0 {
		return nil, nil
	}
	rows, err = conn.QueryContext(ctx, "SELECT DISTINCT * FROM ("+strings.Join(parts, " UNION ALL ")+") ORDER BY ALL LIMIT 20")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var unit, file string
		if err := rows.Scan(&unit, &file); err != nil {
			return nil, err
		}
		out = append(out, fmt.Sprintf("unit %s (%s)", unit, file))
	}
	return out, rows.Err()
}

func sampleRows(ctx context.Context, conn *sql.Conn, query string, n int) ([]string, error) {
	rows, err := conn.QueryContext(ctx, fmt.Sprintf("SELECT * FROM (%s) LIMIT %d", query, n))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("%s=%v", c, vals[i])
		}
		out = append(out, strings.Join(parts, " "))
	}
	return out, rows.Err()
}
