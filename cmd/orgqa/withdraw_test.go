package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// outputsOf is what the readers of the outputs see, but the manifest (which
// records the withdrawal): the marts, every Parquet file but the manifest's,
// every workbook under latest/.
func outputsOf(t *testing.T, out, wh string) string {
	t.Helper()
	var keep []string
	for _, part := range strings.Split(state(t, out, wh), "\n== ") {
		head, _, _ := strings.Cut(part, "\n")
		switch {
		case strings.HasPrefix(head, "table ") && !strings.HasPrefix(head, "table mart_"),
			strings.HasPrefix(head, "parquet parquet/manifest/"):
			continue
		}
		keep = append(keep, part)
	}
	return strings.Join(keep, "\n== ")
}

// TestWithdrawAndRestore: a test file dropped in the inbox is loaded as a new
// unit; withdrawn, the next night's outputs are exactly those of a night
// without it, and the unchanged file is not loaded again; restored, they are
// those of a night with it again. Both are in the history and the manifest.
func TestWithdrawAndRestore(t *testing.T) {
	t.Setenv("ORGQA_NOW", "2026-01-20T08:00:00+07:00")
	dir := t.TempDir()
	clean, dirty := filepath.Join(dir, "clean"), filepath.Join(dir, "dirty")
	// the same bytes in both inboxes, loaded in the same order (by file date)
	t0 := time.Date(2026, 1, 15, 8, 0, 0, 0, time.UTC)
	for _, in := range []string{clean, dirty} {
		os.MkdirAll(filepath.Join(in, "in"), 0o755)
	}
	for i, code := range []string{"0100", "0200"} {
		path, err := tinyReport(code, string(rune('A'+i))).WriteXLSX(filepath.Join(clean, "in"))
		if err != nil {
			t.Fatal(err)
		}
		copyFile(t, path, filepath.Join(dirty, "in", filepath.Base(path)))
		for _, p := range []string{path, filepath.Join(dirty, "in", filepath.Base(path))} {
			os.Chtimes(p, t0.Add(time.Duration(i)*time.Minute), t0.Add(time.Duration(i)*time.Minute))
		}
	}
	stray := tinyReport("9999", "T")
	stray.UnitName = "Tệp thử"
	path, err := stray.WriteXLSX(filepath.Join(dirty, "in"))
	if err != nil {
		t.Fatal(err)
	}
	testFile := filepath.Join(dirty, "in", "tep-thu.xlsx")
	if err := os.Rename(path, testFile); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(testFile, t0.Add(time.Hour), t0.Add(time.Hour))
	night := func(root string) (int, string, string) {
		return runCLI(t, "run", "--input", filepath.Join(root, "in"), "--output", filepath.Join(root, "out"), "--warehouse", filepath.Join(root, "w.duckdb"))
	}
	if code, _, stderr := night(clean); code != exitRejected {
		t.Fatalf("clean night: exit %d\n%s", code, stderr)
	}
	want := strings.ReplaceAll(outputsOf(t, filepath.Join(clean, "out"), filepath.Join(clean, "w.duckdb")), clean, dirty)
	if code, _, stderr := night(dirty); code != exitRejected {
		t.Fatalf("night with the test file: exit %d\n%s", code, stderr)
	}
	dirtyOut, dirtyWh := filepath.Join(dirty, "out"), filepath.Join(dirty, "w.duckdb")
	withIt := outputsOf(t, dirtyOut, dirtyWh)
	if withIt == want || !strings.Contains(withIt, "9999") {
		t.Fatal("the test file changed nothing: the test proves nothing")
	}

	// the operator's mistakes are usage errors
	for _, args := range [][]string{
		{"files", "withdraw", "--file", testFile},
		{"files", "withdraw", "--load", "99", "--reason", "x"},
		{"files", "restore", "--load", "1"},
	} {
		if code, _, stderr := runCLI(t, append(args, "--warehouse", dirtyWh)...); code != exitUsage {
			t.Errorf("%v: exit %d\n%s", args, code, stderr)
		}
	}
	code, stdout, stderr := runCLI(t, "files", "withdraw", "--file", testFile, "--reason", "Tệp thử nghiệm, không phải báo cáo", "--warehouse", dirtyWh)
	if code != exitOK || !strings.Contains(stdout, "Withdrew load 3") {
		t.Fatalf("withdraw: exit %d\n%s%s", code, stdout, stderr)
	}
	code, _, stderr = night(dirty)
	if code != exitOK || !strings.Contains(stderr, "withdrawn by the operator") {
		t.Fatalf("night after the withdrawal: exit %d\n%s", code, stderr)
	}
	if got := outputsOf(t, dirtyOut, dirtyWh); got != want {
		t.Errorf("after withdraw, the outputs differ from a night without the file: %s", firstDiff(want, got))
	}
	db := openWarehouse(t, dirtyWh)
	if got := rowsText(t, db, "", `SELECT outcome || ' ' || outcome_before || ' ' || withdrawn_reason FROM load_manifest WHERE load_id = 3`); len(got) != 1 ||
		got[0] != "withdrawn loaded Tệp thử nghiệm, không phải báo cáo" {
		t.Errorf("manifest: %v", got)
	}
	if got := outcomes(t, dirtyWh); !strings.Contains(got, "files withdraw:succeeded run:succeeded") {
		t.Errorf("history: %s", got)
	}
	if _, stdout, _ := runCLI(t, "files", "--warehouse", dirtyWh); !strings.Contains(stdout, "withdrawn: Tệp thử nghiệm") {
		t.Errorf("orgqa files does not show the withdrawal:\n%s", stdout)
	}

	if code, stdout, stderr := runCLI(t, "files", "restore", "--load", "3", "--warehouse", dirtyWh); code != exitOK || !strings.Contains(stdout, "Restored load 3") {
		t.Fatalf("restore: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := night(dirty); code != exitOK {
		t.Fatalf("night after the restore: exit %d\n%s", code, stderr)
	}
	if got := outputsOf(t, dirtyOut, dirtyWh); got != withIt {
		t.Errorf("after restore, the outputs differ from the night with the file: %s", firstDiff(withIt, got))
	}
}
