package main

import (
	"context"
	"fmt"
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
	// members per cell, overriding the scale's: files grow while the number of
	// units stays, for measuring memory against file size
	membersPerCell int
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
	cmd.Flags().IntVar(&o.membersPerCell, "members-per-cell", 0, "override the scale's mean members per cell (bigger files, same units)")
	return cmd
}

func genRun(_ context.Context, e *env, o *genOptions) error {
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
	if o.membersPerCell < 0 || o.membersPerCell > 5000 {
		return usageError{fmt.Errorf("--members-per-cell %d: out of range", o.membersPerCell)}
	}
	if o.membersPerCell > 0 {
		scale.MembersPerCell = o.membersPerCell
	}
	cfg := gen.Config{Scale: scale, Year: o.year, Seed: o.seed}
	members := 0
	if err := gen.WriteSet(cfg, o.output, o.format, func(r *gen.Report) { members += len(r.Members) }); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	e.log.Info("generated", "scale", scale.Name, "year", o.year, "units", scale.Units, "members", members, "format", o.format, "output", o.output)
	return nil
}
