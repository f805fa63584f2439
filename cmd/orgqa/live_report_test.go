package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"orgqa/internal/gen"
	"orgqa/internal/warehouse"
)

// orgqa report writes nothing into the warehouse but its run's record, so it
// reads the live file read-only and records the run in place (issue 18): a
// national warehouse (1,5 GB) is not copied for it, nor synced again. As in
// quiet_test.go, the two ways are told apart by the live file's identity: a
// working copy is renamed over it (a new inode).

func TestReportReadsTheLiveFile(t *testing.T) {
	n := nightlySetup(t)
	_, out, wh := n.fromBase(t)
	report := []string{"report", "--output", out, "--warehouse", wh}
	before, history := state(t, out, wh), outcomes(t, wh)

	// 1. the report on the live file: the same outputs as the night's (the
	// same clock), the warehouse unchanged but for the run's row
	fi := statOf(t, wh)
	p := start(t, "", report...)
	if code := p.wait(t); code != exitOK || !strings.Contains(p.stderr.String(), "read_only=true") {
		t.Fatalf("orgqa report: exit %d, want it read the live file read-only\n%s", code, p.stderr.String())
	}
	if !sameFile(t, fi, wh) {
		t.Error("orgqa report replaced the live warehouse (a working copy)")
	}
	for _, left := range []string{warehouse.WorkPath(wh), warehouse.WorkPath(wh) + ".tmp", wh + ".wal", wh + ".tmp"} {
		if _, err := os.Stat(left); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", left, err)
		}
	}
	history += " report:succeeded"
	if got := outcomes(t, wh); got != history {
		t.Errorf("history %q, want %q", got, history)
	}
	if got := state(t, out, wh); got != before {
		t.Errorf("orgqa report changed the warehouse or wrote other outputs: %s", firstDiff(before, got))
	}
	db, done := openBriefly(t, wh)
	rec := rowsText(t, db, "", `SELECT run_id || ' ' || published || ' ' || year FROM runs ORDER BY run_id DESC LIMIT 1`)
	done()
	latest, err := os.Readlink(filepath.Join(out, "excel", "latest"))
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(rec[0]); len(f) != 3 || f[1] != filepath.Base(latest) || !strings.HasSuffix(f[1], "_r"+f[0]) || f[2] != "2025" {
		t.Errorf("the report's record %q, want its run number, the folder latest/ points at (%s) and 2025", rec[0], latest)
	}

	// 2. a reader holds the live file all through: the report reads beside
	// it, and records its run through a working copy (DuckDB lets no writer
	// in beside a reader)
	release := filepath.Join(t.TempDir(), "release")
	reader := start(t, "hold:readonly.open:"+release, "query", "--warehouse", wh, "SELECT count(*) FROM runs")
	waitFor(t, release+".held")
	fi = statOf(t, wh)
	p = start(t, "", report...)
	code := p.wait(t)
	os.WriteFile(release, nil, 0o644)
	if c := reader.wait(t); c != exitOK {
		t.Errorf("the reader: exit %d\n%s", c, reader.stderr.String())
	}
	if stderr := p.stderr.String(); code != exitOK || !strings.Contains(stderr, "read_only=true") || !strings.Contains(stderr, "recorded through a working copy") {
		t.Fatalf("a report beside a reader: exit %d, want it read read-only and record through a working copy\n%s", code, stderr)
	}
	if sameFile(t, fi, wh) {
		t.Error("beside a reader, the report's run was written in place")
	}
	history += " report:succeeded"
	if got := outcomes(t, wh); got != history {
		t.Errorf("history %q, want %q", got, history)
	}
	if got := state(t, out, wh); got != before {
		t.Errorf("the report beside a reader: %s", firstDiff(before, got))
	}

	// 3. a year no report backs: refused, and the refusal recorded in place
	fi = statOf(t, wh)
	p = start(t, "", "report", "--output", out, "--warehouse", wh, "--year", "2019")
	if code := p.wait(t); code != exitUsage || !strings.Contains(p.stderr.String(), "read_only=true") || !sameFile(t, fi, wh) {
		t.Fatalf("a report of 2019: exit %d, want %d, decided on the live file\n%s", code, exitUsage, p.stderr.String())
	}
	history += " report:failed"
	if got := outcomes(t, wh); got != history {
		t.Errorf("history %q, want %q", got, history)
	}

	// 4. killed while it records its run, or just after: the live file stays
	// whole, and the next run records the killed one (or finds it recorded)
	for _, pt := range []struct{ fault, then string }{
		{"crash:commit", " report:interrupted report:succeeded"},
		{"crash:committed", " report:succeeded report:succeeded"},
	} {
		p = start(t, pt.fault, report...)
		if code := p.wait(t); code != -1 || !strings.Contains(p.stderr.String(), "read_only=true") {
			t.Fatalf("not killed at %s in a report on the live file: exit %d\n%s", pt.fault, code, p.stderr.String())
		}
		p = start(t, "", report...)
		if code := p.wait(t); code != exitOK {
			t.Fatalf("the report after a kill at %s: exit %d\n%s", pt.fault, code, p.stderr.String())
		}
		history += pt.then
		if got := outcomes(t, wh); got != history {
			t.Errorf("after a kill at %s: history %q, want %q", pt.fault, got, history)
		}
		if got := state(t, out, wh); got != before {
			t.Errorf("after a kill at %s: %s", pt.fault, firstDiff(before, got))
		}
	}

	// 5. a warehouse an older orgqa wrote (file names with quotes): the usual
	// way, whose working copy mends it
	quoteFileNames(t, wh)
	fi = statOf(t, wh)
	p = start(t, "", report...)
	if code := p.wait(t); code != exitOK || strings.Contains(p.stderr.String(), "read_only") || sameFile(t, fi, wh) {
		t.Fatalf("a report on an older warehouse read it read-only: exit %d\n%s", code, p.stderr.String())
	}
	if got := state(t, out, wh); got != before {
		t.Errorf("the report on an older warehouse: %s", firstDiff(before, got))
	}
}

// TestReportOnTheLiveFileOfLibreOfficeReports: from an inbox with a report
// LibreOffice saved (title rows, a blank row above each header, a Tổng cộng
// row), the report on the live file writes what the night wrote.
func TestReportOnTheLiveFileOfLibreOfficeReports(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 8})
	sendLibreOfficeReport(t, in)
	t.Setenv("ORGQA_NOW", fixedNow) // the outputs show the clock: the same for both
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK && code != exitRejected {
		t.Fatalf("the night: exit %d\n%s", code, stderr)
	}
	checkLibreOfficeRead(t, wh)
	before := state(t, out, wh)
	fi := statOf(t, wh)
	code, _, stderr := runCLI(t, "report", "--output", out, "--warehouse", wh)
	if code != exitOK || !strings.Contains(stderr, "read_only=true") || !sameFile(t, fi, wh) {
		t.Fatalf("orgqa report: exit %d, want it on the live file read-only\n%s", code, stderr)
	}
	if got := state(t, out, wh); got != before {
		t.Errorf("the report on the live file wrote otherwise than the night: %s", firstDiff(before, got))
	}
}
