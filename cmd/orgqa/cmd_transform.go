package main

import (
	"github.com/spf13/cobra"
)

func newTransformCmd(e *env) *cobra.Command {
	var year int
	cmd := &cobra.Command{
		Use:   "transform",
		Short: "Build the year's metrics from the loaded reports (runs the SQL models)",
		Long:  `transform builds the year's marts. A --year with no accepted report is refused (exit 2).`,
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := e.night()
			if err != nil {
				return err
			}
			return n.Transform(cmd.Context(), year)
		},
	}
	cmd.Flags().IntVar(&year, "year", 0, "report year (default: the latest year loaded)")
	return cmd
}
