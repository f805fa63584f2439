package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestLaterPreparedReportWins: a corrected re-send of unit 0100 under another
// name, saved from email so that its file date is older than the original's,
// wins because its ThongTin says it was prepared later — whether the original
// was loaded on an earlier night or both arrive on the same night. The
// original is recorded as superseded, naming the winner, and listed on the
// data-quality sheet; the next night changes nothing.
func TestLaterPreparedReportWins(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	original, err := tinyReport("0100", "A").WriteXLSX(src)
	if err != nil {
		t.Fatal(err)
	}
	fix := tinyReport("0100", "A")
	fix.Created = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC) // the original: 15/01/2026
	fix.Members = fix.Members[:1]                             // the correction: the wrong member is gone
	corrected, err := fix.WriteXLSX(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := tinyReport("0200", "B").WriteXLSX(src)
	if err != nil {
		t.Fatal(err)
	}
	sent, saved := time.Date(2026, 1, 20, 9, 0, 0, 0, time.Local), time.Date(2026, 1, 25, 9, 0, 0, 0, time.Local)
	place := func(in, from, name string, when time.Time) {
		t.Helper()
		os.MkdirAll(in, 0o755)
		copyFile(t, from, filepath.Join(in, name))
		os.Chtimes(filepath.Join(in, name), when, when)
	}
	check := func(name, wh, out string) {
		t.Helper()
		db := openWarehouse(t, wh)
		if got := rowsText(t, db, "", `SELECT member_code FROM members WHERE reporting_unit = '0100' ORDER BY 1`); strings.Join(got, " ") != "A-001" {
			t.Errorf("%s: 0100's members %v, want the corrected report's A-001 only", name, got)
		}
		got := rowsText(t, db, "", `SELECT regexp_replace(source_path, '.*/', '') || ' ' || outcome FROM load_manifest WHERE reporting_unit = '0100' ORDER BY 1`)
		if strings.Join(got, "; ") != "0100-sua-lai.xlsx loaded; bao-cao-0100-2025.xlsx superseded" {
			t.Errorf("%s: manifest %v", name, got)
		}
		msg := rowsText(t, db, "", `SELECT message FROM load_manifest WHERE outcome = 'superseded'`)
		if len(msg) != 1 || !strings.Contains(msg[0], "dùng báo cáo lập sau là tệp 0100-sua-lai.xlsx") || !strings.Contains(msg[0], "lập ngày 15/01/2026") {
			t.Errorf("%s: superseded message %v", name, msg)
		}
		if !strings.Contains(dumpWorkbook(t, workbookPath(out, 2025)), "bao-cao-0100-2025.xlsx | 0100 | Đơn vị 0100 năm 2025 có hai báo cáo") {
			t.Errorf("%s: the data-quality sheet does not list the superseded file", name)
		}
	}

	// night 1 the original, night 2 the correction with an older file date
	in, out, wh := filepath.Join(dir, "a", "in"), filepath.Join(dir, "a", "out"), filepath.Join(dir, "a", "w.duckdb")
	place(in, original, filepath.Base(original), saved)
	place(in, other, filepath.Base(other), saved)
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitRejected {
		t.Fatalf("night 1: exit %d\n%s", code, stderr)
	}
	place(in, corrected, "0100-sua-lai.xlsx", sent)
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK {
		t.Fatalf("night 2: exit %d\n%s", code, stderr)
	}
	check("over two nights", wh, out)
	if code, stdout, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitOK || !strings.Contains(stdout, "Nothing changed") {
		t.Errorf("night 3: exit %d\n%s%s", code, stdout, stderr)
	}
	// forced: the original, which loaded on night 1, loses again and is
	// listed once; the sources it loaded with leave with its entry
	if code, _, stderr := runCLI(t, "run", "--force", "--input", in, "--output", out, "--warehouse", wh); code != exitRejected {
		t.Fatalf("night 4 (forced): exit %d\n%s", code, stderr)
	}
	sourcesOnce(t, wh)

	// both on one night: the correction is read first (older file date) and
	// the original, read after it, loses
	in, out, wh = filepath.Join(dir, "b", "in"), filepath.Join(dir, "b", "out"), filepath.Join(dir, "b", "w.duckdb")
	place(in, original, filepath.Base(original), saved)
	place(in, other, filepath.Base(other), saved)
	place(in, corrected, "0100-sua-lai.xlsx", sent)
	if code, _, stderr := runCLI(t, "run", "--input", in, "--output", out, "--warehouse", wh); code != exitRejected {
		t.Fatalf("one night: exit %d\n%s", code, stderr)
	}
	check("on one night", wh, out)
	// --force reads everything again: the same choice
	if code, _, stderr := runCLI(t, "run", "--force", "--input", in, "--output", out, "--warehouse", wh); code != exitRejected {
		t.Fatalf("forced night: exit %d\n%s", code, stderr)
	}
	db := openWarehouse(t, wh)
	if got := rowsText(t, db, "", `SELECT member_code || ' ' || regexp_replace(s.source_file, '.*/', '') FROM members m
		JOIN load_sources s ON s.load_id = m.load_id AND s.table_name = 'members' WHERE m.reporting_unit = '0100' ORDER BY 1`); strings.Join(got, " ") != "A-001 0100-sua-lai.xlsx" {
		t.Errorf("after --force: 0100's members and their file %v", got)
	}
	sourcesOnce(t, wh)
	// the reloads replaced their own earlier loads: still two reports, one superseded
	got := rowsText(t, db, "", `SELECT outcome || count(*) FROM load_manifest WHERE reporting_unit = '0100' GROUP BY outcome ORDER BY 1`)
	if strings.Join(got, "; ") != "loaded1; replaced1; superseded1" {
		t.Errorf("after --force: 0100's manifest %v", got)
	}
}

// sourcesOnce checks that load_sources lists each sheet of a load once, and
// only loads the manifest still lists: a load id given again must never find
// another load's sources.
func sourcesOnce(t *testing.T, wh string) {
	t.Helper()
	db, done := openBriefly(t, wh)
	defer done()
	if got := rowsText(t, db, "", `SELECT count(*) FROM (SELECT load_id, table_name FROM load_sources GROUP BY ALL HAVING count(*) > 1)
		UNION ALL SELECT count(*) FROM load_sources WHERE load_id NOT IN (SELECT load_id FROM load_manifest)`); strings.Join(got, " ") != "0 0" {
		t.Errorf("load_sources: %s sheets listed twice for a load, %s rows for no load", got[0], got[1])
	}
}
