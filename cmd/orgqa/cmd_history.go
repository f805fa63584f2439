package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"orgqa/internal/delivery"
	"orgqa/internal/history"
	"orgqa/internal/runlock"
	"orgqa/internal/warehouse"
)

type historyOptions struct {
	n    int
	json bool
}

func newHistoryCmd(e *env) *cobra.Command {
	o := &historyOptions{}
	cmd := &cobra.Command{
		Use:   "history",
		Short: "The last runs: when, how long, outcome, files and rows, what went wrong (read-only)",
		Long: `history lists the runs recorded in the warehouse, newest first. It opens the
warehouse read-only, so it works while a run is in progress (that run shows
once it has finished; orgqa status shows it meanwhile).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			runs, err := lastRuns(cmd.Context(), e, o.n)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(e.stdout, runs)
			}
			if len(runs) == 0 {
				fmt.Fprintln(e.stderr, "no runs recorded yet")
				return nil
			}
			tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "RUN\tCOMMAND\tSTARTED\tSECONDS\tOUTCOME\tYEAR\tFILES NEW/SAME/FAILED\tROWS REJECTED\tPUBLISHED\tNOTE")
			for _, r := range runs {
				secs := "-"
				if r.Finished != nil {
					secs = fmt.Sprintf("%.1f", r.Seconds())
				}
				year := "-"
				if r.Year > 0 {
					year = fmt.Sprint(r.Year)
				}
				files := "-"
				if r.Files.Seen > 0 || r.Command == "run" || r.Command == "ingest" {
					files = fmt.Sprintf("%d/%d/%d", r.Files.Loaded, r.Files.Skipped, r.Files.Failed)
				}
				pub := r.Published
				if pub == "" {
					pub = "-"
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Command, r.Started.Local().Format("2006-01-02 15:04:05"),
					secs, r.Outcome, year, files, r.Rows.Rejected, pub, runNote(&r))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVarP(&o.n, "last", "n", 20, "how many runs")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the runs as JSON (as in the run summaries)")
	return cmd
}

// runNote is the one thing to know about a run.
func runNote(r *history.Run) string {
	var notes []string
	if r.Error != "" {
		notes = append(notes, oneLine(r.Error, 120))
	}
	for _, d := range r.Deliveries {
		switch {
		case d.OK:
			notes = append(notes, fmt.Sprintf("%s sent to %d", d.Kind, len(d.To)))
		case d.Error != "":
			notes = append(notes, fmt.Sprintf("%s NOT sent: %s", d.Kind, oneLine(d.Error, 80)))
		}
	}
	if r.Forced {
		notes = append(notes, "forced")
	}
	return strings.Join(notes, "; ")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// lastRuns reads the runs table of the live warehouse, read-only.
func lastRuns(ctx context.Context, e *env, n int) ([]history.Run, error) {
	var runs []history.Run
	err := e.withReadOnly(ctx, func(w *warehouse.Warehouse) (err error) {
		runs, err = history.Last(ctx, w.DB, n)
		return err
	})
	return runs, err
}

type statusOptions struct {
	output string
	json   bool
}

// status is what orgqa status prints as JSON.
type status struct {
	InProgress *runlock.Holder  `json:"in_progress"`
	Unfinished *runlock.Holder  `json:"unfinished,omitempty"` // a run that died; the next run records it
	LastRun    *history.Run     `json:"last_run"`
	Published  *delivery.Marker `json:"published"`
}

func newStatusCmd(e *env) *cobra.Command {
	o := &statusOptions{}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Whether a run is in progress, how the last one ended, what is published (read-only)",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			var st status
			held, h, err := runlock.Inspect(runlock.Path(e.warehousePath))
			if err != nil {
				return err
			}
			if held {
				st.InProgress = h
			} else if h != nil {
				st.Unfinished = h
			}
			// the first run works on a copy: until it ends there is no live
			// file, and that is no error while it holds the lock
			var runs []history.Run
			if err := e.warehouseExists(); err == nil || !held {
				if runs, err = lastRuns(cmd.Context(), e, 1); err != nil {
					return err
				}
			}
			if len(runs) > 0 {
				st.LastRun = &runs[0]
			}
			if st.Published, err = delivery.ReadMarker(o.output); err != nil {
				return err
			}
			if o.json {
				return writeJSON(e.stdout, st)
			}
			printStatus(e.stdout, &st, o.output)
			return nil
		},
	}
	cmd.Flags().StringVar(&o.output, "output", "out", "the output folder whose published state to show")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the status as JSON")
	return cmd
}

func printStatus(w io.Writer, st *status, output string) {
	switch {
	case st.InProgress != nil:
		fmt.Fprintf(w, "In progress: %s, for %s\n", st.InProgress, time.Since(st.InProgress.Started).Round(time.Second))
	case st.Unfinished != nil:
		fmt.Fprintf(w, "In progress: none. The last holder, %s, died without finishing; the next run records it as interrupted.\n", st.Unfinished)
	default:
		fmt.Fprintln(w, "In progress: none")
	}
	if r := st.LastRun; r != nil {
		fmt.Fprintf(w, "Last run:    %d (orgqa %s) %s, started %s, %.1f s", r.ID, r.Command, r.Outcome,
			r.Started.Local().Format("2006-01-02 15:04:05"), r.Seconds())
		if r.Command == "run" || r.Command == "ingest" {
			fmt.Fprintf(w, "; files %d new, %d unchanged, %d failed; %d rows read, %d rejected",
				r.Files.Loaded, r.Files.Skipped, r.Files.Failed, r.Rows.Read, r.Rows.Rejected)
		}
		fmt.Fprintln(w)
		if note := runNote(r); note != "" {
			fmt.Fprintf(w, "             %s\n", note)
		}
	} else {
		fmt.Fprintln(w, "Last run:    none recorded")
	}
	if m := st.Published; m != nil {
		fmt.Fprintf(w, "Published:   year %d by run %d at %s: %s/excel/%s -> %s\n", m.Year, m.RunID,
			m.Published.Local().Format("2006-01-02 15:04:05"), output, delivery.Latest, m.Folder)
	} else {
		fmt.Fprintf(w, "Published:   nothing yet in %s\n", output)
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
