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
	force bool // reload reports loaded before
}

func newIngestCmd(e *env) *cobra.Command {
	o := &ingestOptions{}
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load every workbook and CSV set in a folder into the warehouse",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.session(cmd.Context(), "ingest", "", func(s *session) error {
				sum, err := s.ingest(o)
				if err != nil {
					return err
				}
				return rejectedErr(sum)
			})
		},
	}
	cmd.Flags().StringVar(&o.input, "input", "input", "folder holding the reporting units' files")
	cmd.Flags().BoolVar(&o.force, "force", false, "reload every report, also those loaded before with the same content")
	return cmd
}

// ingest is the session's ingest step.
func (s *session) ingest(o *ingestOptions) (*ingest.Summary, error) {
	var sum *ingest.Summary
	s.run.Forced = s.run.Forced || o.force
	err := s.step("ingest", func() (map[string]any, error) {
		var err error
		sum, err = ingestRun(s.ctx, s.e, s.w, o)
		if sum == nil {
			return nil, err
		}
		f := &s.run.Files
		// a file the operator withdrew is unchanged input, not a failure
		f.Seen, f.Loaded, f.Skipped, f.Failed = len(sum.Files)+len(sum.Problems), sum.Count(ingest.Loaded),
			sum.Count(ingest.Skipped)+sum.Count(ingest.Withdrawn)+sum.Count(ingest.Superseded), sum.Count(ingest.Failed)+len(sum.Problems)
		for _, r := range sum.Files {
			s.run.Rows.Read += r.Read
			s.run.Rows.Accepted += r.Accepted
			s.run.Rows.Rejected += r.Rejected
		}
		return map[string]any{"input": o.input, "files": f.Seen, "loaded": f.Loaded, "skipped": f.Skipped, "failed": f.Failed,
			"rows_read": s.run.Rows.Read, "rows_accepted": s.run.Rows.Accepted, "rows_rejected": s.run.Rows.Rejected, "withdrawn": sum.Count(ingest.Withdrawn), "superseded": sum.Count(ingest.Superseded)}, err
	})
	return sum, err
}

func ingestRun(ctx context.Context, e *env, w *warehouse.Warehouse, o *ingestOptions) (*ingest.Summary, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	l := &ingest.Loader{DB: w.DB, Log: e.log, Now: e.now, Force: o.force, Units: cfg.Units}
	if e.progress != nil {
		l.Progress = func(done, total int, path string) { e.progress.set("ingest", done, total, path) }
		defer e.progress.clear()
	}
	sum, err := l.LoadDir(ctx, o.input)
	if err != nil {
		return sum, fmt.Errorf("ingest %s: %w", o.input, err)
	}
	return sum, nil
}

// rejectedErr turns rejected rows or files into the "finished with rejects" exit.
func rejectedErr(sum *ingest.Summary) error {
	if sum == nil || sum.Clean() {
		return nil
	}
	return fmt.Errorf("%w: %d rows rejected, %d files not loaded", errRejected, sum.RowsRejected(), sum.Count(ingest.Failed)+len(sum.Problems))
}
