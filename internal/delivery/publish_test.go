package delivery

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// stage writes the files a report run would stage.
func stage(t *testing.T, output string, run int64, files map[string]string) string {
	t.Helper()
	dir := StagingDir(output, run)
	for rel, content := range files {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func tree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	root += string(filepath.Separator) // through the latest link
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(root, p)
			out = append(out, rel+"="+string(b))
		}
		return nil
	})
	sort.Strings(out)
	return out
}

// TestPublishLatestAndCarryOver: a run for 2024 after one for 2025 leaves latest
// with both years' workbooks (2025 carried over), and drops the stale ones of
// the year it rebuilt; the lake gets the run's files.
func TestPublishLatestAndCarryOver(t *testing.T) {
	out := t.TempDir()
	t0 := time.Date(2026, 12, 1, 1, 30, 0, 0, time.Local)
	s1 := stage(t, out, 1, map[string]string{
		"excel/tong-hop-tccs-2025.xlsx":                 "A25",
		"excel/tra-lai/2025/loi-du-lieu-0101-2025.xlsx": "R25",
		"excel/don-vi/2025/tccs-0101-2025.xlsx":         "U25",
		"parquet/metrics/year=2025/metrics.parquet":     "P25",
	})
	if _, err := Publish(s1, out, FolderName(t0, 1), Years{Built: []int{2025}}, 5); err != nil {
		t.Fatal(err)
	}
	s2 := stage(t, out, 2, map[string]string{
		"excel/tong-hop-tccs-2024.xlsx":             "B24",
		"parquet/metrics/year=2024/metrics.parquet": "P24",
	})
	p, err := Publish(s2, out, FolderName(t0.Add(time.Hour), 2), Years{Built: []int{2024}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(tree(t, filepath.Join(out, "excel", Latest)), " ")
	want := "don-vi/2025/tccs-0101-2025.xlsx=U25 tong-hop-tccs-2024.xlsx=B24 tong-hop-tccs-2025.xlsx=A25 tra-lai/2025/loi-du-lieu-0101-2025.xlsx=R25"
	if got != want {
		t.Errorf("latest holds\n%s\nwant\n%s", got, want)
	}
	if p.Workbook(2024) != filepath.Join(out, "excel", Latest, "tong-hop-tccs-2024.xlsx") || len(p.Carried) != 3 {
		t.Errorf("published %+v", p)
	}
	// the same year again, without rejects: the old rejects workbook is not carried over
	s3 := stage(t, out, 3, map[string]string{"excel/tong-hop-tccs-2025.xlsx": "C25"})
	if _, err := Publish(s3, out, FolderName(t0.Add(2*time.Hour), 3), Years{Built: []int{2025}}, 5); err != nil {
		t.Fatal(err)
	}
	got = strings.Join(tree(t, filepath.Join(out, "excel", Latest)), " ")
	if want := "tong-hop-tccs-2024.xlsx=B24 tong-hop-tccs-2025.xlsx=C25"; got != want {
		t.Errorf("latest holds %s, want %s", got, want)
	}
	lake := strings.Join(tree(t, filepath.Join(out, "parquet")), " ")
	if want := "metrics/year=2024/metrics.parquet=P24 metrics/year=2025/metrics.parquet=P25"; lake != want {
		t.Errorf("lake %s, want %s", lake, want)
	}
	if _, err := os.Stat(s3); !os.IsNotExist(err) {
		t.Errorf("staging folder left: %v", err)
	}
}

// TestPublishDropsYearsWithoutReports: a year whose every report was
// withdrawn is no longer carried into latest/, and its Parquet folders go;
// two years written by one run are both published.
func TestPublishDropsYearsWithoutReports(t *testing.T) {
	out := t.TempDir()
	t0 := time.Date(2026, 12, 1, 1, 30, 0, 0, time.Local)
	s1 := stage(t, out, 1, map[string]string{
		"excel/tong-hop-tccs-2024.xlsx":                 "A24",
		"excel/tra-lai/2024/loi-du-lieu-0101-2024.xlsx": "R24",
		"excel/tong-hop-tccs-2025.xlsx":                 "A25",
		"parquet/metrics/year=2024/metrics.parquet":     "P24",
		"parquet/metrics/year=2025/metrics.parquet":     "P25",
	})
	p, err := Publish(s1, out, FolderName(t0, 1), Years{Built: []int{2024, 2025}, Backed: map[int]bool{2024: true, 2025: true}}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Workbooks) != 2 || p.Workbook(2024) == "" || p.Workbook(2025) == "" {
		t.Errorf("workbooks %v", p.Workbooks)
	}
	s2 := stage(t, out, 2, map[string]string{
		"excel/tong-hop-tccs-2025.xlsx":             "B25",
		"parquet/metrics/year=2025/metrics.parquet": "Q25",
	})
	if _, err := Publish(s2, out, FolderName(t0.Add(time.Hour), 2), Years{Built: []int{2025}, Backed: map[int]bool{2025: true}}, 5); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(tree(t, filepath.Join(out, "excel", Latest)), " "), "tong-hop-tccs-2025.xlsx=B25"; got != want {
		t.Errorf("latest holds %s, want %s", got, want)
	}
	if got, want := strings.Join(tree(t, filepath.Join(out, "parquet")), " "), "metrics/year=2025/metrics.parquet=Q25"; got != want {
		t.Errorf("lake %s, want %s", got, want)
	}
}

// TestPublishRemovesTheOldLayout: workbooks an older orgqa wrote straight
// under excel/ go, so nobody opens a stale one there.
func TestPublishRemovesTheOldLayout(t *testing.T) {
	out := t.TempDir()
	for _, p := range []string{"excel/tong-hop-tccs-2025.xlsx", "excel/tra-lai/2025/loi-du-lieu-0101-2025.xlsx", "excel/don-vi/2025/tccs-0101-2025.xlsx", "excel/ghi-chu.txt"} {
		os.MkdirAll(filepath.Dir(filepath.Join(out, p)), 0o755)
		os.WriteFile(filepath.Join(out, p), []byte("old"), 0o644)
	}
	s := stage(t, out, 1, map[string]string{"excel/tong-hop-tccs-2025.xlsx": "new"})
	if _, err := Publish(s, out, FolderName(time.Now(), 1), Years{Built: []int{2025}}, 3); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(filepath.Join(out, "excel"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 3 || names[1] != "ghi-chu.txt" || names[2] != Latest {
		t.Errorf("excel/ holds %v; want the run's folder, the note nobody's orgqa wrote, and latest", names)
	}
}

// TestRetention keeps the newest keep dated folders, and always latest's.
func TestRetention(t *testing.T) {
	out := t.TempDir()
	t0 := time.Date(2026, 11, 1, 1, 30, 0, 0, time.Local)
	for run := int64(1); run <= 5; run++ {
		s := stage(t, out, run, map[string]string{"excel/tong-hop-tccs-2025.xlsx": "x"})
		p, err := Publish(s, out, FolderName(t0.AddDate(0, 0, int(run)), run), Years{Built: []int{2025}}, 2)
		if err != nil {
			t.Fatal(err)
		}
		if run == 5 && len(p.Pruned) != 1 {
			t.Errorf("run 5 pruned %v, want one folder", p.Pruned)
		}
	}
	ents, _ := os.ReadDir(filepath.Join(out, "excel"))
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if want := "2026-11-05_013000_r4 2026-11-06_013000_r5 latest"; strings.Join(names, " ") != want {
		t.Errorf("excel/ holds %v, want %s", names, want)
	}
	if target, _ := os.Readlink(filepath.Join(out, "excel", Latest)); target != "2026-11-06_013000_r5" {
		t.Errorf("latest -> %s", target)
	}
}

// TestCurrent: the outputs are current only for the same state, year and files present.
func TestCurrent(t *testing.T) {
	out := t.TempDir()
	s := stage(t, out, 1, map[string]string{"excel/tong-hop-tccs-2025.xlsx": "x", "parquet/metrics/year=2025/metrics.parquet": "p"})
	folder := FolderName(time.Now(), 1)
	if _, err := Publish(s, out, folder, Years{Built: []int{2025}}, 3); err != nil {
		t.Fatal(err)
	}
	if m, _ := ReadMarker(out); Current(out, m, "abc", 2025, false) {
		t.Error("current before any marker")
	}
	if err := WriteMarker(out, Marker{RunID: 1, Year: 2025, Fingerprint: "abc", Folder: folder}); err != nil {
		t.Fatal(err)
	}
	m, _ := ReadMarker(out)
	for _, c := range []struct {
		fp      string
		year    int
		perUnit bool
		want    bool
	}{{"abc", 2025, false, true}, {"abd", 2025, false, false}, {"abc", 2024, false, false}, {"abc", 2025, true, false}} {
		if got := Current(out, m, c.fp, c.year, c.perUnit); got != c.want {
			t.Errorf("Current(%s, %d, per-unit %v) = %v, want %v", c.fp, c.year, c.perUnit, got, c.want)
		}
	}
	os.Remove(filepath.Join(out, "parquet", "metrics", "year=2025", "metrics.parquet"))
	if Current(out, m, "abc", 2025, false) {
		t.Error("current with the metrics file deleted")
	}
}
