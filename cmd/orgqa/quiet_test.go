package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"orgqa/internal/warehouse"
)

// A night with nothing new is decided from the live warehouse opened
// read-only and recorded in it in place (issue 18): the file is not copied.
// These tests tell the two ways apart by the live file's identity: the usual
// way renames a working copy over it (a new inode), the quiet way writes the
// same file.

// sameFile says whether path is still the file fi was taken from.
func sameFile(t *testing.T, fi os.FileInfo, path string) bool {
	t.Helper()
	now, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return os.SameFile(fi, now)
}

func statOf(t *testing.T, path string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

// lastRun is the newest run's record, without what differs between two
// equal nights (its number, times, process and the steps' seconds).
func lastRun(t *testing.T, wh string) string {
	t.Helper()
	db, done := openBriefly(t, wh)
	defer done()
	return strings.Join(queryRows(t, db, `SELECT * EXCLUDE (run_id, started_at, finished_at, pid, steps),
		list_transform(from_json(steps, '[{"name": "VARCHAR", "outcome": "VARCHAR", "figures": "JSON"}]'), s -> s.name || ' ' || s.outcome || ' ' || s.figures::VARCHAR)
		FROM runs ORDER BY run_id DESC LIMIT 1`), "\n")
}

func TestNightWithNothingNewIsDecidedReadOnly(t *testing.T) {
	n := nightlySetup(t)
	dir, out, wh := n.fromBase(t)
	in := filepath.Join(dir, "in")
	if err := copyTree(n.in1, in); err != nil {
		t.Fatal(err)
	}
	// a file of no report format, recorded as ignored on the first night, does
	// not keep the later ones from being decided read-only
	if err := os.WriteFile(filepath.Join(in, "cong-van.docx"), []byte("PK not a report"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ORGQA_NOW", "2026-12-03T01:30:00+07:00")
	args := []string{"run", "--input", in, "--output", out, "--warehouse", wh}
	// the first night here hashes the copied files again (their times are new)
	if code, _, stderr := runCLI(t, args...); code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	before := nightState(t, out, wh)

	// 1. nothing new: the live file is written in place, the run recorded as
	// the usual way records it, and every report's last_seen_at is tonight's
	fi := statOf(t, wh)
	t.Setenv("ORGQA_NOW", "2026-12-04T01:30:00+07:00")
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK || !strings.Contains(stdout, "Nothing changed") || !strings.Contains(stderr, "decided_read_only=true") {
		t.Fatalf("a night with nothing new: exit %d\n%s\n%s", code, stdout, stderr)
	}
	if !sameFile(t, fi, wh) {
		t.Error("a night with nothing new replaced the live warehouse (copied it)")
	}
	if _, err := os.Stat(warehouse.WorkPath(wh)); !os.IsNotExist(err) {
		t.Errorf("a working copy was made: %v", err)
	}
	if _, err := os.Stat(wh + ".wal"); !os.IsNotExist(err) {
		t.Errorf("the in-place record left a write-ahead log: %v", err)
	}
	quiet := lastRun(t, wh)
	if !strings.Contains(quiet, "no_change") {
		t.Fatalf("last run: %s", quiet)
	}
	db, done := openBriefly(t, wh)
	if got := rowsText(t, db, "", `SELECT count(*) FILTER (WHERE last_seen_at = TIMESTAMP '2026-12-03 18:30:00') || '/' || count(*)
		FROM load_manifest WHERE outcome = 'loaded'`); got[0] != "2/2" {
		t.Errorf("reports seen tonight (last_seen_at) / loaded: %s, want 2/2", got[0])
	}
	if got := rowsText(t, db, "", `SELECT count(*) FROM load_manifest, unnest(files) AS f(name) WHERE name LIKE '''%'`); got[0] != "0" {
		t.Errorf("%s file names kept with quotes", got[0])
	}
	done()
	// everything a reader sees but the history is as before
	if got := nightState(t, out, wh); got != before {
		t.Errorf("a night with nothing new changed the warehouse or the outputs: %s", firstDiff(before, got))
	}

	// the same for orgqa ingest alone
	fi = statOf(t, wh)
	code, _, stderr = runCLI(t, "ingest", "--input", in, "--warehouse", wh)
	if code != exitOK || !strings.Contains(stderr, "decided_read_only=true") || !sameFile(t, fi, wh) {
		t.Fatalf("an ingest with nothing new was not decided read-only: exit %d\n%s", code, stderr)
	}
	if got := outcomes(t, wh); !strings.HasSuffix(got, "run:no_change ingest:succeeded") {
		t.Errorf("history %q, want it to end with the night and the ingest", got)
	}

	// 2. a reader holds the live file: DuckDB lets no writer in beside it, so
	// the night goes the usual way (a working copy), and records the same run
	release := filepath.Join(t.TempDir(), "release")
	reader := start(t, "hold:readonly.open:"+release, "query", "--warehouse", wh, "SELECT count(*) FROM runs")
	waitFor(t, release+".held")
	fi = statOf(t, wh)
	code, _, stderr = runCLI(t, args...)
	os.WriteFile(release, nil, 0o644)
	if c := reader.wait(t); c != exitOK {
		t.Errorf("the reader: exit %d\n%s", c, reader.stderr.String())
	}
	if code != exitOK || strings.Contains(stderr, "decided_read_only") || !strings.Contains(stderr, "open elsewhere (a reader)") {
		t.Fatalf("a night beside a reader: exit %d, want it said the reader holds the file\n%s", code, stderr)
	}
	if sameFile(t, fi, wh) {
		t.Error("beside a reader, the live file was written in place")
	}
	if usual := lastRun(t, wh); usual != quiet {
		t.Errorf("the usual way records the night otherwise:\nread-only: %s\nusual:     %s", quiet, usual)
	}

	// 3. a file touched (same content, new time): the usual way, which
	// records the new time; the night after is quiet again
	books, _ := filepath.Glob(filepath.Join(in, "*.xlsx"))
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(books[0], later, later); err != nil {
		t.Fatal(err)
	}
	fi = statOf(t, wh)
	if code, _, stderr := runCLI(t, args...); code != exitOK || strings.Contains(stderr, "decided_read_only") {
		t.Fatalf("after a touch: exit %d\n%s", code, stderr)
	}
	if sameFile(t, fi, wh) {
		t.Error("a file with a new time was decided read-only")
	}
	db, done = openBriefly(t, wh)
	if got := rowsText(t, db, "", `SELECT mod_ns FROM file_stats WHERE path = ?`, books[0]); len(got) != 1 || got[0] != fmt.Sprint(later.UnixNano()) {
		t.Errorf("file_stats after the touch: %v, want %d", got, later.UnixNano())
	}
	done()
	fi = statOf(t, wh)
	if code, _, stderr := runCLI(t, args...); code != exitOK || !strings.Contains(stderr, "decided_read_only=true") || !sameFile(t, fi, wh) {
		t.Fatalf("the night after the touch was not decided read-only: exit %d\n%s", code, stderr)
	}

	// 4. a warehouse an older orgqa wrote (file names with quotes): the usual
	// way, which mends it
	quoteFileNames(t, wh)
	fi = statOf(t, wh)
	if code, _, stderr := runCLI(t, args...); code != exitOK || strings.Contains(stderr, "decided_read_only") || sameFile(t, fi, wh) {
		t.Fatalf("an older warehouse was decided read-only: exit %d\n%s", code, stderr)
	}
	db, done = openBriefly(t, wh)
	if got := rowsText(t, db, "", `SELECT count(*) FROM load_manifest, unnest(files) AS f(name) WHERE name LIKE '''%'`); got[0] != "0" {
		t.Errorf("%s file names still quoted after the usual night", got[0])
	}
	done()
	if got := nightState(t, out, wh); got != before {
		t.Errorf("the nights after changed the warehouse or the outputs: %s", firstDiff(before, got))
	}
}

// TestReaderWaitsForTheInPlaceRecord: a reader opening the live file while a
// quiet night writes its record waits, then sees the record.
func TestReaderWaitsForTheInPlaceRecord(t *testing.T) {
	n := nightlySetup(t)
	_, out, wh := n.fromBase(t)
	args := []string{"run", "--input", n.in1, "--output", out, "--warehouse", wh}
	if p := start(t, "", args...); p.wait(t) != exitOK { // file_stats for in1's paths
		t.Fatalf("night: %s", p.stderr.String())
	}
	release := filepath.Join(t.TempDir(), "release")
	writer := start(t, "hold:commit:"+release, args...)
	waitFor(t, release+".held")
	go func() {
		time.Sleep(500 * time.Millisecond)
		os.WriteFile(release, nil, 0o644)
	}()
	code, stdout, stderr := runCLI(t, "query", "--warehouse", wh, "SELECT outcome FROM runs ORDER BY run_id DESC LIMIT 1")
	if c := writer.wait(t); c != exitOK || !strings.Contains(writer.stderr.String(), "decided_read_only=true") {
		t.Fatalf("the quiet night: exit %d\n%s", c, writer.stderr.String())
	}
	if code != exitOK || !strings.Contains(stdout, "no_change") {
		t.Errorf("the reader: exit %d, %q\n%s", code, stdout, stderr)
	}
}

// TestKilledQuietNight: killed while it writes its record in place, or just
// after, the live warehouse stays whole and the next night records it.
func TestKilledQuietNight(t *testing.T) {
	n := nightlySetup(t)
	for _, pt := range []struct{ fault, history string }{
		{"crash:commit", "run:interrupted run:no_change"},
		// its run was recorded before the kill
		{"crash:committed", "run:no_change run:no_change"},
	} {
		t.Run(pt.fault, func(t *testing.T) {
			_, out, wh := n.fromBase(t)
			args := []string{"run", "--input", n.in1, "--output", out, "--warehouse", wh}
			if p := start(t, "", args...); p.wait(t) != exitOK {
				t.Fatalf("night: %s", p.stderr.String())
			}
			want, history := state(t, out, wh), outcomes(t, wh)
			p := start(t, pt.fault, args...)
			if code := p.wait(t); code != -1 || !strings.Contains(p.stderr.String(), "decided_read_only=true") {
				t.Fatalf("not killed in a quiet night at %s: exit %d\n%s", pt.fault, code, p.stderr.String())
			}
			p = start(t, "", args...)
			if code := p.wait(t); code != exitOK {
				t.Fatalf("the night after: exit %d\n%s", code, p.stderr.String())
			}
			if got := outcomes(t, wh); got != history+" "+pt.history {
				t.Errorf("history %q, want %q", got, history+" "+pt.history)
			}
			if got := state(t, out, wh); got != want {
				t.Errorf("after a kill at %s: %s", pt.fault, firstDiff(want, got))
			}
		})
	}
}

// quoteFileNames makes wh a warehouse as an orgqa before 2026-12-05 left it:
// every report's file names kept with the quotes of the list literal they
// were passed as, which EnsureSchema mends.
func quoteFileNames(t *testing.T, wh string) {
	t.Helper()
	w, err := warehouse.Open(t.Context(), wh, warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`UPDATE load_manifest SET files = list_transform(files, x -> '''' || replace(x, '''', '''''') || '''')`); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(t.Context(), true); err != nil {
		t.Fatal(err)
	}
}

// nightState is state but for what every night changes: when the reports
// were last seen, and the files' times.
func nightState(t *testing.T, out, wh string) string {
	return stateOf(t, out, wh, map[string]string{
		"load_manifest": `SELECT * EXCLUDE (last_seen_at) FROM load_manifest ORDER BY ALL`,
		"file_stats":    `SELECT path, size, sha256 FROM file_stats ORDER BY ALL`,
	})
}

// waitFor waits until path exists (a process held at a fault point).
func waitFor(t *testing.T, path string) {
	t.Helper()
	for i := 0; i < 600; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
}
