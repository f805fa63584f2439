package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/spf13/cobra"

	"orgqa/internal/night"
)

func newRunCmd(e *env) *cobra.Command {
	o := night.RunOptions{}
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Ingest, transform and report: the nightly job",
		Long: `run loads every new or changed report in --input, builds the metrics of every
year whose inputs changed (or of --year) and publishes the workbooks and
Parquet files to --output. With nothing new since the last run it ingests
nothing, keeps the published outputs and says so. One run at a time: a second
one exits at once with code 4. It needs no terminal and asks nothing.
Exit codes: 0 done; 1 failed (or stopped by SIGINT/SIGTERM); 2 usage (also a
--year with no accepted report); 3 done, but some rows or files were rejected;
4 another run holds the lock.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := e.night()
			if err != nil {
				return err
			}
			res, err := n.Run(cmd.Context(), o)
			if res != nil && res.NoChange {
				fmt.Fprintf(e.stdout, "Nothing changed since run %d: the outputs in %s are current.\n", res.SinceRun, o.Output)
			}
			if res != nil {
				printPublication(e.stdout, res.Publication)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&o.Input, "input", "input", "folder holding the reporting units' files")
	cmd.Flags().StringVar(&o.Output, "output", "out", "folder for the excel/, parquet/ and runs/ outputs")
	cmd.Flags().IntVar(&o.Year, "year", 0, "report year (default: every year whose inputs changed, the latest always)")
	cmd.Flags().BoolVar(&o.PerUnit, "per-unit", false, "also write one workbook per reporting unit (don-vi/<year>/ in the run's folder)")
	cmd.Flags().BoolVar(&o.Force, "force", false, "rebuild everything: reload every report, transform and publish even if nothing changed")
	return cmd
}

// printPublication says where the outputs are.
func printPublication(w io.Writer, p *night.Publication) {
	if p == nil {
		return
	}
	for _, wb := range p.Workbooks {
		fmt.Fprintf(w, "Excel:   %s (this run: %s)\n", wb, p.Folder)
	}
	for _, f := range p.Parquet {
		fmt.Fprintf(w, "Parquet: %s\n", f)
	}
	for _, r := range p.Rejects {
		fmt.Fprintf(w, "Rejects: %s (%d problems, to send back to unit %s)\n", r.Path, r.Problems, r.Unit)
		if r.Marked != "" {
			fmt.Fprintf(w, "Marked:  %s (the unit's own workbook, its problems marked)\n", r.Marked)
		}
	}
	years := make([]int, 0, len(p.Units))
	for y := range p.Units {
		years = append(years, y)
	}
	sort.Ints(years)
	for _, y := range years {
		fmt.Fprintf(w, "Units:   %d workbooks in %s\n", p.Units[y], filepath.Join(p.Latest, "don-vi", fmt.Sprint(y)))
	}
}

// workbookPath is where the year's province workbook is read.
func workbookPath(output string, year int) string { return night.WorkbookPath(output, year) }

func workbookName(year int) string { return night.WorkbookName(year) }
