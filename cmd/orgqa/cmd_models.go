package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"orgqa/transform"
)

func newModelsCmd(e *env) *cobra.Command {
	var dot bool
	cmd := &cobra.Command{
		Use:   "models",
		Short: "Print the SQL models in the order they run, with what each builds and reads",
		Args:  exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			models, err := transform.Load(e.models, transform.Sources())
			if err != nil {
				return err
			}
			if dot {
				printDot(e, models)
				return nil
			}
			for i, m := range models {
				fmt.Fprintf(e.stdout, "%2d. %s (%s)\n", i+1, m.Name, m.File)
				if len(m.Builds) > 1 || m.Builds[0] != m.Name {
					fmt.Fprintf(e.stdout, "      builds:  %s\n", strings.Join(m.Builds, ", "))
				}
				fmt.Fprintf(e.stdout, "      depends: %s\n", strings.Join(m.Depends, ", "))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&dot, "dot", false, "print the graph in Graphviz dot form")
	return cmd
}

// printDot writes the dependency graph: source tables as boxes, models as ellipses.
func printDot(e *env, models []transform.Model) {
	builtBy := map[string]string{}
	for _, m := range models {
		for _, b := range m.Builds {
			builtBy[b] = m.Name
		}
	}
	fmt.Fprintln(e.stdout, "digraph orgqa {\n  rankdir=LR;")
	seen := map[string]bool{}
	for _, m := range models {
		fmt.Fprintf(e.stdout, "  %q [shape=ellipse];\n", m.Name)
		for _, d := range m.Depends {
			from := d
			if b, ok := builtBy[d]; ok {
				from = b
			} else if !seen[d] {
				fmt.Fprintf(e.stdout, "  %q [shape=box];\n", d)
				seen[d] = true
			}
			if from != m.Name {
				fmt.Fprintf(e.stdout, "  %q -> %q;\n", from, m.Name)
			}
		}
	}
	fmt.Fprintln(e.stdout, "}")
}
