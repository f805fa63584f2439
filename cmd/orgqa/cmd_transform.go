package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"orgqa/ingest"
	"orgqa/internal/warehouse"
	"orgqa/transform"
)

type transformOptions struct {
	year int
}

func newTransformCmd(e *env) *cobra.Command {
	o := &transformOptions{}
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "Build the year's metrics from the loaded reports (runs the SQL models)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.session(cmd.Context(), "transform", "", func(s *session) error {
				if o.year != 0 {
					years, err := loadedYears(s.work, s.w.DB)
					if err != nil {
						return err
					}
					if err := requireYear(years, o.year); err != nil {
						return err
					}
				}
				_, err := s.transform(o)
				return err
			})
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "report year (default: the latest year loaded)")
	return cmd
}

// transform is the session's transform step.
func (s *session) transform(o *transformOptions) (int, error) {
	var year int
	err := s.step("transform", func() (map[string]any, error) {
		var err error
		var rows int
		year, rows, err = transformRun(s.work, s.e, s.w, o)
		s.run.Year = year
		return map[string]any{"year": year, "metric_rows": rows}, err
	})
	return year, err
}

// sourceTables are the tables that exist before any model runs.
func sourceTables() []string {
	out := []string{"rejects", "load_manifest", "params", "rule_thresholds"}
	for _, s := range ingest.Contract {
		out = append(out, s.Table)
	}
	return out
}

var errNoData = errors.New("no reports loaded: run ingest first")

// latestYear is the latest report year with a loaded report.
func latestYear(ctx context.Context, db *sql.DB) (int, error) {
	var y sql.NullInt64
	err := db.QueryRowContext(ctx, `SELECT max(report_year) FROM load_manifest WHERE outcome = 'loaded'`).Scan(&y)
	if err != nil || !y.Valid {
		return 0, errNoData
	}
	return int(y.Int64), nil
}

// transformRun builds the year's marts and returns the year and its metric rows.
func transformRun(ctx context.Context, e *env, w *warehouse.Warehouse, o *transformOptions) (year, rows int, err error) {
	year = o.year
	if year == 0 {
		if year, err = latestYear(ctx, w.DB); err != nil {
			return 0, 0, err
		}
	}
	models, err := transform.Load(e.models, sourceTables())
	if err != nil {
		return year, 0, err
	}
	rules, err := e.rules()
	if err != nil {
		return year, 0, err
	}
	params, err := rules.Params(year)
	if err != nil {
		return year, 0, err
	}
	tests, err := transform.LoadTests(e.tests)
	if err != nil {
		return year, 0, err
	}
	if err := transform.Run(ctx, w.DB, models, tests, params, e.log); err != nil {
		return year, 0, fmt.Errorf("transform %d: %w", year, err)
	}
	if err := w.DB.QueryRowContext(ctx, `SELECT count(*) FROM mart_metrics WHERE year = ?`, year).Scan(&rows); err != nil {
		return year, 0, err
	}
	e.log.Debug("transform", "year", year, "rule_set", params.RuleSet.ID, "config_sha256", params.ConfigSHA256[:12], "models", len(models))
	return year, rows, nil
}
