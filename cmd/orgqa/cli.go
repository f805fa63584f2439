package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"orgqa/internal/warehouse"
	orgsql "orgqa/sql"
	"orgqa/transform"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitRejected = 3 // finished, but some rows or files were rejected
)

// errRejected marks a run that finished with rejected input.
var errRejected = errors.New("some input was rejected")

type usageError struct{ error }

// env is what every command gets instead of globals.
type env struct {
	stdout, stderr io.Writer
	log            *slog.Logger
	now            func() time.Time
	models         fs.FS // the SQL models
	tests          fs.FS // the data tests (tests/ in it)
	warehousePath  string
	memoryLimit    string
	configPath     string // rules of the assessment; "" for the embedded defaults
}

// rules returns the assessment rules: --config FILE, or the embedded defaults.
func (e *env) rules() (*transform.Rules, error) {
	if e.configPath == "" {
		return transform.DefaultRules()
	}
	return transform.LoadRules(e.configPath)
}

// Main runs the orgqa command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{stdout: stdout, stderr: stderr, now: time.Now, models: orgsql.Models, tests: orgsql.Tests}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errRejected):
		fmt.Fprintln(stderr, "orgqa: finished, but", err)
		return exitRejected
	}
	fmt.Fprintln(stderr, "orgqa:", err)
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return exitUsage
	}
	return exitFailed
}

func newRootCmd(e *env) *cobra.Command {
	var logLevel string
	root := &cobra.Command{
		Use:   "orgqa",
		Short: "Grassroots party organization quality reporting: ingest, transform, report",
		Long: `orgqa loads the yearly spreadsheets of reporting units into an embedded DuckDB
warehouse, computes per-unit compliance and inspection metrics in SQL, and writes
an Excel workbook for leadership and Parquet files for analysts.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(logLevel)); err != nil {
				return usageError{fmt.Errorf("--log-level: %w", err)}
			}
			e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: lvl}))
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&e.warehousePath, "warehouse", "data/orgqa.duckdb", "the DuckDB warehouse file")
	root.PersistentFlags().StringVar(&e.memoryLimit, "memory-limit", "2GB", "DuckDB memory limit")
	root.PersistentFlags().StringVar(&e.configPath, "config", "", "rules of the assessment (JSON, see transform/rules.json); default: the embedded rules")
	root.AddCommand(newGenCmd(e), newIngestCmd(e), newTransformCmd(e), newReportCmd(e), newRunCmd(e), newQueryCmd(e), newFilesCmd(e), newModelsCmd(e))
	return root
}

func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return usageError{err}
		}
		return nil
	}
}

// withWarehouse opens the warehouse file for writing, runs fn, and closes it
// (checkpointing when asked), returning fn's error before a close error.
func (e *env) withWarehouse(ctx context.Context, checkpoint bool, fn func(*warehouse.Warehouse) error) error {
	w, err := warehouse.Open(ctx, e.warehousePath, warehouse.Options{MemoryLimit: e.memoryLimit})
	if err != nil {
		return err
	}
	err = fn(w)
	if cerr := w.Close(context.WithoutCancel(ctx), checkpoint); err == nil {
		err = cerr
	}
	return err
}
