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
loaded, replaced by a newer report of the same unit and year, superseded by a
report of the unit prepared later (both in the inbox), withdrawn by the
operator, failed or ignored (not a report), with its rows read, accepted and
rejected. Replaced reports are shown with --all. files withdraw and files
restore are the operator's controls.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withReadOnly(cmd.Context(), func(w *warehouse.Warehouse) error { return filesRun(w.DB, e, o) })
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "only this report year")
	cmd.Flags().BoolVar(&o.all, "all", false, "include reports replaced by newer ones")
	cmd.AddCommand(newWithdrawCmd(e), newRestoreCmd(e))
	return cmd
}

type withdrawOptions struct {
	load   int64
	file   string
	reason string
}

func newWithdrawCmd(e *env) *cobra.Command {
	o := &withdrawOptions{}
	cmd := &cobra.Command{
		Use:   "withdraw",
		Short: "Take a report out of the warehouse (a load or a file), with a reason",
		Long: `withdraw takes a loaded report out of the warehouse in one transaction: its rows
leave the tables (kept aside, so that restore can put them back), the manifest
records it as withdrawn with the reason, and the run history records the
command. The next run rebuilds the years it changed. An unchanged withdrawn
file left in the inbox is not loaded again, even with --force; a changed file
(new content) is a new report. A failed file can be withdrawn too: it is then
listed as withdrawn, not as a failure.

The case it exists for: a report loaded under the wrong unit (its code retyped,
another unit's file), a test file dropped in the inbox, a report the board
decides must not count. Name the load as orgqa files lists it, or the file.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := e.night()
			if err != nil {
				return err
			}
			m, err := n.Withdraw(cmd.Context(), o.load, o.file, o.reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Withdrew %s: %d rows out of the warehouse. The next run rebuilds the outputs of %d.\n", m, m.Accepted+m.Rejected, m.Year)
			return nil
		},
	}
	cmd.Flags().Int64Var(&o.load, "load", 0, "the load to withdraw (LOAD in orgqa files)")
	cmd.Flags().StringVar(&o.file, "file", "", "the file to withdraw (its content if it is still there, else its path)")
	cmd.Flags().StringVar(&o.reason, "reason", "", "why (required; kept in the manifest and shown on the data-quality sheet)")
	return cmd
}

func newRestoreCmd(e *env) *cobra.Command {
	o := &withdrawOptions{}
	cmd := &cobra.Command{
		Use:   "restore",
		Short: "Undo a withdrawal: the report counts again",
		Long: `restore puts a withdrawn report back exactly as it was loaded. If another report of
the same unit and year was loaded meanwhile, the restored one replaces it (as a
newer load would). A withdrawn failed file is failed again, and the next run
tries it again. The next run rebuilds the years it changed.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			n, err := e.night()
			if err != nil {
				return err
			}
			m, replaced, err := n.Restore(cmd.Context(), o.load, o.file)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "Restored load %d (unit %s, %d, %s) as %s", m.LoadID, m.Unit, m.Year, m.Path, m.Before)
			if len(replaced) > 0 {
				fmt.Fprintf(e.stdout, "; it replaces load %v, loaded meanwhile", replaced)
			}
			fmt.Fprintf(e.stdout, ". The next run rebuilds the outputs of %d.\n", m.Year)
			return nil
		},
	}
	cmd.Flags().Int64Var(&o.load, "load", 0, "the withdrawn load to restore (LOAD in orgqa files --all)")
	cmd.Flags().StringVar(&o.file, "file", "", "the withdrawn file to restore")
	return cmd
}
func filesRun(db *sql.DB, e *env, o *filesOptions) error {
	rows, err := db.Query(`SELECT load_id, outcome, coalesce(reporting_unit, ''), coalesce(report_year, 0), rows_read, rows_accepted,
			rows_rejected, strftime(finished_at, '%Y-%m-%d %H:%M'), coalesce(strftime(last_seen_at, '%Y-%m-%d %H:%M'), ''),
			source_path, left(sha256, 12),
			CASE WHEN outcome = 'withdrawn' THEN 'withdrawn: ' || withdrawn_reason || coalesce(' (was ' || outcome_before || ')', '') ELSE coalesce(message, '') END
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
