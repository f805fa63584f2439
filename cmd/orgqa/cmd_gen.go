package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"orgqa/internal/gen"
)

type genOptions struct {
	scale  string
	year   int
	format string
	output string
	seed   uint64
}

func newGenCmd(e *env) *cobra.Command {
	o := &genOptions{}
	cmd := &cobra.Command{
		Use:   "gen",
		Short: "Generate seeded sample input (contract v1) for demos, tests and benchmarks",
		Args:  exactArgs(0),
		RunE:  func(cmd *cobra.Command, _ []string) error { return genRun(cmd.Context(), e, o) },
	}
	var scales []string
	for s := range gen.Scales {
		scales = append(scales, s)
	}
	sort.Strings(scales)
	cmd.Flags().StringVar(&o.scale, "scale", "demo", "data set size: "+strings.Join(scales, ", "))
	cmd.Flags().IntVar(&o.year, "year", 2025, "report year")
	cmd.Flags().StringVar(&o.format, "format", "xlsx", "xlsx or csv")
	cmd.Flags().StringVar(&o.output, "output", "input", "folder to write the reports into")
	cmd.Flags().Uint64Var(&o.seed, "seed", 1, "random seed: the same seed gives the same data")
	return cmd
}

func genRun(ctx context.Context, e *env, o *genOptions) error {
	scale, ok := gen.Scales[o.scale]
	if !ok {
		return usageError{fmt.Errorf("--scale %q: want one of small, demo, province, national", o.scale)}
	}
	if o.format != "xlsx" && o.format != "csv" {
		return usageError{fmt.Errorf("--format %q: want xlsx or csv", o.format)}
	}
	if o.year < 2000 || o.year > 2100 {
		return usageError{fmt.Errorf("--year %d: out of range", o.year)}
	}
	if err := os.MkdirAll(o.output, 0o755); err != nil {
		return err
	}
	cfg := gen.Config{Scale: scale, Year: o.year, Seed: o.seed}
	members, files := 0, 0
	for i := 0; i < scale.Units; i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		rep := gen.Generate(cfg, i)
		members += len(rep.Members)
		var err error
		if o.format == "csv" {
			var paths []string
			paths, err = rep.WriteCSV(o.output)
			files += len(paths)
		} else {
			_, err = rep.WriteXLSX(o.output)
			files++
		}
		if err != nil {
			return fmt.Errorf("gen unit %s: %w", rep.UnitCode, err)
		}
	}
	e.log.Info("generated", "scale", scale.Name, "year", o.year, "units", scale.Units, "members", members, "files", files, "output", o.output)
	return nil
}
