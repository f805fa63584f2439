package main

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"orgqa/internal/warehouse"
)

type filesOptions struct {
	year int
	all  bool
}

func newFilesCmd(e *env) *cobra.Command {
	o := &filesOptions{}
	cmd := &cobra.Command{
		Use:   "files",
		Short: "List the reports ingest has seen: outcome, unit, year, rows, when",
		Long: `files lists the load manifest: every report ingest has seen, whether it was
loaded, replaced by a newer report of the same unit and year, or failed, with
its rows read, accepted and rejected. Replaced reports are shown with --all.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withReadOnly(cmd.Context(), func(w *warehouse.Warehouse) error { return filesRun(w.DB, e, o) })
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "only this report year")
	cmd.Flags().BoolVar(&o.all, "all", false, "include reports replaced by newer ones")
	return cmd
}

func filesRun(db *sql.DB, e *env, o *filesOptions) error {
	rows, err := db.Query(`SELECT load_id, outcome, coalesce(reporting_unit, ''), coalesce(report_year, 0), rows_read, rows_accepted,
			rows_rejected, strftime(finished_at, '%Y-%m-%d %H:%M'), coalesce(strftime(last_seen_at, '%Y-%m-%d %H:%M'), ''),
			source_path, left(sha256, 12), coalesce(message, '')
		FROM load_manifest
		WHERE (? = 0 OR report_year = ?) AND (? OR outcome <> 'replaced')
		ORDER BY report_year, reporting_unit, load_id`, o.year, o.year, o.all)
	if err != nil {
		return fmt.Errorf("files: %w", err)
	}
	defer rows.Close()
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "LOAD\tOUTCOME\tUNIT\tYEAR\tREAD\tACCEPTED\tREJECTED\tLOADED (UTC)\tLAST SEEN (UTC)\tFILE\tSHA256\tMESSAGE")
	n := 0
	for rows.Next() {
		var id, year, read, acc, rej int64
		var outcome, unit, loaded, seen, path, sha, msg string
		if err := rows.Scan(&id, &outcome, &unit, &year, &read, &acc, &rej, &loaded, &seen, &path, &sha, &msg); err != nil {
			return err
		}
		y := ""
		if year > 0 {
			y = fmt.Sprint(year)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", id, outcome, unit, y, read, acc, rej, loaded, seen,
			filepath.Base(path), sha, msg)
		n++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(e.stderr, "no reports in the manifest")
	}
	return nil
}
