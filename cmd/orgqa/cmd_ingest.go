package main

import (
	"github.com/spf13/cobra"
)

func newIngestCmd(e *env) *cobra.Command {
	var input string
	var force bool
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Load every workbook and CSV set in a folder into the warehouse",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := e.night()
			if err != nil {
				return err
			}
			return n.Ingest(cmd.Context(), input, force)
		},
	}
	cmd.Flags().StringVar(&input, "input", "input", "folder holding the reporting units' files")
	cmd.Flags().BoolVar(&force, "force", false, "reload every report, also those loaded before with the same content")
	return cmd
}
