// Package delivery puts a run's outputs where their readers look for them, all
// at once and never half: a run writes into a staging folder; publishing moves
// the Parquet files over the lake (output contract v1), the workbooks into a
// dated folder under <output>/excel/, swaps the "latest" link to it, prunes old
// folders, and last writes a marker saying which warehouse state the outputs
// now show. A run that dies before the marker is redone by the next one. It
// also sends the email. It reads no warehouse.
package delivery

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"orgqa/internal/faults"
)

// Latest is the stable name, under <output>/excel/, of the newest run's folder.
const Latest = "latest"

// StagingDir is where run id writes its outputs before they are published.
func StagingDir(output string, runID int64) string {
	return filepath.Join(output, fmt.Sprintf(".staging-run%d", runID))
}

// Clean removes staging folders left by runs that died. The caller holds the run lock.
func Clean(output string) error {
	ents, err := os.ReadDir(output)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range ents {
		if e.IsDir() && strings.HasPrefix(e.Name(), ".staging-run") {
			if err := os.RemoveAll(filepath.Join(output, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// FolderName is a run's dated folder: sortable, and unique by the run id.
func FolderName(started time.Time, runID int64) string {
	return fmt.Sprintf("%s_r%d", started.Local().Format("2006-01-02_150405"), runID)
}

var folderRun = regexp.MustCompile(`_r(\d+)$`)

// Published is what Publish put in place.
type Published struct {
	Folder    string   // <output>/excel/<dated>
	Parquet   []string // the lake files replaced
	Pruned    []string // dated folders removed by retention
	Carried   []string // other years' workbooks carried over from the previous latest
	Dropped   []string // Parquet folders of years no report is left behind
	Workbooks []string // the province workbooks written, under latest/
}

// Workbook is the province workbook of year under latest/, "" if the run wrote none.
func (p *Published) Workbook(year int) string {
	for _, wb := range p.Workbooks {
		if filepath.Base(wb) == fmt.Sprintf("tong-hop-tccs-%d.xlsx", year) {
			return wb
		}
	}
	return ""
}

var yearFolder = regexp.MustCompile(`^year=(\d{4})$`)

// dropYears removes <lake>/<mart>/year=Y/ for every year that is neither
// written now nor backed by a report.
func dropYears(lake string, years Years) ([]string, error) {
	marts, err := os.ReadDir(lake)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var gone []string
	for _, m := range marts {
		if !m.IsDir() {
			continue
		}
		ys, err := os.ReadDir(filepath.Join(lake, m.Name()))
		if err != nil {
			return gone, err
		}
		for _, y := range ys {
			sub := yearFolder.FindStringSubmatch(y.Name())
			if sub == nil {
				continue
			}
			n, _ := strconv.Atoi(sub[1])
			if years.built(n) || years.Backed[n] {
				continue
			}
			dir := filepath.Join(lake, m.Name(), y.Name())
			if err := os.RemoveAll(dir); err != nil {
				return gone, err
			}
			gone = append(gone, dir)
		}
	}
	return gone, nil
}

// Years says which years a publication writes and which ones still have
// reports behind them.
type Years struct {
	Built  []int        // the years whose outputs the run staged
	Backed map[int]bool // years with an accepted report; nil: every year
}

func (y Years) built(year int) bool {
	for _, b := range y.Built {
		if b == year {
			return true
		}
	}
	return false
}

// carry says whether the previous latest folder's outputs of year go on into
// the new one: not when the run wrote them anew, nor when no report is left
// behind them (every report of the year withdrawn).
func (y Years) carry(year int) bool {
	return !y.built(year) && (y.Backed == nil || y.Backed[year])
}

// Publish moves what the run staged under staging (excel/…, parquet/…) into
// output. The previous latest folder's workbooks of other years are carried
// into the new folder, so latest/ always holds the newest workbook of every
// year that still has reports; the Parquet folders of a year with none are
// removed. keep dated folders stay.
func Publish(staging, output, folder string, years Years, keep int) (*Published, error) {
	p := &Published{}
	if years.Backed != nil {
		gone, err := dropYears(filepath.Join(output, "parquet"), years)
		if err != nil {
			return p, fmt.Errorf("publish parquet: %w", err)
		}
		p.Dropped = gone
	}
	// the lake: each file replaced by a rename, in one quick pass
	lake := filepath.Join(staging, "parquet")
	err := filepath.WalkDir(lake, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(lake, path)
		dst := filepath.Join(output, "parquet", rel)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		p.Parquet = append(p.Parquet, dst)
		return os.Rename(path, dst)
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("publish parquet: %w", err)
	}
	faults.Point("publish.parquet")
	excel := filepath.Join(output, "excel")
	books := filepath.Join(staging, "excel")
	if _, err := os.Stat(books); err != nil {
		return p, os.RemoveAll(staging) // nothing to deliver to leadership
	}
	if err := os.MkdirAll(excel, 0o755); err != nil {
		return p, err
	}
	prev := ""
	if target, err := os.Readlink(filepath.Join(excel, Latest)); err == nil {
		prev = filepath.Join(excel, filepath.Base(target))
	}
	if p.Carried, err = carryOver(prev, books, years); err != nil {
		return p, fmt.Errorf("publish: carry over: %w", err)
	}
	p.Folder = filepath.Join(excel, folder)
	if err := os.Rename(books, p.Folder); err != nil {
		return p, fmt.Errorf("publish: %w", err)
	}
	if err := swapLink(filepath.Join(excel, Latest), folder); err != nil {
		return p, fmt.Errorf("publish: latest: %w", err)
	}
	if err := removeLegacy(excel); err != nil {
		return p, err
	}
	if p.Pruned, err = prune(excel, keep); err != nil {
		return p, fmt.Errorf("publish: retention: %w", err)
	}
	syncDir(excel)
	for _, y := range years.Built {
		if wb := filepath.Join(excel, Latest, fmt.Sprintf("tong-hop-tccs-%d.xlsx", y)); exists(wb) {
			p.Workbooks = append(p.Workbooks, wb)
		}
	}
	return p, os.RemoveAll(staging)
}

// yearIn finds the report year in a workbook name or a year folder (tra-lai/2025).
var yearIn = regexp.MustCompile(`(?:^|-)(\d{4})(?:\.xlsx)?$`)

// carryOver hard-links (or copies) into the new folder what the previous latest
// folder holds for other years: top-level workbooks and year folders one level down.
func carryOver(prev, books string, years Years) ([]string, error) {
	var carried []string
	if prev == "" {
		return nil, nil
	}
	otherYear := func(name string) bool {
		m := yearIn.FindStringSubmatch(name)
		if m == nil {
			return false
		}
		y, _ := strconv.Atoi(m[1])
		return years.carry(y)
	}
	err := filepath.WalkDir(prev, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == prev {
				return fs.SkipAll // no previous latest
			}
			return err
		}
		rel, _ := filepath.Rel(prev, path)
		depth := strings.Count(rel, string(filepath.Separator))
		if path == prev || d.IsDir() && depth == 0 {
			return nil // the folder itself, or tra-lai/ and don-vi/
		}
		if d.IsDir() {
			if depth == 1 && otherYear(d.Name()) {
				if err := linkTree(path, filepath.Join(books, rel)); err != nil {
					return err
				}
				carried = append(carried, rel)
			}
			return fs.SkipDir
		}
		if depth == 0 && otherYear(d.Name()) && !exists(filepath.Join(books, rel)) {
			if err := link(path, filepath.Join(books, rel)); err != nil {
				return err
			}
			carried = append(carried, rel)
		}
		return nil
	})
	return carried, err
}

func linkTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		return link(path, filepath.Join(to, rel))
	})
}

func link(from, to string) error {
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if err := os.Link(from, to); err == nil {
		return nil
	}
	b, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return os.WriteFile(to, b, 0o644)
}

// swapLink points name at target atomically: a new link, renamed over the old.
func swapLink(name, target string) error {
	tmp := name + ".tmp"
	os.Remove(tmp)
	if err := os.Symlink(target, tmp); err != nil {
		return err
	}
	if fi, err := os.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink == 0 {
		// a real folder named latest (copied there by hand): a link cannot replace it
		os.Remove(tmp)
		return fmt.Errorf("%s is not a link made by orgqa; move it away", name)
	}
	return os.Rename(tmp, name)
}

// removeLegacy removes what orgqa before dated folders wrote straight under
// excel/, so nobody opens a stale workbook there.
func removeLegacy(excel string) error {
	old, _ := filepath.Glob(filepath.Join(excel, "tong-hop-tccs-*.xlsx"))
	for _, d := range []string{"tra-lai", "don-vi"} {
		if fi, err := os.Lstat(filepath.Join(excel, d)); err == nil && fi.IsDir() {
			old = append(old, filepath.Join(excel, d))
		}
	}
	for _, p := range old {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}

// prune keeps the keep newest dated folders, and always the one latest names.
func prune(excel string, keep int) ([]string, error) {
	target, _ := os.Readlink(filepath.Join(excel, Latest))
	ents, err := os.ReadDir(excel)
	if err != nil {
		return nil, err
	}
	type run struct {
		name string
		id   int64
	}
	var runs []run
	for _, e := range ents {
		if m := folderRun.FindStringSubmatch(e.Name()); e.IsDir() && m != nil {
			id, _ := strconv.ParseInt(m[1], 10, 64)
			runs = append(runs, run{e.Name(), id})
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].id > runs[j].id })
	var pruned []string
	for i, r := range runs {
		if i < keep || r.name == target {
			continue
		}
		if err := os.RemoveAll(filepath.Join(excel, r.name)); err != nil {
			return pruned, err
		}
		pruned = append(pruned, r.name)
	}
	return pruned, nil
}

// Marker says which warehouse state the published outputs show.
type Marker struct {
	RunID       int64     `json:"run_id"`
	Year        int       `json:"year"`
	PerUnit     bool      `json:"per_unit"`
	Fingerprint string    `json:"fingerprint"`
	Folder      string    `json:"folder"` // dated folder name
	Published   time.Time `json:"published_at"`
	// Years is the fingerprint each published year's outputs show (Year and
	// Fingerprint are the newest year's, as markers before it had them).
	Years map[int]string `json:"years,omitempty"`
}

// Shows returns the fingerprint year's published outputs show, "" if none.
func (m *Marker) Shows(year int) string {
	if m == nil {
		return ""
	}
	if fp, ok := m.Years[year]; ok {
		return fp
	}
	if m.Year == year {
		return m.Fingerprint
	}
	return ""
}

func markerPath(output string) string { return filepath.Join(output, ".orgqa-published.json") }

// ReadMarker returns the marker, or nil when nothing was published yet.
func ReadMarker(output string) (*Marker, error) {
	b, err := os.ReadFile(markerPath(output))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil // unreadable: treat as never published
	}
	return &m, nil
}

// Current reports whether the outputs published under output show the state
// fingerprint for year, and are all still there.
func Current(output string, m *Marker, fingerprint string, year int, perUnit bool) bool {
	if m == nil || m.Shows(year) != fingerprint || perUnit && !m.PerUnit {
		return false
	}
	latest, err := os.Readlink(filepath.Join(output, "excel", Latest))
	if err != nil || latest != m.Folder {
		return false
	}
	return exists(filepath.Join(output, "excel", Latest, fmt.Sprintf("tong-hop-tccs-%d.xlsx", year))) &&
		exists(filepath.Join(output, "parquet", "metrics", fmt.Sprintf("year=%d", year), "metrics.parquet"))
}

// WriteMarker records, last of all, what the outputs now show.
func WriteMarker(output string, m Marker) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(markerPath(output), append(b, '\n'))
}

// WriteFileAtomic writes a file under a temporary name, syncs it and renames it.
func WriteFileAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// WriteSummary writes a run's JSON summary as <output>/runs/<folder>.json and
// runs/latest.json, and keeps the newest keep summaries.
func WriteSummary(output, folder string, v any, keep int) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	b = append(b, '\n')
	dir := filepath.Join(output, "runs")
	path := filepath.Join(dir, folder+".json")
	if err := WriteFileAtomic(path, b); err != nil {
		return "", err
	}
	if err := WriteFileAtomic(filepath.Join(dir, "latest.json"), b); err != nil {
		return "", err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*_r*.json"))
	sort.Slice(old, func(i, j int) bool { return runOf(old[i]) > runOf(old[j]) })
	for i, p := range old {
		if i >= keep {
			os.Remove(p)
		}
	}
	return path, nil
}

func runOf(path string) int64 {
	m := folderRun.FindStringSubmatch(strings.TrimSuffix(filepath.Base(path), ".json"))
	if m == nil {
		return 0
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
