package main

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"orgqa/internal/warehouse"
	"orgqa/reports"
)

type reportOptions struct {
	year    int
	output  string
	perUnit bool // also one workbook per reporting unit, to send down
}

func newReportCmd(e *env) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the leadership workbook and the analysts' Parquet files for a year",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withWarehouse(cmd.Context(), false, func(w *warehouse.Warehouse) (err error) {
				if o.year == 0 {
					if o.year, err = latestYear(cmd.Context(), w.DB); err != nil {
						return err
					}
				}
				return reportRun(cmd.Context(), e, w, o)
			})
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "report year (default: the latest year loaded)")
	cmd.Flags().StringVar(&o.output, "output", "out", "folder for the excel/ and parquet/ outputs")
	cmd.Flags().BoolVar(&o.perUnit, "per-unit", false, "also write one workbook per reporting unit (excel/don-vi/<year>/)")
	return cmd
}

// workbookPath is where the year's province workbook goes.
func workbookPath(output string, year int) string {
	return filepath.Join(output, "excel", fmt.Sprintf("tong-hop-tccs-%d.xlsx", year))
}

func reportRun(ctx context.Context, e *env, w *warehouse.Warehouse, o *reportOptions) error {
	xr, err := reports.WriteExcel(ctx, w.DB, o.year, workbookPath(o.output, o.year), e.now())
	if err != nil {
		return err
	}
	files, err := reports.WriteParquet(ctx, w.DB, o.year, o.output)
	if err != nil {
		return err
	}
	back, err := reports.WriteRejects(ctx, w.DB, o.year, o.output, e.now())
	if err != nil {
		return err
	}
	if o.perUnit {
		paths, err := reports.WriteUnitWorkbooks(ctx, w.DB, o.year, o.output, e.now())
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "Units:   %d workbooks in %s\n", len(paths), reports.UnitWorkbooksDir(o.output, o.year))
	}
	e.log.Info("report done", "year", o.year, "workbook", xr.Path, "reporting_units", xr.ReportingUnits, "organizations", xr.Organizations)
	fmt.Fprintf(e.stdout, "Excel:   %s\n", xr.Path)
	for _, f := range files {
		fmt.Fprintf(e.stdout, "Parquet: %s (%s rows)\n", f.Path, fmt.Sprint(f.Rows))
	}
	for _, b := range back {
		fmt.Fprintf(e.stdout, "Rejects: %s (%d problems, to send back to unit %s)\n", b.Path, b.Problems, b.Unit)
	}
	return nil
}
