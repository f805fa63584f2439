package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"orgqa/internal/warehouse"
	"orgqa/reports"
)

type templateOptions struct {
	year   int
	unit   string
	output string
}

func newTemplateCmd(e *env) *cobra.Command {
	o := &templateOptions{}
	cmd := &cobra.Command{
		Use:   "template",
		Short: "Write the workbook each reporting unit fills for a year, pre-filled from last year's report",
		Long: `template writes, for one reporting unit (--unit) or for every known unit, the
workbook the unit fills for --year: mau-bao-cao-<unit>-<year>.xlsx in --output.
It holds the nine contract sheets with their Vietnamese headers, a first sheet
Hướng dẫn (what each column means, what is required and accepted, the usual
reasons for a rejected row), drop-down lists on every enumeration, date and
whole-number rules, code columns stored as text so Excel keeps their leading
zeros, and DonVi and member codes offered as lists where a sheet refers to
them. ThongTin, DonVi (the units valid on 1 January) and DangVien (the members
who still count) are pre-filled from the unit's accepted report of the year
before, so the unit only updates what changed. Loaded back as written, a
template gives no rejected row.

The known units are the configuration's units list (valid in the year), else
the units of accepted reports. The warehouse is only read; without one, the
templates are written empty but for ThongTin.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.year < 1990 || o.year > 2100 {
				return usageError{fmt.Errorf("--year %d: give the year the units will report on", o.year)}
			}
			var db *sql.DB
			run := func(w *warehouse.Warehouse) error {
				if w != nil {
					db = w.DB
				}
				units, err := templateUnits(cmd.Context(), e, db, o)
				if err != nil {
					return err
				}
				paths, err := reports.WriteTemplates(cmd.Context(), db, units, o.year, o.output, e.now())
				for _, p := range paths {
					fmt.Fprintf(e.stdout, "Template: %s\n", p)
				}
				return err
			}
			if err := e.warehouseExists(); err != nil {
				if o.unit == "" {
					if cfg, cerr := e.config(); cerr != nil || len(cfg.Units) == 0 {
						return errors.New("no warehouse and no units list in the configuration: name the unit (--unit), or give --warehouse or a units list")
					}
				}
				return run(nil)
			}
			return e.withReadOnly(cmd.Context(), run)
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "the year the units will report on (required)")
	cmd.Flags().StringVar(&o.unit, "unit", "", "only this reporting unit's template")
	cmd.Flags().StringVar(&o.output, "output", "templates", "folder to write the templates into")
	return cmd
}

// templateUnits are the units to write a template for, with their names.
func templateUnits(ctx context.Context, e *env, db *sql.DB, o *templateOptions) ([]reports.TemplateUnit, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	var codes []string
	for _, u := range cfg.Units {
		if u.ValidIn(o.year) {
			names[u.Code] = u.Name
			codes = append(codes, u.Code)
		}
	}
	if len(cfg.Units) == 0 && db != nil {
		rows, err := db.QueryContext(ctx, `SELECT DISTINCT reporting_unit FROM load_manifest
			WHERE outcome = 'loaded' AND reporting_unit IS NOT NULL ORDER BY 1`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return nil, err
			}
			codes = append(codes, c)
		}
		rows.Close()
	}
	if o.unit != "" {
		codes = []string{o.unit}
	}
	if len(codes) == 0 {
		return nil, fmt.Errorf("no known reporting unit for %d: name one with --unit", o.year)
	}
	sort.Strings(codes)
	out := make([]reports.TemplateUnit, len(codes))
	for i, c := range codes {
		out[i] = reports.TemplateUnit{Code: c, Name: names[c]}
	}
	return out, nil
}
