package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"orgqa/ingest"
	"orgqa/internal/warehouse"
)

type ingestOptions struct {
	input string
}

func newIngestCmd(e *env) *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load every workbook and CSV set in a folder into the warehouse",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var sum *ingest.Summary
			err := e.withWarehouse(cmd.Context(), true, func(w *warehouse.Warehouse) (err error) {
				sum, err = ingestRun(cmd.Context(), e, w, o)
				return err
			})
			if err != nil {
				return err
			}
			return rejectedErr(sum)
		},
	}
	cmd.Flags().StringVar(&o.input, "input", "input", "folder holding the reporting units' files")
	return cmd
}

func ingestRun(ctx context.Context, e *env, w *warehouse.Warehouse, o *ingestOptions) (*ingest.Summary, error) {
	l := &ingest.Loader{DB: w.DB, Log: e.log, Now: e.now}
	sum, err := l.LoadDir(ctx, o.input)
	if err != nil {
		return sum, fmt.Errorf("ingest %s: %w", o.input, err)
	}
	read, accepted := 0, 0
	for _, f := range sum.Files {
		read += f.Read
		accepted += f.Accepted
	}
	e.log.Info("ingest done", "reports", len(sum.Files), "loaded", sum.Count(ingest.Loaded), "skipped", sum.Count(ingest.Skipped),
		"failed", sum.Count(ingest.Failed)+len(sum.Problems), "rows_read", read, "rows_accepted", accepted, "rows_rejected", sum.RowsRejected())
	return sum, nil
}

// rejectedErr turns rejected rows or files into the "finished with rejects" exit.
func rejectedErr(sum *ingest.Summary) error {
	if sum == nil || sum.Clean() {
		return nil
	}
	return fmt.Errorf("%w: %d rows rejected, %d files not loaded", errRejected, sum.RowsRejected(), sum.Count(ingest.Failed)+len(sum.Problems))
}
