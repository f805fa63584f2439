package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"orgqa/ingest"
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
		year := o.year
		if year == 0 {
			if year = latestInputYear(sum); year == 0 {
				return errors.New("no loadable report found in " + o.input)
			}
		}
		s.run.Year = year
		fp, err := s.fingerprint(year)
		if err != nil {
			return err
		}
		if m, _ := delivery.ReadMarker(o.output); !o.force && delivery.Current(o.output, m, fp, year, o.perUnit) {
			why := fmt.Sprintf("no new or changed input since run %d: its outputs are current", m.RunID)
			s.skip("transform", why)
			s.skip("report", why)
			s.run.Outcome, s.run.Fingerprint, s.run.Published = history.NoChange, fp, m.Folder
			fmt.Fprintf(e.stdout, "Nothing changed since run %d: the outputs in %s are current.\n", m.RunID, o.output)
			return rejectedErr(sum)
		}
		built, err := history.LastFingerprint(s.work, s.w.DB, year)
		if err != nil {
			return err
		}
		if !o.force && built == fp {
			// a run built these marts and died before its outputs were all out
			s.skip("transform", "the marts are current (an earlier run built them but did not finish publishing)")
		} else {
			if _, err := s.transform(&transformOptions{year: year}); err != nil {
				return err
			}
			if fp, err = s.fingerprint(year); err != nil {
				return err
			}
		}
		ro := &reportOptions{year: year, output: o.output, perUnit: o.perUnit}
		res, err := s.report(ro)
		if err != nil {
			return err
		}
		if err := s.publish(ro, fp, res); err != nil {
			return err
		}
		return rejectedErr(sum)
	})
}

// latestInputYear is the latest year of a report in the input that loaded
// now or before.
func latestInputYear(sum *ingest.Summary) int {
	year := 0
	for _, f := range sum.Files {
		if f.Outcome != ingest.Failed && f.Year > year {
			year = f.Year
		}
	}
	return year
}
