package reports

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math"
	"orgqa/transform"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"orgqa/internal/vnfmt"
)

// Number formats carry the Vietnamese locale ([$-42A]) so that LibreOffice and
// Excel show 1.296 and 85,5% whatever the reader's own settings.
const (
	numFmtCount = "[$-42A]#,##0"
	numFmtPct   = "[$-42A]0.0%"
	numFmtRate  = "[$-42A]#,##0.00"
	numFmtDays  = "[$-42A]#,##0.0"
)

// styles are the workbook's cell styles, made once.
type styles struct {
	// thresholds are the rule set's green/amber/red limits: a share is
	// coloured by them, as M18 grades it, never by the spread of the rows shown
	thresholds                     map[string]transform.Threshold
	title, subtitle, group, header int
	text, center                   int
	byFormat                       map[cellFormat]int
	totalText                      int
	totalByFormat                  map[cellFormat]int
	noteHead, noteText             int
	// graded are the share style filled green (1), amber (2) and red (3)
	graded [4]int
}

func newStyles(f *excelize.File) (*styles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "A6A6A6", Style: 1}, {Type: "right", Color: "A6A6A6", Style: 1},
		{Type: "top", Color: "A6A6A6", Style: 1}, {Type: "bottom", Color: "A6A6A6", Style: 1},
	}
	font := func(bold bool, size float64, color string) *excelize.Font {
		return &excelize.Font{Family: "Times New Roman", Size: size, Bold: bold, Color: color}
	}
	s := &styles{byFormat: map[cellFormat]int{}, totalByFormat: map[cellFormat]int{}}
	var err error
	mk := func(st *excelize.Style) int {
		if err != nil {
			return 0
		}
		var id int
		id, err = f.NewStyle(st)
		return id
	}
	s.title = mk(&excelize.Style{Font: font(true, 14, "7F0000"), Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	s.subtitle = mk(&excelize.Style{Font: &excelize.Font{Family: "Times New Roman", Size: 11, Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	headFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"7F0000"}}
	groupFill := excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"A52A2A"}}
	s.group = mk(&excelize.Style{Font: font(true, 11, "FFFFFF"), Fill: groupFill, Border: border,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	s.header = mk(&excelize.Style{Font: font(true, 10, "FFFFFF"), Fill: headFill, Border: border,
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	s.text = mk(&excelize.Style{Font: font(false, 11, ""), Border: border, Alignment: &excelize.Alignment{Vertical: "center"}})
	s.center = mk(&excelize.Style{Font: font(false, 11, ""), Border: border, Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}})
	// in a fixed order: styles made in a map's order number differently from run to run
	for _, f := range []struct {
		cf cellFormat
		nf string
	}{{fmtCount, numFmtCount}, {fmtPct, numFmtPct}, {fmtRate, numFmtRate}, {fmtDays, numFmtDays}} {
		cf, nf := f.cf, f.nf
		s.byFormat[cf] = mk(&excelize.Style{Font: font(false, 11, ""), Border: border, CustomNumFmt: &nf, Alignment: &excelize.Alignment{Vertical: "center"}})
		s.totalByFormat[cf] = mk(&excelize.Style{Font: font(true, 11, ""), Border: border, CustomNumFmt: &nf,
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2DCDB"}}})
	}
	pct := numFmtPct
	for g, colour := range []string{"", "C6EFCE", "FFEB9C", "FFC7CE"} {
		if g > 0 {
			s.graded[g] = mk(&excelize.Style{Font: font(false, 11, ""), Border: border, CustomNumFmt: &pct, Alignment: &excelize.Alignment{Vertical: "center"},
				Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{colour}}})
		}
	}
	s.byFormat[fmtText] = s.text
	s.byFormat[fmtYesNo] = s.center
	s.byFormat[fmtRating] = s.center
	s.totalText = mk(&excelize.Style{Font: font(true, 11, ""), Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F2DCDB"}}})
	s.totalByFormat[fmtText] = s.totalText
	s.totalByFormat[fmtYesNo] = s.totalText
	s.totalByFormat[fmtRating] = s.totalText
	s.noteHead = mk(&excelize.Style{Font: font(true, 11, "FFFFFF"), Fill: headFill, Border: border, Alignment: &excelize.Alignment{Vertical: "center", WrapText: true}})
	s.noteText = mk(&excelize.Style{Font: font(false, 11, ""), Border: border, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	return s, err
}

// sheetWriter lays out one report sheet: a title, a subtitle, grouped headers,
// the rows and an optional total row, frozen under the headers and set for A4
// landscape printing.
type sheetWriter struct {
	f     *excelize.File
	sheet string
	st    *styles
	cols  []column
	// graded: the rows carry their own green/amber/red (M18's grades), so
	// no colour rule is laid over them
	graded bool
	// beforeRows adds what must be on the sheet before its rows stream (a chart)
	beforeRows func() error
}

// values joins a row's identity cells and its metric values into sheet cells.
func (w *sheetWriter) values(ident []any, vals []sql.NullFloat64) []any {
	out := append([]any(nil), ident...)
	k := 0
	for _, c := range w.cols {
		if c.metric == "" {
			continue
		}
		v := vals[k]
		k++
		switch {
		case !v.Valid:
			out = append(out, nil)
		case c.format == fmtYesNo && v.Float64 > 0:
			out = append(out, "Có")
		case c.format == fmtYesNo:
			out = append(out, "Chưa")
		case c.format == fmtRating:
			out = append(out, map[float64]string{4: "HTXS", 3: "HTT", 2: "HT", 1: "KHT"}[v.Float64])
		default:
			out = append(out, v.Float64)
		}
	}
	return out
}

const (
	groupRow  = 4
	headerRow = 5
	firstData = 6
)

// sheetSettings are what a sheet holds besides its cells: its dimension,
// colour rules, filter and page setup, for nrows data rows ending at lastRow.
func (w *sheetWriter) sheetSettings(nrows, lastRow int) error {
	f, sh := w.f, w.sheet
	last, _ := excelize.ColumnNumberToName(len(w.cols))
	// excelize leaves <dimension ref="A1"/>; readers that trust it (openpyxl
	// read-only, and pandas through it) would see one cell
	if err := f.SetSheetDimension(sh, fmt.Sprintf("A1:%s%d", last, max(lastRow, headerRow))); err != nil {
		return err
	}
	if !w.graded {
		if err := thresholdColours(f, sh, w.cols, w.st.thresholds, firstData, firstData+nrows-1); err != nil {
			return err
		}
	}
	if err := ratingColours(f, sh, w.cols, firstData, firstData+nrows-1); err != nil {
		return err
	}
	if lastRow >= firstData {
		if err := f.AutoFilter(sh, fmt.Sprintf("A%d:%s%d", headerRow, last, lastRow), nil); err != nil {
			return err
		}
	}
	// a table wider than one page can hold at a readable size prints over
	// several pages wide, its name columns repeated on each
	total, names, nameCols := 0.0, 0.0, 0
	for _, c := range w.cols {
		total += c.width
	}
	for _, c := range w.cols { // the leading columns that name the row
		if c.metric != "" {
			break
		}
		names += c.width
		nameCols++
	}
	titleCols := ""
	pages := 1
	if total > printableWidth && nameCols > 0 && names < printableWidth/2 {
		pages = int(math.Ceil((total - names) / (printableWidth - names)))
		lastName, _ := excelize.ColumnNumberToName(nameCols)
		titleCols = "$A:$" + lastName
	}
	return printSetupPages(f, sh, fmt.Sprintf("$%d:$%d", groupRow, headerRow), titleCols, pages)
}

// printableWidth is the width of columns (in characters) an A4 landscape page
// holds at about 8 pt: beyond it a sheet prints over several pages wide.
const printableWidth = 200

// panes freeze the header rows and the identifying columns.
func (w *sheetWriter) panes() *excelize.Panes {
	frozenCols := 0
	for frozenCols < len(w.cols) && w.cols[frozenCols].metric == "" {
		frozenCols++
	}
	topLeft, _ := excelize.CoordinatesToCellName(frozenCols+1, firstData)
	return &excelize.Panes{Freeze: true, XSplit: frozenCols, YSplit: firstData - 1, TopLeftCell: topLeft, ActivePane: "bottomRight"}
}

// write lays out the sheet through excelize's StreamWriter, so that memory
// does not grow with the rows: the organization sheets hold one row per
// grassroots organization (67.031 at national scale, where the in-memory sheet
// took gigabytes). Everything a StreamWriter would drop when set after it
// (dimension, conditional formats, filter, page setup, a chart) is set on the
// empty sheet before it is made.
func (w *sheetWriter) write(title, subtitle string, rows [][]any, total []any) error {
	k := 0
	return w.writeFrom(title, subtitle, len(rows), func() ([]any, error) {
		k++
		return rows[k-1], nil
	}, total)
}

// writeFrom is write with the rows taken one by one from next (called n
// times), so that a sheet of any length streams from the warehouse to the
// file without being held.
func (w *sheetWriter) writeFrom(title, subtitle string, n int, next func() ([]any, error), total []any) error {
	f, sh, st := w.f, w.sheet, w.st
	last, _ := excelize.ColumnNumberToName(len(w.cols))
	cell := func(col, row int) string {
		name, _ := excelize.CoordinatesToCellName(col, row)
		return name
	}
	lastRow := firstData + n - 1
	if total != nil {
		lastRow++
	}
	if err := w.sheetSettings(n, lastRow); err != nil {
		return err
	}
	if w.beforeRows != nil {
		if err := w.beforeRows(); err != nil {
			return err
		}
	}
	sw, err := f.NewStreamWriter(sh)
	if err != nil {
		return err
	}
	for i, c := range w.cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(w.panes()); err != nil {
		return err
	}
	styled := func(style int, first any) []any {
		out := make([]any, len(w.cols))
		for i := range out {
			out[i] = excelize.Cell{StyleID: style}
		}
		out[0] = excelize.Cell{StyleID: style, Value: first}
		return out
	}
	if err := sw.SetRow("A1", styled(st.title, title), excelize.RowOpts{Height: 24}); err != nil {
		return err
	}
	if err := sw.SetRow("A2", styled(st.subtitle, subtitle)); err != nil {
		return err
	}
	merges := [][2]string{{"A1", last + "1"}, {"A2", last + "2"}}
	// headers: a column without a group spans both header rows
	group, header := make([]any, len(w.cols)), make([]any, len(w.cols))
	for i := 0; i < len(w.cols); {
		c := w.cols[i]
		if c.group == "" {
			group[i] = excelize.Cell{StyleID: st.header, Value: c.header}
			header[i] = excelize.Cell{StyleID: st.header}
			merges = append(merges, [2]string{cell(i+1, groupRow), cell(i+1, headerRow)})
			i++
			continue
		}
		j := i
		for j < len(w.cols) && w.cols[j].group == c.group {
			group[j] = excelize.Cell{StyleID: st.group}
			header[j] = excelize.Cell{StyleID: st.header, Value: w.cols[j].header}
			j++
		}
		group[i] = excelize.Cell{StyleID: st.group, Value: c.group}
		if j-i > 1 {
			merges = append(merges, [2]string{cell(i+1, groupRow), cell(j, groupRow)})
		}
		i = j
	}
	if err := sw.SetRow(cell(1, groupRow), group, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	if err := sw.SetRow(cell(1, headerRow), header, excelize.RowOpts{Height: 66}); err != nil {
		return err
	}
	out := make([]any, len(w.cols))
	put := func(r int, vals []any, styleOf func(cellFormat) int) error {
		for i, c := range w.cols {
			s := styleOf(c.format)
			if i == 0 && c.metric == "" {
				s = styleOf(fmtYesNo) // STT, centred
			}
			var v any
			if i < len(vals) {
				v = vals[i]
			}
			if c, styled := v.(excelize.Cell); styled { // a value graded green, amber or red
				out[i] = c
				continue
			}
			out[i] = excelize.Cell{StyleID: s, Value: v}
		}
		return sw.SetRow(cell(1, r), out)
	}
	for k := 0; k < n; k++ {
		vals, err := next()
		if err != nil {
			return err
		}
		if err := put(firstData+k, vals, func(cf cellFormat) int { return st.byFormat[cf] }); err != nil {
			return err
		}
	}
	if total != nil {
		if err := put(lastRow, total, func(cf cellFormat) int { return st.totalByFormat[cf] }); err != nil {
			return err
		}
	}
	for _, m := range merges {
		if err := sw.MergeCell(m[0], m[1]); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// viOrder orders names the Vietnamese way. Each name's collation key is
// made once and kept: sorting the nation's 67.031 organizations asked the
// collator to compare two names 1,2 million times (1,6 s of the report's
// CPU, each comparison walking both names' weights again). Keys compare as
// the collator compares their names (TestViOrderAgreesWithTheCollator). Not
// safe for concurrent use, as the collator is not.
type viOrder struct {
	col  *collate.Collator
	buf  collate.Buffer
	keys map[string][]byte
}

func newViOrder() *viOrder {
	return &viOrder{col: collate.New(language.Vietnamese), keys: map[string][]byte{}}
}

// key is name's collation key.
func (o *viOrder) key(name string) []byte {
	if k, ok := o.keys[name]; ok {
		return k
	}
	k := append([]byte(nil), o.col.KeyFromString(&o.buf, name)...)
	o.buf.Reset()
	o.keys[name] = k
	return k
}

// cmpNamed orders named units the Vietnamese way by name, ties by code, so
// that the same input gives the same workbook.
func cmpNamed(o *viOrder, nameA, codeA, nameB, codeB string) int {
	if c := bytes.Compare(o.key(nameA), o.key(nameB)); c != 0 {
		return c
	}
	return strings.Compare(codeA, codeB)
}

// printSetup prints a sheet on A4 landscape, one page wide, repeating the header rows.
func printSetup(f *excelize.File, sh, titleRows string) error {
	return printSetupPages(f, sh, titleRows, "", 1)
}

// printSetupPages is printSetup for a sheet printed pagesWide pages wide, with
// titleCols (e.g. "$A:$D") repeated on each.
func printSetupPages(f *excelize.File, sh, titleRows, titleCols string, pagesWide int) error {
	size, orient, fitW, fitH := 9, "landscape", pagesWide, 0
	if err := f.SetPageLayout(sh, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &fitW, FitToHeight: &fitH}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sh, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sh, &excelize.HeaderFooterOptions{OddFooter: "&CTrang &P / &N"}); err != nil {
		return err
	}
	var titles []string
	for _, t := range []string{titleCols, titleRows} {
		if t != "" {
			titles = append(titles, fmt.Sprintf("'%s'!%s", sh, t))
		}
	}
	if len(titles) == 0 {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: strings.Join(titles, ","), Scope: sh})
}

// writeNotes is the sheet that says what every column means.
func writeNotes(ctx context.Context, db *sql.DB, f *excelize.File, sh string, st *styles, year int, applied *rulesApplied) error {
	if _, err := f.NewSheet(sh); err != nil {
		return err
	}
	if err := sheetTitle(f, sh, st, fmt.Sprintf("PHƯƠNG PHÁP TÍNH CÁC CHỈ TIÊU NĂM %d", year), "C"); err != nil {
		return err
	}
	head := []any{"Nhóm", "Cột", "Cách tính"}
	if err := f.SetSheetRow(sh, "A3", &head); err != nil {
		return err
	}
	if err := f.SetCellStyle(sh, "A3", "C3", st.noteHead); err != nil {
		return err
	}
	r := 4
	// in metric order (M1 … M18), as the methodology reads
	ordered := append([]column(nil), columns...)
	sort.SliceStable(ordered, func(i, j int) bool { return metricNumber(ordered[i].metric) < metricNumber(ordered[j].metric) })
	for _, c := range ordered {
		if c.note == "" {
			continue
		}
		row := []any{c.group, c.header, c.note}
		cellName, _ := excelize.CoordinatesToCellName(1, r)
		if err := f.SetSheetRow(sh, cellName, &row); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, fmt.Sprintf("A%d", r), fmt.Sprintf("C%d", r), st.noteText); err != nil {
			return err
		}
		if err := fitRow(f, sh, r, c.group, c.header, c.note); err != nil {
			return err
		}
		r++
	}
	rules := []string{
		"Đảng viên được tính trong năm khi đang sinh hoạt (hoặc để trống trạng thái), hoặc ngày thay đổi trạng thái sau 31/12 của năm.",
		"Tổ chức cơ sở đảng của một đơn vị là đơn vị gần nhất từ đơn vị đó trở lên có cấp \"Tổ chức cơ sở đảng\"; chi bộ cơ sở vừa là tổ chức cơ sở đảng vừa là chi bộ.",
		"Số liệu cấp trên cộng tử số và mẫu số của cấp dưới, không lấy trung bình các tỷ lệ; tỷ lệ làm tròn một lần đến 0,1%.",
		"Ô để trống: không có đối tượng để tính (mẫu số bằng 0).",
	}
	r++
	for _, rule := range rules {
		cellName := fmt.Sprintf("A%d", r)
		if err := f.SetCellStr(sh, cellName, rule); err != nil {
			return err
		}
		if err := f.MergeCell(sh, cellName, fmt.Sprintf("C%d", r)); err != nil {
			return err
		}
		if err := f.SetCellStyle(sh, cellName, fmt.Sprintf("C%d", r), st.noteText); err != nil {
			return err
		}
		if err := f.SetRowHeight(sh, r, 32); err != nil {
			return err
		}
		r++
	}
	r = writeRules(f, sh, st, r+1, applied)
	r, err := writeInputFiles(ctx, db, f, sh, st, r+1, year)
	if err != nil {
		return err
	}
	if err := f.SetSheetDimension(sh, fmt.Sprintf("A1:C%d", r-1)); err != nil {
		return err
	}
	for i, w := range notesWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sh, col, col, w); err != nil {
			return err
		}
	}
	if err := f.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return printSetup(f, sh, "")
}

// writeRules lists the rules in force for the year from row r on and returns the
// next free row: the rule set, its thresholds and the configuration's hash.
func writeRules(f *excelize.File, sh string, st *styles, r int, a *rulesApplied) int {
	s := a.set
	pct := vnfmt.Percent
	put := func(style int, vals ...string) {
		cell, _ := excelize.CoordinatesToCellName(1, r)
		row := []any{vals[0], vals[1], vals[2]}
		f.SetSheetRow(sh, cell, &row)
		f.SetCellStyle(sh, cell, fmt.Sprintf("C%d", r), style)
		fitRow(f, sh, r, vals...)
		r++
	}
	put(st.noteHead, "Quy định áp dụng", s.ID, s.Title)
	duration := "Không áp dụng"
	if s.DurationRuleFrom != "" {
		if d, err := time.Parse("2006-01-02", s.DurationRuleFrom); err == nil {
			duration = fmt.Sprintf("Từ %s: tối thiểu %d phút, %d phút nếu kết hợp thường kỳ và chuyên đề", vnfmt.Date(d), s.MinMinutes, s.MinMinutesCombined)
		}
	}
	cut, _ := time.Parse("01-02", s.CommentCutoff)
	for _, row := range [][3]string{
		{"Tham số", "Hạn nơi công tác nhận phiếu nhận xét (M3)", cut.Format("02/01") + " của năm"},
		{"Tham số", "Thời hạn chi bộ nơi cư trú nhận giấy giới thiệu (M4)", fmt.Sprintf("%d ngày", s.LeadTimeDays)},
		{"Tham số", "Buổi sinh hoạt có đông đảng viên dự (M9)", fmt.Sprintf("trên %d%%", s.AttendanceGoodPct)},
		{"Tham số", "Thời lượng buổi sinh hoạt (M10)", duration},
		{"Tham số", "Tỷ lệ HTXS tối đa so với HTT (M16)", pct(s.ExcellenceQuota) + ". Căn cứ: " + s.QuotaSource},
		{"Tham số", "Tỷ lệ tính trên ít trường hợp", fmt.Sprintf("Không đánh giá xanh/vàng/đỏ khi mẫu số dưới %d (trừ khi ngưỡng ghi khác)", s.MinDenominator)},
	} {
		put(st.noteText, row[:]...)
	}
	for _, c := range s.Caps {
		put(st.noteText, "Giới hạn mức xếp loại", capCondition(c), "Tối đa "+strings.ToUpper(c.Max)+". Căn cứ: "+c.Source)
	}
	red := "Không giới hạn: chỉ là dấu hiệu cần xem xét (không quy định nào hạ mức xếp loại vì một chỉ tiêu)"
	if s.MaxRatingWithRed != "" {
		red = "Tối đa " + strings.ToUpper(s.MaxRatingWithRed) + " (quyết định của Ban, trong cấu hình; không phải quy định của Trung ương)"
	}
	put(st.noteText, "Giới hạn mức xếp loại", "Có chỉ tiêu ở mức đỏ", red)
	var metrics []string
	for m := range s.Thresholds {
		metrics = append(metrics, m)
	}
	sort.Slice(metrics, func(i, j int) bool {
		return len(metrics[i]) < len(metrics[j]) || len(metrics[i]) == len(metrics[j]) && metrics[i] < metrics[j]
	})
	for _, m := range metrics {
		t := s.Thresholds[m]
		rule := fmt.Sprintf("Xanh khi từ %s trở lên, vàng khi từ %s, dưới %s là đỏ", pct(t.Green), pct(t.Amber), pct(t.Amber))
		if t.Better == "lower" {
			rule = fmt.Sprintf("Xanh khi không quá %s, vàng khi không quá %s, trên %s là đỏ", pct(t.Green), pct(t.Amber), pct(t.Amber))
		}
		if t.Amber == 0 && t.Better == "higher" {
			rule = fmt.Sprintf("Xanh khi %s, còn lại vàng (không bao giờ đỏ)", pct(t.Green))
		}
		if t.Source != "" {
			rule += ". Căn cứ: " + t.Source
		}
		put(st.noteText, "Ngưỡng đánh giá", a.name(m), rule)
	}
	put(st.noteText, "Cấu hình", "Mã SHA-256 của tệp quy định", a.sha256)
	return r
}

// metricNumber is 4 for M4 and M4_on_time; 99 for what is not a metric.
func metricNumber(metric string) int {
	digits := strings.TrimPrefix(metric, "M")
	if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = digits[:i]
	}
	n, err := strconv.Atoi(digits)
	if err != nil || !strings.HasPrefix(metric, "M") {
		return 99
	}
	return n
}

// capCondition is a cap's condition in words.
func capCondition(c transform.Cap) string {
	switch c.When {
	case "org_disciplined":
		return "Tổ chức bị kỷ luật trong năm"
	case "subordinate_disciplined":
		return "Có chi bộ trực thuộc bị kỷ luật trong năm"
	case "subordinates_disciplined_over":
		return fmt.Sprintf("Trên %s số chi bộ trực thuộc bị kỷ luật trong năm", vnfmt.Percent(c.Share))
	case "member_disciplined":
		return "Có đảng viên bị kỷ luật trong năm"
	case "any_disciplined":
		return "Tổ chức, chi bộ trực thuộc hoặc đảng viên bị kỷ luật trong năm"
	case "member_kht":
		return "Có đảng viên xếp loại Không hoàn thành nhiệm vụ"
	case "members_htt_under":
		return fmt.Sprintf("Dưới %s đảng viên xếp loại HTT trở lên", vnfmt.Percent(c.Share))
	}
	return c.When
}

// notesWidths are the Giải thích sheet's column widths, in characters.
var notesWidths = []float64{26, 34, 90}

// fitRow sets a notes row tall enough for its longest wrapped cell: LibreOffice
// does not grow rows of a workbook it opens, so wrapped text would overlap.
func fitRow(f *excelize.File, sh string, r int, texts ...string) error {
	lines := 1.0
	for i, t := range texts {
		if i >= len(notesWidths) {
			break
		}
		perLine := notesWidths[i] * 1.1 // characters of Times New Roman 11 per unit of width, measured by eye
		if n := math.Ceil(float64(utf8.RuneCountInString(t)) / perLine); n > lines {
			lines = n
		}
	}
	return f.SetRowHeight(sh, r, 15*lines+2)
}
