package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"orgqa/internal/gen"
	"orgqa/internal/history"
	"orgqa/internal/runlock"
	"orgqa/internal/smtptest"
)

// jsonLogs parses stderr written with --log-format json: every line must be a
// JSON object; it returns them.
func jsonLogs(t *testing.T, stderr string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(stderr))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "orgqa: ") { // Main's last word, for a person
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("not a JSON log line: %q (%v)", line, err)
		}
		out = append(out, m)
	}
	return out
}

func stepLine(logs []map[string]any, step string) map[string]any {
	for _, l := range logs {
		if l["step"] == step {
			return l
		}
	}
	return nil
}

// TestNightsOnlyWhatChanged: a night with nothing new ingests nothing, keeps
// the outputs and says so; new reports from one unit rebuild once; --force
// rebuilds everything; each run is in history, in the JSON summaries and in
// one JSON log line per step.
func TestNightsOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	reps := writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 43})
	run := func(args ...string) (int, string, []map[string]any) {
		t.Helper()
		code, stdout, stderr := runCLI(t, append([]string{"run", "--log-format", "json", "--input", in, "--output", out, "--warehouse", wh}, args...)...)
		return code, stdout, jsonLogs(t, stderr)
	}
	if code, _, logs := run(); code != exitOK || stepLine(logs, "transform") == nil {
		t.Fatalf("first night: exit %d\n%v", code, logs)
	}
	book, err := os.ReadFile(workbookPath(out, 2025))
	if err != nil {
		t.Fatal(err)
	}

	// night 2: nothing new
	code, stdout, logs := run()
	ing := stepLine(logs, "ingest")
	if code != exitOK || ing == nil || ing["loaded"] != 0.0 || ing["skipped"] != 3.0 || !strings.Contains(stdout, "Nothing changed since run 1") {
		t.Fatalf("night with nothing new: exit %d, ingest %v\n%s", code, ing, stdout)
	}
	if tr := stepLine(logs, "transform"); tr == nil || tr["msg"] != "step skipped" {
		t.Errorf("transform on a night with nothing new: %v", tr)
	}
	if again, _ := os.ReadFile(workbookPath(out, 2025)); string(again) != string(book) {
		t.Error("the workbook changed on a night with nothing new")
	}

	// night 3: one unit sends a corrected report
	reps[0].Members[0].Name = "Trần Văn Sửa"
	os.Remove(filepath.Join(in, reps[0].FileName()))
	if _, err := reps[0].WriteXLSX(in); err != nil {
		t.Fatal(err)
	}
	code, _, logs = run()
	if ing := stepLine(logs, "ingest"); code != exitOK || ing["loaded"] != 1.0 || ing["skipped"] != 2.0 {
		t.Fatalf("night with one new report: exit %d, ingest %v", code, ing)
	}
	var transforms int
	for _, l := range logs {
		if l["step"] == "transform" && l["msg"] == "step done" {
			transforms++
		}
	}
	if transforms != 1 || stepLine(logs, "publish") == nil {
		t.Errorf("one new report: %d transforms, publish %v; want one of each", transforms, stepLine(logs, "publish"))
	}

	// night 4: --force reloads all three and rebuilds
	if code, _, logs = run("--force"); code != exitOK || stepLine(logs, "ingest")["loaded"] != 3.0 || stepLine(logs, "publish") == nil {
		t.Fatalf("--force: exit %d\n%v", code, logs)
	}

	code, stdout, stderr := runCLI(t, "history", "--warehouse", wh)
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if code != exitOK || len(lines) != 5 {
		t.Fatalf("history: exit %d\n%s%s", code, stdout, stderr)
	}
	for i, want := range []string{"succeeded", "no_change", "succeeded", "succeeded"} {
		if f := strings.Fields(lines[len(lines)-1-i]); f[0] != fmt.Sprint(i+1) || f[5] != want {
			t.Errorf("history line of run %d: %q, want outcome %s", i+1, lines[len(lines)-1-i], want)
		}
	}
	if !strings.Contains(lines[1], "forced") {
		t.Errorf("the forced run is not marked: %q", lines[1])
	}
	// the JSON summaries: one per run, latest.json the last
	sums, _ := filepath.Glob(filepath.Join(out, "runs", "*_r*.json"))
	sort.Strings(sums)
	var last history.Run
	b, _ := os.ReadFile(filepath.Join(out, "runs", "latest.json"))
	if err := json.Unmarshal(b, &last); err != nil || len(sums) != 4 || last.ID != 4 || !last.Forced || last.Files.Loaded != 3 {
		t.Errorf("summaries %v; latest %+v (%v)", sums, last, err)
	}
	// four runs published three dated folders; latest is the last
	folders, _ := filepath.Glob(filepath.Join(out, "excel", "*_r*"))
	if target, _ := os.Readlink(filepath.Join(out, "excel", "latest")); len(folders) != 3 || !strings.HasSuffix(target, "_r4") {
		t.Errorf("dated folders %v, latest -> %s", folders, target)
	}
	code, stdout, _ = runCLI(t, "status", "--warehouse", wh, "--output", out)
	if code != exitOK || !strings.Contains(stdout, "In progress: none") || !strings.Contains(stdout, "Last run:    4 (orgqa run) succeeded") ||
		!strings.Contains(stdout, "Published:   year 2025 by run 4") {
		t.Errorf("status:\n%s", stdout)
	}
}

// TestRetentionSetting: with keep_runs 2 in the config, older dated folders go.
func TestRetentionSetting(t *testing.T) {
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "csv", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 44})
	cfg := writeConfig(t, dir, `"delivery": {"keep_runs": 2, "keep_summaries": 3}`)
	for i := 0; i < 4; i++ {
		if code, _, stderr := runCLI(t, "run", "--force", "--config", cfg, "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
			t.Fatalf("run %d: exit %d\n%s", i+1, code, stderr)
		}
	}
	folders, _ := filepath.Glob(filepath.Join(out, "excel", "*_r*"))
	sums, _ := filepath.Glob(filepath.Join(out, "runs", "*_r*.json"))
	if len(folders) != 2 || !strings.HasSuffix(folders[1], "_r4") || len(sums) != 3 {
		t.Errorf("kept folders %v and summaries %v; want runs 3-4 and three summaries", folders, sums)
	}
}

// writeConfig writes the embedded rules plus extra top-level sections.
func writeConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	rules, err := os.ReadFile(filepath.Join("..", "..", "transform", "rules.json"))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(rules))
	s = strings.TrimSuffix(s, "}") + ",\n" + extra + "\n}\n"
	path := filepath.Join(dir, "orgqa.json")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRunEmailsTheWorkbook: with an email section, the run sends the province
// workbook to every recipient over STARTTLS with authentication; with the
// server down or refusing, the run still succeeds and records the failed delivery.
func TestRunEmailsTheWorkbook(t *testing.T) {
	srv := smtptest.Start(t, "orgqa", "s3cret")
	t.Setenv("ORGQA_SMTP_PASSWORD", "s3cret")
	emailCfg := func(port int) string {
		return fmt.Sprintf(`"email": {"host": "127.0.0.1", "port": %d, "username": "orgqa", "password_env": "ORGQA_SMTP_PASSWORD",
			"from": "orgqa@btctu.test", "to": ["lanh.dao@btctu.test", "van.phong@btctu.test"], "ca_file": %q, "timeout_seconds": 5}`, port, srv.CAFile)
	}
	dir := t.TempDir()
	in, out, wh := filepath.Join(dir, "in"), filepath.Join(dir, "out"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "xlsx", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 45})

	cfg := writeConfig(t, dir, emailCfg(srv.Port))
	if code, _, stderr := runCLI(t, "run", "--config", cfg, "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	msgs := srv.Messages()
	book, _ := os.ReadFile(workbookPath(out, 2025))
	if len(msgs) != 1 || len(msgs[0].To) != 2 || !strings.Contains(string(msgs[0].Data), `filename="tong-hop-tccs-2025.xlsx"`) || len(book) == 0 {
		t.Fatalf("messages %d, want one to two recipients with the workbook", len(msgs))
	}
	// nothing new: no second email
	if code, _, _ := runCLI(t, "run", "--config", cfg, "--input", in, "--output", out, "--warehouse", wh); code != exitOK || len(srv.Messages()) != 1 {
		t.Errorf("a night with nothing new sent email again (exit %d, %d messages)", code, len(srv.Messages()))
	}

	// the server refuses the recipients, then it is down: the run succeeds, the failure is recorded
	srv.RefuseRecipients = true
	code, _, stderr := runCLI(t, "run", "--force", "--config", cfg, "--input", in, "--output", out, "--warehouse", wh)
	if code != exitOK || !strings.Contains(stderr, "email not delivered") {
		t.Errorf("refused: exit %d\n%s", code, stderr)
	}
	down := writeConfig(t, t.TempDir(), emailCfg(smtptest.ClosedPort(t)))
	if code, _, stderr := runCLI(t, "run", "--force", "--config", down, "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Errorf("server down: exit %d\n%s", code, stderr)
	}
	db := openWarehouse(t, wh)
	got := queryRows(t, db, `SELECT run_id, outcome, coalesce(deliveries, '') FROM runs ORDER BY run_id`)
	want := []string{`1	succeeded	[{"kind":"email"`, "2	no_change	", `3	succeeded	[{"kind":"email"`, `4	succeeded	[{"kind":"email"`}
	detail := []string{`"ok":true`, "", `mailbox unavailable`, `connection refused`}
	if len(got) != 4 {
		t.Fatalf("runs %v", got)
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w) || !strings.Contains(got[i], detail[i]) || i != 0 && strings.Contains(got[i], `"ok":true`) {
			t.Errorf("run %d: %s; want %q with %q", i+1, got[i], w, detail[i])
		}
	}
	code, stdout, _ := runCLI(t, "history", "--warehouse", wh)
	if code != exitOK || !strings.Contains(stdout, "email NOT sent") || !strings.Contains(stdout, "email sent to 2") {
		t.Errorf("history does not show the deliveries:\n%s", stdout)
	}
	if strings.Contains(strings.Join(got, " "), "s3cret") {
		t.Error("the password was recorded")
	}
}

// TestLockedExitCode: a writer finding the lock held exits 4 at once and
// names the holder; read-only commands still work.
func TestLockedExitCode(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	writeReports(t, in, "csv", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 46})
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	hold := holdLock(t, wh)
	for _, args := range [][]string{{"run", "--input", in, "--output", filepath.Join(dir, "out")}, {"ingest", "--input", in}, {"transform"}, {"report", "--output", filepath.Join(dir, "out")}} {
		code, _, stderr := runCLI(t, append(args, "--warehouse", wh)...)
		if code != exitLocked || !strings.Contains(stderr, fmt.Sprintf("pid %d", os.Getpid())) {
			t.Errorf("orgqa %s while locked: exit %d, want %d naming the holder\n%s", args[0], code, exitLocked, stderr)
		}
	}
	for _, args := range [][]string{{"files"}, {"history"}, {"status"}, {"query", "SELECT 1"}} {
		if code, _, stderr := runCLI(t, append(args, "--warehouse", wh)...); code != exitOK {
			t.Errorf("orgqa %s while locked: exit %d\n%s", args[0], code, stderr)
		}
	}
	hold()
	if code, _, stderr := runCLI(t, "transform", "--warehouse", wh); code != exitOK {
		t.Errorf("transform after the lock was released: exit %d\n%s", code, stderr)
	}
}

// holdLock takes the warehouse's run lock as another run would; the returned
// function releases it.
func holdLock(t *testing.T, wh string) func() {
	t.Helper()
	l, _, err := runlock.Acquire(runlock.Path(wh), runlock.Holder{PID: os.Getpid(), Host: "test", Command: "run", Started: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Release() })
	return func() { l.Release() }
}

// TestUnchangedFilesAreNotReadAgain: a file whose size and modification time
// are those of its last load is taken as unchanged and not hashed again — so
// an edit that keeps both (rare: a tool restoring the time) is not seen until
// --force, which hashes every file; an ordinary edit changes the time and is
// loaded.
func TestUnchangedFilesAreNotReadAgain(t *testing.T) {
	dir := t.TempDir()
	in, wh := filepath.Join(dir, "in"), filepath.Join(dir, "w.duckdb")
	reps := writeReports(t, in, "csv", gen.Config{Scale: gen.Scales["small"], Year: 2025, Seed: 47})
	if code, _, stderr := runCLI(t, "ingest", "--input", in, "--warehouse", wh); code != exitOK {
		t.Fatalf("ingest: exit %d\n%s", code, stderr)
	}
	// one letter's number changed, same length, the file's time put back
	path := filepath.Join(in, reps[0].UnitCode+"_2025_GioiThieu.csv")
	fi, _ := os.Stat(path)
	b, _ := os.ReadFile(path)
	i := strings.Index(string(b), "/GGT-ĐU")
	if i < 1 {
		t.Fatal("no letter number to change")
	}
	digit := b[i-1]
	b[i-1] = '0' + (digit-'0'+1)%10
	os.WriteFile(path, b, 0o644)
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	outcomes := func(args ...string) string {
		t.Helper()
		code, _, stderr := runCLI(t, append([]string{"ingest", "--input", in, "--warehouse", wh}, args...)...)
		if code != exitOK {
			t.Fatalf("ingest %v: exit %d\n%s", args, code, stderr)
		}
		return strings.Join(rowsText(t, openWarehouse(t, wh), "", `SELECT outcome FROM load_manifest WHERE reporting_unit = ? ORDER BY load_id`, reps[0].UnitCode), " ")
	}
	if got := outcomes(); got != "loaded" {
		t.Errorf("same size and time: %q, want the report left as it was (not read again)", got)
	}
	if got := outcomes("--force"); got != "replaced loaded" {
		t.Errorf("--force: %q, want the edited report loaded", got)
	}
	// an ordinary edit (another number) moves the time: loaded without --force
	b[i-1] = '0' + (digit-'0'+2)%10
	os.WriteFile(path, b, 0o644)
	os.Chtimes(path, fi.ModTime().Add(time.Minute), fi.ModTime().Add(time.Minute))
	if got := outcomes(); got != "replaced replaced loaded" {
		t.Errorf("an ordinary edit: %q", got)
	}
}
