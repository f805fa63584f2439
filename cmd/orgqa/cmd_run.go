package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"orgqa/internal/delivery"
	"orgqa/internal/history"
)

type runOptions struct {
	input, output string
	year          int
	perUnit       bool
	force         bool
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Ingest, transform and report: the nightly job",
		Long: `run loads every new or changed report in --input, builds the year's metrics and
publishes the workbooks and Parquet files to --output. With nothing new since
the last run it ingests nothing, keeps the published outputs and says so.
One run at a time: a second one exits at once with code 4. It needs no
terminal and asks nothing.
Exit codes: 0 done; 1 failed (or stopped by SIGINT/SIGTERM); 2 usage;
3 done, but some rows or files were rejected; 4 another run holds the lock.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runRun(cmd.Context(), e, o) },
	}
	cmd.Flags().StringVar(&o.input, "input", "input", "folder holding the reporting units' files")
	cmd.Flags().StringVar(&o.output, "output", "out", "folder for the excel/, parquet/ and runs/ outputs")
	cmd.Flags().IntVar(&o.year, "year", 0, "report year (default: the latest year found in the input)")
	cmd.Flags().BoolVar(&o.perUnit, "per-unit", false, "also write one workbook per reporting unit (don-vi/<year>/ in the run's folder)")
	cmd.Flags().BoolVar(&o.force, "force", false, "rebuild everything: reload every report, transform and publish even if nothing changed")
	return cmd
}

func runRun(ctx context.Context, e *env, o *runOptions) error {
	return e.session(ctx, "run", o.output, func(s *session) error {
		sum, err := s.ingest(&ingestOptions{input: o.input, force: o.force})
		if err != nil {
			return err
		}
		years, err := loadedYears(s.work, s.w.DB)
		if err != nil {
			return err
		}
		if len(years) == 0 {
			return errors.New("no loadable report found in " + o.input + " nor in the warehouse")
		}
		targets := years
		if o.year != 0 {
			if err := requireYear(years, o.year); err != nil {
				return err
			}
			targets = []int{o.year}
		}
		backed := map[int]bool{}
		for _, y := range years {
			backed[y] = true
		}
		// every year whose inputs changed since its outputs were published,
		// oldest first (a year's trend reads the year before's marts)
		m, _ := delivery.ReadMarker(o.output)
		var plan []int
		fps := map[int]string{}
		for _, y := range targets {
			if fps[y], err = s.fingerprint(y); err != nil {
				return err
			}
			if o.force || !delivery.Current(o.output, m, fps[y], y, o.perUnit) {
				plan = append(plan, y)
			}
		}
		latest := targets[len(targets)-1]
		stale := o.year == 0 && m != nil && len(unbacked(m, backed)) > 0
		if len(plan) == 0 && stale {
			plan = []int{latest} // a new latest/ without the years no report backs any more
		}
		if len(plan) == 0 {
			why := fmt.Sprintf("no new or changed input since run %d: its outputs are current", m.RunID)
			s.skip("transform", why)
			s.skip("report", why)
			s.run.Year = latest
			s.run.Outcome, s.run.Fingerprint, s.run.Published = history.NoChange, fps[latest], m.Folder
			fmt.Fprintf(e.stdout, "Nothing changed since run %d: the outputs in %s are current.\n", m.RunID, o.output)
			return rejectedErr(sum)
		}
		if o.year == 0 {
			if err := s.dropYears(backed); err != nil {
				return err
			}
		}
		var built []builtYear
		for i, y := range plan {
			s.run.Year = y
			fp := fps[y]
			last, err := history.LastFingerprint(s.work, s.w.DB, y)
			if err != nil {
				return err
			}
			if !o.force && last == fp && i == len(plan)-1 {
				// a run built these marts and died before its outputs were all out
				s.skip("transform", "the marts are current (an earlier run built them but did not finish publishing)")
			} else {
				if _, err := s.transform(&transformOptions{year: y}); err != nil {
					return err
				}
				if fp, err = s.fingerprint(y); err != nil {
					return err
				}
			}
			res, err := s.report(&reportOptions{year: y, output: o.output, perUnit: o.perUnit})
			if err != nil {
				return err
			}
			built = append(built, builtYear{year: y, fingerprint: fp, res: res})
		}
		if err := s.publish(o.output, o.perUnit, built, backed); err != nil {
			return err
		}
		return rejectedErr(sum)
	})
}

// loadedYears are the report years with an accepted report, oldest first.
func loadedYears(ctx context.Context, db *sql.DB) ([]int, error) {
	rows, err := db.QueryContext(ctx, `SELECT DISTINCT report_year FROM load_manifest WHERE outcome = 'loaded' ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var years []int
	for rows.Next() {
		var y int
		if err := rows.Scan(&y); err != nil {
			return nil, err
		}
		years = append(years, y)
	}
	return years, rows.Err()
}

// requireYear refuses --year for a year no accepted report backs: its
// outputs would show nothing as if it were the province's figures.
func requireYear(years []int, year int) error {
	for _, y := range years {
		if y == year {
			return nil
		}
	}
	have := "none"
	if len(years) > 0 {
		ys := make([]string, len(years))
		for i, y := range years {
			ys[i] = fmt.Sprint(y)
		}
		have = strings.Join(ys, ", ")
	}
	return usageError{fmt.Errorf("--year %d: no accepted report of %d in the warehouse (years with reports: %s); nothing was built or published", year, year, have)}
}

// unbacked are the years the published outputs show that no accepted report
// backs any more.
func unbacked(m *delivery.Marker, backed map[int]bool) []int {
	var out []int
	seen := map[int]bool{}
	for y := range m.Years {
		seen[y] = true
	}
	seen[m.Year] = true
	for y := range seen {
		if y != 0 && !backed[y] {
			out = append(out, y)
		}
	}
	sort.Ints(out)
	return out
}

// dropYears removes the marts' rows of years no accepted report backs any
// more (every report of the year withdrawn), so analysts querying the
// warehouse see what the outputs show.
func (s *session) dropYears(backed map[int]bool) error {
	rows, err := s.w.DB.QueryContext(s.work, `SELECT DISTINCT table_name FROM duckdb_columns()
		WHERE column_name = 'year' AND (table_name LIKE 'mart\_%' ESCAPE '\' OR table_name = 'data_test_results') ORDER BY 1`)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	keep := make([]string, 0, len(backed))
	for y := range backed {
		keep = append(keep, fmt.Sprint(y))
	}
	for _, t := range tables {
		q := fmt.Sprintf(`DELETE FROM %s WHERE year NOT IN (%s)`, t, strings.Join(keep, ", "))
		if _, err := s.w.DB.ExecContext(s.work, q); err != nil {
			return fmt.Errorf("drop years: %s: %w", t, err)
		}
	}
	return nil
}
