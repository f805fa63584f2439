package transform

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"orgqa/ingest"
	"orgqa/internal/faults"
	"orgqa/internal/warehouse"
)

// Params are the values the models read from the params and rule_thresholds
// tables: the year and the rules in force for it (see rules.go).
type Params struct {
	Year               int
	RuleSet            *RuleSet
	CommentCutoff      time.Time  // M3: comments received on or before this day count
	AttendanceGoodPct  int        // M9: a meeting is well attended above this percentage
	LeadTimeDays       int        // M4: letters received within this many days
	DurationRuleFrom   *time.Time // M10: meetings from this day must last the minimum; nil: no rule
	MinMinutes         int        // M10
	MinMinutesCombined int        // M10, for a Kết hợp meeting
	ExcellenceQuota    float64    // M16: HTXS / HTT above this is a breach
	ProvinceCode       string
	ProvinceName       string
	ConfigSHA256       string
	ConfigJSON         string
}

// Defaults returns the parameters of the embedded rules for year.
func Defaults(year int) (Params, error) {
	r, err := DefaultRules()
	if err != nil {
		return Params{}, err
	}
	return r.Params(year)
}

// Run builds every model for p.Year and checks the data tests, in one
// transaction: if a model or an error-severity test fails, the marts stay as
// they were and the error names the model or the test (with sample rows).
// Warnings are recorded in data_test_results with the run.
func Run(ctx context.Context, db *sql.DB, models []Model, tests []DataTest, p Params, log *slog.Logger) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	rollback := func(err error) error {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			return fmt.Errorf("%w (and rollback failed: %v)", err, rerr)
		}
		return err
	}
	if err := writeParams(ctx, conn, p); err != nil {
		return rollback(err)
	}
	if err := replaceTablesNowViews(ctx, conn, models, p.Year); err != nil {
		return rollback(err)
	}
	for _, m := range models {
		start := time.Now()
		if _, err := conn.ExecContext(ctx, m.SQL); err != nil {
			return rollback(fmt.Errorf("model %s (%s): %w", m.Name, m.File, err))
		}
		log.Debug("model built", "model", m.Name, "seconds", time.Since(start).Seconds())
		faults.Point("transform.model")
	}
	start := time.Now()
	warnings, err := runTests(ctx, conn, tests)
	if err != nil {
		return rollback(err)
	}
	log.Debug("data tests checked", "tests", len(tests), "seconds", time.Since(start).Seconds())
	if err := dropTemporary(ctx, conn); err != nil {
		return rollback(err)
	}
	if err := recordWarnings(ctx, conn, p.Year, warnings); err != nil {
		return rollback(err)
	}
	for _, w := range warnings {
		log.Warn("data test", "test", w.Test.Name, "failures", w.Failures, "title", w.Test.Title)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS transform_runs (
			run_at TIMESTAMP NOT NULL, year INTEGER NOT NULL, rule_set VARCHAR NOT NULL,
			config_sha256 VARCHAR NOT NULL, config_json VARCHAR NOT NULL)`); err != nil {
		return rollback(err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO transform_runs VALUES (?, ?, ?, ?, ?)`,
		time.Now().UTC(), p.Year, p.RuleSet.ID, p.ConfigSHA256, p.ConfigJSON); err != nil {
		return rollback(err)
	}
	// the transform's rows go into the file at once: the reopen or commit
	// after the step would only read the log back (warehouse.CommitToFile)
	start = time.Now()
	if err := warehouse.CommitToFile(ctx, conn); err != nil {
		return rollback(fmt.Errorf("commit: %w", err))
	}
	log.Debug("transform committed", "seconds", time.Since(start).Seconds())
	return nil
}

// viewName is the view a CREATE OR REPLACE VIEW statement of a model makes.
var viewName = regexp.MustCompile(`(?i)CREATE\s+OR\s+REPLACE\s+VIEW\s+(?:main\.)?(\w+)`)

// replaceTablesNowViews clears the way for the views the models make where
// an older warehouse has tables (DuckDB refuses to replace a table with a
// view): mart_metrics, a view since December 2026, and nine int_ models since
// later that month. An int_ table held the last transform's rows only, which
// the models build again: it is dropped. mart_metrics held every year's rows:
// it is split (splitMartMetrics).
func replaceTablesNowViews(ctx context.Context, conn *sql.Conn, models []Model, year int) error {
	var views []string
	for _, m := range models {
		for _, v := range viewName.FindAllStringSubmatch(m.SQL, -1) {
			views = append(views, strings.ToLower(v[1]))
		}
	}
	tables, err := warehouse.Column[string](ctx, conn, `SELECT table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary
		AND list_contains(`+warehouse.ListParam+`, lower(table_name))`, warehouse.ListArg(views))
	if err != nil {
		return err
	}
	for _, t := range tables {
		if t == "mart_metrics" {
			if err := splitMartMetrics(ctx, conn, year); err != nil {
				return fmt.Errorf("mart_metrics: %w", err)
			}
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP TABLE main.%q`, t)); err != nil {
			return fmt.Errorf("%s, now a view: %w", t, err)
		}
	}
	return nil
}

// dropTemporary drops the models' temporary tables once the data tests have
// read them: the commit's checkpoint, and the connection's next user, do not
// hold them in memory.
func dropTemporary(ctx context.Context, conn *sql.Conn) error {
	tables, err := warehouse.Column[string](ctx, conn, `SELECT table_name FROM duckdb_tables() WHERE temporary`)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(`DROP TABLE temp.%q`, t)); err != nil {
			return err
		}
	}
	return nil
}

// splitMartMetrics turns the mart_metrics table of a warehouse built before
// it became a view into its parts: the table's rows of the years other than
// the one built now go to mart_metrics_other_years (with the table's NOT
// NULL columns, as the int_metrics model creates it), the table and the old
// int_metrics leave (the models build the year's rows again). Nothing is
// deleted row by row: a table with only the year built now copies nothing.
func splitMartMetrics(ctx context.Context, conn *sql.Conn, year int) error {
	// a CREATE TABLE AS drops them: the table's NOT NULL columns, set again
	notNull, err := warehouse.Column[string](ctx, conn, `SELECT column_name FROM information_schema.columns
		WHERE table_catalog = current_database() AND table_schema = 'main' AND table_name = 'mart_metrics' AND is_nullable = 'NO'
		ORDER BY ordinal_position`)
	if err != nil {
		return err
	}
	steps := []string{fmt.Sprintf(`CREATE TABLE mart_metrics_other_years AS FROM mart_metrics WHERE year <> %d`, year)}
	for _, c := range notNull {
		steps = append(steps, fmt.Sprintf(`ALTER TABLE mart_metrics_other_years ALTER COLUMN %q SET NOT NULL`, c))
	}
	steps = append(steps, `DROP TABLE mart_metrics`, `DROP TABLE IF EXISTS int_metrics`)
	for _, q := range steps {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// Sources are the tables the models read and no model builds: what the
// ingest loads (its contract's tables, rejects and load_manifest), and the
// params, rule_thresholds and rule_caps that Run writes first.
func Sources() []string {
	out := []string{"rejects", "load_manifest", "params", "rule_thresholds", "rule_caps"}
	for _, s := range ingest.Contract {
		out = append(out, s.Table)
	}
	return out
}

// writeParams makes the params, rule_thresholds and rule_caps tables the models read.
func writeParams(ctx context.Context, conn *sql.Conn, p Params) error {
	if p.RuleSet == nil {
		return fmt.Errorf("params: no rule set for %d", p.Year)
	}
	rs := p.RuleSet
	// kept in the warehouse: the int_ views read it (their year, its bounds)
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE params AS SELECT
			?::INTEGER AS year,
			make_date(?::INTEGER, 1, 1) AS year_start,
			make_date(?::INTEGER, 12, 31) AS year_end,
			?::VARCHAR AS rule_set,
			?::DATE AS comment_cutoff,
			?::INTEGER AS attendance_good_pct,
			?::INTEGER AS lead_time_days,
			?::DATE AS duration_rule_from,
			?::INTEGER AS min_minutes,
			?::INTEGER AS min_minutes_combined,
			?::DOUBLE AS excellence_quota,
			?::VARCHAR AS quota_source,
			?::INTEGER AS min_denominator,
			nullif(?::VARCHAR, '') AS max_rating_with_red,
			?::VARCHAR AS province_code,
			?::VARCHAR AS province_name`,
		p.Year, p.Year, p.Year, rs.ID, p.CommentCutoff, p.AttendanceGoodPct, p.LeadTimeDays, p.DurationRuleFrom,
		p.MinMinutes, p.MinMinutesCombined, p.ExcellenceQuota, rs.QuotaSource, rs.MinDenominator,
		rs.MaxRatingWithRed, p.ProvinceCode, p.ProvinceName); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE rule_thresholds
			(metric VARCHAR, better VARCHAR, green DOUBLE, amber DOUBLE, source VARCHAR, min_denominator INTEGER)`); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	for metric, t := range rs.Thresholds {
		if _, err := conn.ExecContext(ctx, `INSERT INTO rule_thresholds VALUES (?, ?, ?, ?, ?, ?)`, metric, t.Better, t.Green, t.Amber, t.Source, t.MinDenominator); err != nil {
			return fmt.Errorf("params: %w", err)
		}
	}
	// the caps in the order the rule set lists them (n)
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE rule_caps
			(n INTEGER, condition VARCHAR, share DOUBLE, max_rating VARCHAR, rule VARCHAR, source VARCHAR)`); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	for i, c := range rs.Caps {
		if _, err := conn.ExecContext(ctx, `INSERT INTO rule_caps VALUES (?, ?, ?, ?, ?, ?)`, i+1, c.When, c.Share, c.Max, c.Rule, c.Source); err != nil {
			return fmt.Errorf("params: %w", err)
		}
	}
	return nil
}

// recordWarnings replaces the year's data-test warnings.
func recordWarnings(ctx context.Context, conn *sql.Conn, year int, warnings []TestResult) error {
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS data_test_results (
			year INTEGER NOT NULL, test VARCHAR NOT NULL, severity VARCHAR NOT NULL, title VARCHAR,
			failures BIGINT NOT NULL, sample VARCHAR)`); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `DELETE FROM data_test_results WHERE year = ?`, year); err != nil {
		return err
	}
	for _, w := range warnings {
		if _, err := conn.ExecContext(ctx, `INSERT INTO data_test_results VALUES (?, ?, ?, ?, ?, ?)`,
			year, w.Test.Name, w.Test.Severity, w.Test.Title, w.Failures, strings.Join(w.Sample, "\n")); err != nil {
			return err
		}
	}
	return nil
}
