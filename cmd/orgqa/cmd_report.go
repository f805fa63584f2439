package main

import (
	"github.com/spf13/cobra"
)

func newReportCmd(e *env) *cobra.Command {
	var year int
	var output string
	var perUnit bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the leadership workbook and the analysts' Parquet files for a year",
		Long: `report writes the year's workbooks into a new dated folder under <output>/excel/,
points <output>/excel/latest at it, and replaces the year's Parquet files under
<output>/parquet/. A --year with no accepted report is refused (exit 2).`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := e.night()
			if err != nil {
				return err
			}
			pub, err := n.Report(cmd.Context(), output, year, perUnit)
			printPublication(e.stdout, pub)
			return err
		},
	}
	cmd.Flags().IntVar(&year, "year", 0, "report year (default: the latest year loaded)")
	cmd.Flags().StringVar(&output, "output", "out", "folder for the excel/ and parquet/ outputs")
	cmd.Flags().BoolVar(&perUnit, "per-unit", false, "also write one workbook per reporting unit (don-vi/<year>/ in the run's folder)")
	return cmd
}
