package main

import "github.com/spf13/cobra"

func newReportCmd(e *env) *cobra.Command { return &cobra.Command{Use: "report"} }
func newRunCmd(e *env) *cobra.Command    { return &cobra.Command{Use: "run"} }
