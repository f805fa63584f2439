package main

import (
	"context"
	"errors"

	"github.com/spf13/cobra"

	"orgqa/ingest"
	"orgqa/internal/warehouse"
)

type runOptions struct {
	input, output string
	year          int
	perUnit       bool
}

func newRunCmd(e *env) *cobra.Command {
	o := &runOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Ingest, transform and report: the nightly job",
		Long: `run loads every report in --input, builds the year's metrics and writes the
workbook and Parquet files to --output. It needs no terminal and asks nothing.
Exit codes: 0 done; 1 failed; 2 usage; 3 done, but some rows or files were rejected.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runRun(cmd.Context(), e, o) },
	}
	cmd.Flags().StringVar(&o.input, "input", "input", "folder holding the reporting units' files")
	cmd.Flags().StringVar(&o.output, "output", "out", "folder for the excel/ and parquet/ outputs")
	cmd.Flags().IntVar(&o.year, "year", 0, "report year (default: the latest year found in the input)")
	cmd.Flags().BoolVar(&o.perUnit, "per-unit", false, "also write one workbook per reporting unit (excel/don-vi/<year>/)")
	return cmd
}

func runRun(ctx context.Context, e *env, o *runOptions) error {
	return e.withWarehouse(ctx, true, func(w *warehouse.Warehouse) error { return runSteps(ctx, e, w, o) })
}

// runSteps is ingest, transform and report on an open warehouse.
func runSteps(ctx context.Context, e *env, w *warehouse.Warehouse, o *runOptions) error {
	sum, err := ingestRun(ctx, e, w, &ingestOptions{input: o.input})
	if err != nil {
		return err
	}
	year := o.year
	if year == 0 {
		for _, f := range sum.Files {
			if f.Outcome != ingest.Failed && f.Year > year {
				year = f.Year
			}
		}
		if year == 0 {
			return errors.New("no loadable report found in " + o.input)
		}
	}
	if _, err := transformRun(ctx, e, w, &transformOptions{year: year}); err != nil {
		return err
	}
	if err := reportRun(ctx, e, w, &reportOptions{year: year, output: o.output, perUnit: o.perUnit}); err != nil {
		return err
	}
	return rejectedErr(sum)
}
