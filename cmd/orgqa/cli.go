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

	"orgqa/ingest"
	"orgqa/internal/config"
	"orgqa/internal/faults"
	"orgqa/internal/night"
	"orgqa/internal/warehouse"
	orgsql "orgqa/sql"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitFailed   = 1
	exitUsage    = 2
	exitRejected = 3 // finished, but some rows or files were rejected
	exitLocked   = 4 // another run holds the warehouse's lock
)

// signalError is the cause of a context cancelled by SIGINT or SIGTERM.
type signalError struct{ sig os.Signal }

func (e signalError) Error() string { return "stopped by " + e.sig.String() }

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
	configPath     string // rules of the assessment and delivery; "" for the defaults
	cfg            *config.File
	progress       *progressBar // nil unless stderr is a terminal
}

// config returns the configuration: --config FILE, or the defaults.
func (e *env) config() (*config.File, error) {
	if e.cfg != nil {
		return e.cfg, nil
	}
	var err error
	if e.configPath == "" {
		e.cfg, err = config.Default()
	} else {
		e.cfg, err = config.Load(e.configPath)
	}
	return e.cfg, err
}

// night is the library's view of this command line: the run is the
// library's (internal/night); flags, printing and exit codes are here.
func (e *env) night() (*night.Env, error) {
	cfg, err := e.config()
	if err != nil {
		return nil, err
	}
	n := &night.Env{Log: e.log, Now: e.now, Models: e.models, Tests: e.tests, WarehousePath: e.warehousePath,
		MemoryLimit: e.memoryLimit, Config: cfg}
	if e.progress != nil {
		n.Progress, n.ProgressDone = e.progress.set, e.progress.clear
	}
	return n, nil
}

// Main runs the orgqa command line and returns the process exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// The first SIGINT/SIGTERM stops the run at its next safe point; after it the
	// default action is back, so a second one ends the process at once (which
	// the working copy of the warehouse makes safe too).
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		select {
		case sig := <-sigs:
			signal.Stop(sigs)
			fmt.Fprintf(stderr, "orgqa: %v received: stopping at the next safe point (send it again to stop at once)\n", sig)
			cancel(signalError{sig})
		case <-ctx.Done():
		}
	}()
	e := &env{stdout: stdout, stderr: stderr, now: time.Now, models: orgsql.Models, tests: orgsql.Tests}
	root := newRootCmd(e)
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if e.progress != nil {
		e.progress.clear()
	}
	var le night.LockedError
	var ye *night.YearError
	var se *ingest.SelectError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, night.ErrRejected):
		fmt.Fprintln(stderr, "orgqa: finished, but", err)
		return exitRejected
	case errors.As(err, &le):
		fmt.Fprintln(stderr, "orgqa:", err)
		return exitLocked
	case errors.As(err, &ye), errors.As(err, &se):
		fmt.Fprintln(stderr, "orgqa:", err)
		return exitUsage
	}
	if cause := context.Cause(ctx); cause != nil && errors.Is(err, context.Canceled) {
		err = fmt.Errorf("%w; %v", cause, err)
	}
	fmt.Fprintln(stderr, "orgqa:", err)
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") {
		return exitUsage
	}
	return exitFailed
}

func newRootCmd(e *env) *cobra.Command {
	var logLevel, logFormat string
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
			if err := warehouse.CheckMemoryLimit(e.memoryLimit); err != nil {
				return usageError{fmt.Errorf("--memory-limit %w", err)}
			}
			if now := os.Getenv("ORGQA_NOW"); now != "" {
				t, err := time.Parse(time.RFC3339, now)
				if err != nil {
					return usageError{fmt.Errorf("ORGQA_NOW: %w", err)}
				}
				e.now = func() time.Time { return t }
			}
			var logOut io.Writer = e.stderr
			if f, ok := e.stderr.(*os.File); ok && isTerminal(f) {
				e.progress = &progressBar{w: f}
				logOut = e.progress
			}
			opts := &slog.HandlerOptions{Level: lvl}
			switch logFormat {
			case "text":
				e.log = slog.New(slog.NewTextHandler(logOut, opts))
			case "json":
				e.log = slog.New(slog.NewJSONHandler(logOut, opts))
			default:
				return usageError{fmt.Errorf("--log-format %q: want text or json", logFormat)}
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.PersistentFlags().StringVar(&logFormat, "log-format", "text", "log format: text or json (log/slog, on stderr)")
	root.PersistentFlags().StringVar(&e.warehousePath, "warehouse", "data/orgqa.duckdb", "the DuckDB warehouse file")
	root.PersistentFlags().StringVar(&e.memoryLimit, "memory-limit", "192MB", "DuckDB memory limit (it spills to disk beyond it; the Go heap is held near 640 MB unless GOMEMLIMIT is set)")
	root.PersistentFlags().StringVar(&e.configPath, "config", "", "configuration (JSON: the rules of transform/rules.json, plus optional delivery and email sections); default: the embedded rules")
	root.AddCommand(newGenCmd(e), newIngestCmd(e), newTransformCmd(e), newReportCmd(e), newRunCmd(e), newQueryCmd(e), newFilesCmd(e), newTemplateCmd(e),
		newModelsCmd(e), newHistoryCmd(e), newStatusCmd(e))
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

// withReadOnly opens the live warehouse read-only (as it works during a run:
// writers never open it for writing, see warehouse.Begin), runs fn and closes it.
func (e *env) withReadOnly(ctx context.Context, fn func(*warehouse.Warehouse) error) error {
	if err := e.warehouseExists(); err != nil {
		return err
	}
	w, err := warehouse.Open(ctx, e.warehousePath, warehouse.Options{ReadOnly: true, MemoryLimit: e.memoryLimit})
	if err != nil {
		return err
	}
	defer w.Close(ctx, false)
	faults.Point("readonly.open") // a reader holding the file, for the tests
	return fn(w)
}

// warehouseExists says so when --warehouse names no file: a read-only command
// on a mistyped path must not report an empty warehouse as if it were real.
func (e *env) warehouseExists() error {
	if _, err := os.Stat(e.warehousePath); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("warehouse %s does not exist: check --warehouse (no run has written a warehouse there)", e.warehousePath)
	} else if err != nil {
		return fmt.Errorf("warehouse %s: %w", e.warehousePath, err)
	}
	return nil
}
