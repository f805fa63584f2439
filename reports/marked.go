package reports

import (
	"archive/zip"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"orgqa/ingest"
)

// A marked return is the unit's own workbook sent back with every problem
// marked where the unit made it: each offending cell filled red with a
// comment giving the reason (a problem of the whole row marks the row's key
// cell), and a first sheet listing the problems with links to their cells.
// Nothing else is changed: the unit's formats, formulas and other sheets
// stay. Only an .xlsx report read from one file, unchanged since it was
// loaded, is marked; a CSV set, an .xls or .ods file, a report joined from
// parts and a file that could not be loaded get the list workbook only.

// MarkedName is the marked copy's file name.
func MarkedName(unit string, year int) string {
	return fmt.Sprintf("danh-dau-%s-%d.xlsx", UnitFileKey(unit), year)
}

// markedListSheet is the first sheet of a marked copy.
const markedListSheet = "Lỗi cần sửa"

// markedFill is the red every offending cell is filled with.
const markedFill = "FFC7CE"

// problem is one rejected cell (or row) of the unit's file.
type markProblem struct {
	sheet, col, header, value, reason, key string
	row                                    int
}

// writeMarked writes unit's marked copy for year into dir and returns its
// path, or "" and why not when the unit's report cannot be marked (see
// above). A workbook excelize cannot open or write (orgqa read it with its
// own reader) is a why, not an error: the unit still gets its list, and the
// rest of the province its outputs.
func writeMarked(ctx context.Context, db *sql.DB, unit string, year int, dir string) (path string, not markSkip, err error) {
	path, err = writeMarkedCopy(ctx, db, unit, year, dir)
	if errors.As(err, &not) {
		return "", not, nil
	}
	return path, markSkip{}, err
}

// A marked copy is made in memory (excelize holds the unit's sheets and every
// comment), so it is made for a report a clerk can mend cell by cell: one of
// at most maxMarkedRows rows with at most maxMarkedProblems problems. Beyond
// either, the unit gets its list, which names every problem, and the night
// its time (a report of 1.000.000 bad rows took the report step from 24
// seconds to more than 12 minutes and 3 GB when it was marked).
const (
	maxMarkedRows     = 100_000
	maxMarkedProblems = 5_000
)

// markSkip is why a report is not marked; unmarkable when it is of a kind
// never marked (a CSV set, an .xls or .ods file, a report in parts): nothing
// to warn of.
type markSkip struct {
	why        string
	unmarkable bool
}

func (m markSkip) Error() string { return m.why }

func skip(why string) error { return markSkip{why: why} }

func writeMarkedCopy(ctx context.Context, db *sql.DB, unit string, year int, dir string) (string, error) {
	var loadID, read int64
	var path, sha, kind string
	var files int
	err := db.QueryRowContext(ctx, `SELECT load_id, source_path, sha256, source_kind, len(files), rows_read FROM load_manifest
		WHERE outcome = 'loaded' AND reporting_unit = ? AND report_year = ? AND rows_rejected > 0
		ORDER BY load_id DESC LIMIT 1`, unit, year).Scan(&loadID, &path, &sha, &kind, &files, &read)
	if err == sql.ErrNoRows {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if kind != "xlsx" || files != 1 {
		return "", markSkip{why: fmt.Sprintf("a %s report of %d file(s): only a one-file .xlsx is marked", kind, files), unmarkable: true}
	}
	if read > maxMarkedRows {
		return "", skip(fmt.Sprintf("%d rows, more than %d: the list names its problems", read, maxMarkedRows))
	}
	if got, err := ingest.FileSHA256(path); err != nil || got != sha {
		return "", skip("the file is gone or changed since it was loaded")
	}
	rows, err := db.QueryContext(ctx, `SELECT source_sheet, source_row, coalesce(column_letter, ''), coalesce(column_header, ''),
			coalesce(value, ''), reason, coalesce(row_key, '')
		FROM rejects WHERE load_id = ? AND source_file = ? ORDER BY source_sheet, source_row, column_letter NULLS FIRST, reason
		LIMIT ?`, loadID, path, maxMarkedProblems+1)
	if err != nil {
		return "", err
	}
	var probs []markProblem
	for rows.Next() {
		var p markProblem
		if err := rows.Scan(&p.sheet, &p.row, &p.col, &p.header, &p.value, &p.reason, &p.key); err != nil {
			rows.Close()
			return "", err
		}
		probs = append(probs, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(probs) == 0 {
		return "", err
	}
	if len(probs) > maxMarkedProblems {
		return "", skip(fmt.Sprintf("more than %d problems: the list names them all", maxMarkedProblems))
	}
	lim := ingest.DefaultLimits
	// a character XML forbids (a vertical tab pasted into a name: the very
	// problem being marked) would stop excelize: shown as [U+000B] instead
	src, err := visibleControls(path, dir, lim.UnzipSize)
	if err != nil {
		return "", skip("reading it: " + err.Error())
	}
	if src != path {
		defer os.Remove(src)
	}
	f, err := excelize.OpenFile(src, excelize.Options{UnzipSizeLimit: lim.UnzipSize, UnzipXMLSizeLimit: lim.UnzipXMLSize})
	if err != nil {
		return "", skip("excelize cannot open it: " + err.Error())
	}
	defer f.Close()
	if err := markCells(f, probs); err != nil {
		return "", skip("marking its cells: " + err.Error())
	}
	if err := markedList(f, probs, filepath.Base(path)); err != nil {
		return "", skip("writing the list: " + err.Error())
	}
	out := filepath.Join(dir, MarkedName(unit, year))
	if err := saveAtomic(f, out); err != nil {
		return "", skip("saving it: " + err.Error())
	}
	return out, nil
}

// markCells fills each offending cell red, keeping its own format, and puts
// the reasons in its comment.
func markCells(f *excelize.File, probs []markProblem) error {
	redOf := map[int]int{} // the cell's own style → the same, filled red
	reasons := map[[2]string][]string{}
	var order [][2]string
	sheets := map[string][][]string{} // a sheet read once, for all its whole-row problems
	for i := range probs {
		p := &probs[i]
		if p.col == "" {
			rows, ok := sheets[p.sheet]
			if !ok {
				rows, _ = f.GetRows(p.sheet, excelize.Options{RawCellValue: true})
				sheets[p.sheet] = rows
			}
			p.col = keyColumn(rows, p)
		}
		k := [2]string{p.sheet, fmt.Sprintf("%s%d", p.col, p.row)}
		if reasons[k] == nil {
			order = append(order, k)
		}
		text := p.reason
		if p.header != "" {
			text = p.header + ": " + p.reason
		}
		reasons[k] = append(reasons[k], text)
	}
	comments := map[string]map[string]string{} // a sheet's comments, read once: sheet → cell → text
	for _, k := range order {
		sheet, cell := k[0], k[1]
		own, err := f.GetCellStyle(sheet, cell)
		if err != nil {
			return fmt.Errorf("mark %s!%s: %w", sheet, cell, err)
		}
		red, ok := redOf[own]
		if !ok {
			st, err := f.GetStyle(own)
			if err != nil || st == nil {
				st = &excelize.Style{}
			}
			st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{markedFill}}
			if red, err = f.NewStyle(st); err != nil {
				return err
			}
			redOf[own] = red
		}
		if err := f.SetCellStyle(sheet, cell, cell, red); err != nil {
			return err
		}
		text := strings.Join(reasons[k], "\n")
		if comments[sheet] == nil {
			comments[sheet] = sheetComments(f, sheet)
		}
		if old := comments[sheet][cell]; old != "" {
			text = old + "\n—\n" + text
			f.DeleteComment(sheet, cell)
		}
		if err := f.AddComment(sheet, excelize.Comment{Cell: cell, Author: "Ban Tổ chức", Text: text}); err != nil {
			return fmt.Errorf("comment %s!%s: %w", sheet, cell, err)
		}
	}
	return nil
}

// keyColumn is where a problem of a whole row is marked: the cell holding the
// row's own code, else its first cell with something in it.
func keyColumn(rows [][]string, p *markProblem) string {
	if p.row > len(rows) {
		return "A"
	}
	cells := rows[p.row-1]
	first := ""
	for i, v := range cells {
		name, _ := excelize.ColumnNumberToName(i + 1)
		if p.key != "" && strings.TrimSpace(v) == p.key {
			return name
		}
		if first == "" && strings.TrimSpace(v) != "" {
			first = name
		}
	}
	if first == "" {
		return "A"
	}
	return first
}

// sheetComments is the comments a sheet already has, by cell: read once per
// sheet, not once per marked cell (excelize returns them all each time).
func sheetComments(f *excelize.File, sheet string) map[string]string {
	out := map[string]string{}
	cs, _ := f.GetComments(sheet)
	for _, c := range cs {
		text := c.Text
		if text == "" {
			var b strings.Builder
			for _, r := range c.Paragraph {
				b.WriteString(r.Text)
			}
			text = b.String()
		}
		out[c.Cell] = text
	}
	return out
}

// markedList is the first sheet: every problem, with a link to its cell.
func markedList(f *excelize.File, probs []markProblem, file string) error {
	sh := markedListSheet
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	first := f.GetSheetList()[0]
	if first != sh {
		if err := f.MoveSheet(sh, first); err != nil {
			return err
		}
	}
	bold, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13, Color: "7F0000"}, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	head, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"7F0000"}},
		Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	wrap, _ := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	link, _ := f.NewStyle(&excelize.Style{Font: &excelize.Font{Color: "0563C1", Underline: "single"}, Alignment: &excelize.Alignment{Vertical: "top"}})
	f.SetCellStr(sh, "A1", fmt.Sprintf("Tệp %s: %d lỗi cần sửa. Các ô có lỗi được tô đỏ, lý do ghi trong ghi chú của ô; bấm vào ô ở cột B để đến ô đó.", file, len(probs)))
	f.MergeCell(sh, "A1", "G1")
	f.SetCellStyle(sh, "A1", "G1", bold)
	f.SetRowHeight(sh, 1, 36)
	header := []any{"STT", "Ô", "Sheet", "Dòng", "Cột", "Giá trị", "Lý do"}
	f.SetSheetRow(sh, "A3", &header)
	f.SetCellStyle(sh, "A3", "G3", head)
	for i, p := range probs {
		r := 4 + i
		cell := fmt.Sprintf("%s%d", p.col, p.row)
		vals := []string{fmt.Sprint(i + 1), cell, p.sheet, fmt.Sprint(p.row), p.header, p.value, p.reason}
		for c, v := range vals { // text from input stays text, never a formula
			name, _ := excelize.CoordinatesToCellName(c+1, r)
			if err := f.SetCellStr(sh, name, v); err != nil {
				return err
			}
		}
		b := fmt.Sprintf("B%d", r)
		target := fmt.Sprintf("'%s'!%s", strings.ReplaceAll(p.sheet, "'", "''"), cell)
		if err := f.SetCellHyperLink(sh, b, target, "Location"); err != nil {
			return err
		}
		f.SetCellStyle(sh, fmt.Sprintf("A%d", r), fmt.Sprintf("G%d", r), wrap)
		f.SetCellStyle(sh, b, b, link)
		lines := max(1, (len([]rune(p.reason))+59)/60, (len([]rune(p.value))+29)/30)
		f.SetRowHeight(sh, r, float64(15*lines+2))
	}
	for col, w := range map[string]float64{"A": 6, "B": 8, "C": 14, "D": 7, "E": 22, "F": 30, "G": 60} {
		f.SetColWidth(sh, col, col, w)
	}
	f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"})
	f.SetSheetDimension(sh, fmt.Sprintf("A1:G%d", 3+len(probs)))
	idx, _ := f.GetSheetIndex(sh)
	f.SetActiveSheet(idx)
	return printSetup(f, sh, "$3:$3")
}

// xmlControl is a character XML 1.0 forbids, raw or as a character reference.
var xmlControl = regexp.MustCompile(`[\x00-\x08\x0B\x0C\x0E-\x1F]|&#(?:x0*[0-8BbCcEeFf]|x0*1[0-9A-Fa-f]|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));`)

// visibleControls returns path itself when no XML part of the workbook holds
// a character XML forbids; else a copy in tmpDir whose such characters read
// [U+000B], within limit bytes inflated.
func visibleControls(path, tmpDir string, limit int64) (string, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return "", err
	}
	defer zr.Close()
	parts := make([][]byte, len(zr.File))
	var total int64
	found := false
	for i, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(io.LimitReader(rc, limit-total+1))
		rc.Close()
		if err != nil {
			return "", err
		}
		if total += int64(len(b)); total > limit {
			return "", fmt.Errorf("inflates beyond %d bytes", limit)
		}
		if strings.HasSuffix(zf.Name, ".xml") && xmlControl.Match(b) {
			found = true
			b = xmlControl.ReplaceAllFunc(b, func(m []byte) []byte {
				r := rune(m[0])
				if m[0] == '&' { // &#11; or &#x0B;
					n, base := strings.ToLower(string(m[2:len(m)-1])), 10
					if strings.HasPrefix(n, "x") {
						n, base = n[1:], 16
					}
					v, _ := strconv.ParseInt(n, base, 32)
					r = rune(v)
				}
				return []byte(fmt.Sprintf("[U+%04X]", r))
			})
		}
		parts[i] = b
	}
	if !found {
		return path, nil
	}
	tmp, err := os.CreateTemp(tmpDir, ".danh-dau-*.xlsx")
	if err != nil {
		return "", err
	}
	zw := zip.NewWriter(tmp)
	for i, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err == nil {
			_, err = w.Write(parts[i])
		}
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
			return "", err
		}
	}
	if err := zw.Close(); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return "", err
	}
	return tmp.Name(), tmp.Close()
}
