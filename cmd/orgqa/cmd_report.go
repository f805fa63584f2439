package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"orgqa/internal/delivery"
	"orgqa/internal/faults"
	"orgqa/internal/history"
	"orgqa/internal/vnfmt"
	"orgqa/internal/warehouse"
	"orgqa/reports"
)

type reportOptions struct {
	year    int
	output  string
	perUnit bool // also one workbook per reporting unit, to send down
}

func newReportCmd(e *env) *cobra.Command {
	o := &reportOptions{}
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the leadership workbook and the analysts' Parquet files for a year",
		Long: `report writes the year's workbooks into a new dated folder under <output>/excel/,
points <output>/excel/latest at it, and replaces the year's Parquet files under
<output>/parquet/.`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.session(cmd.Context(), "report", o.output, func(s *session) (err error) {
				if o.year == 0 {
					if o.year, err = latestYear(s.work, s.w.DB); err != nil {
						return err
					}
				}
				years, err := loadedYears(s.work, s.w.DB)
				if err != nil {
					return err
				}
				if err := requireYear(years, o.year); err != nil {
					return err
				}
				s.run.Year = o.year
				fp, err := s.fingerprint(o.year)
				if err != nil {
					return err
				}
				res, err := s.report(o)
				if err != nil {
					return err
				}
				backed := map[int]bool{}
				for _, y := range years {
					backed[y] = true
				}
				return s.publish(o.output, o.perUnit, []builtYear{{year: o.year, fingerprint: fp, res: res}}, backed)
			})
		},
	}
	cmd.Flags().IntVar(&o.year, "year", 0, "report year (default: the latest year loaded)")
	cmd.Flags().StringVar(&o.output, "output", "out", "folder for the excel/ and parquet/ outputs")
	cmd.Flags().BoolVar(&o.perUnit, "per-unit", false, "also write one workbook per reporting unit (don-vi/<year>/ in the run's folder)")
	return cmd
}

// workbookPath is where the year's province workbook is read: the latest run's folder.
func workbookPath(output string, year int) string {
	return filepath.Join(output, "excel", delivery.Latest, workbookName(year))
}

func workbookName(year int) string { return fmt.Sprintf("tong-hop-tccs-%d.xlsx", year) }

// reportResult is what the report step wrote into the staging folder.
type reportResult struct {
	excel   *reports.ExcelReport
	parquet []reports.ParquetFile
	rejects []reports.RejectsWorkbook
	units   []string
}

// report is the session's report step: everything into the staging folder.
func (s *session) report(o *reportOptions) (*reportResult, error) {
	var res *reportResult
	err := s.step("report", func() (map[string]any, error) {
		var err error
		res, err = reportRun(s.work, s.e, s.w, o.year, s.staging, o.perUnit)
		if res == nil || res.excel == nil {
			return nil, err
		}
		var rows int64
		for _, f := range res.parquet {
			rows += f.Rows
		}
		return map[string]any{"year": o.year, "reporting_units": res.excel.ReportingUnits, "organizations": res.excel.Organizations,
			"parquet_files": len(res.parquet), "parquet_rows": rows, "rejects_workbooks": len(res.rejects), "unit_workbooks": len(res.units)}, err
	})
	return res, err
}

// reportRun writes the year's workbooks and Parquet files under root.
func reportRun(ctx context.Context, e *env, w *warehouse.Warehouse, year int, root string, perUnit bool) (*reportResult, error) {
	res := &reportResult{}
	var err error
	if res.excel, err = reports.WriteExcel(ctx, w.DB, year, filepath.Join(root, "excel", workbookName(year)), e.now()); err != nil {
		return res, err
	}
	faults.Point("report.excel")
	if res.parquet, err = reports.WriteParquet(ctx, w.DB, year, root); err != nil {
		return res, err
	}
	if res.rejects, err = reports.WriteRejects(ctx, w.DB, year, root, e.now()); err != nil {
		return res, err
	}
	if perUnit {
		if res.units, err = reports.WriteUnitWorkbooks(ctx, w.DB, year, root, e.now()); err != nil {
			return res, err
		}
	}
	return res, nil
}

// builtYear is one year's outputs, staged by the report step.
type builtYear struct {
	year        int
	fingerprint string // the warehouse state they show
	res         *reportResult
}

// publish puts the staged outputs of the years built in place (at a safe
// point: a stop before it leaves the outputs of the last run), then sends the
// email. backed are the years with an accepted report: the others are no
// longer carried into latest/.
func (s *session) publish(output string, perUnit bool, built []builtYear, backed map[int]bool) error {
	var pub *delivery.Published
	years := delivery.Years{Backed: backed}
	for _, b := range built {
		years.Built = append(years.Built, b.year)
	}
	err := s.step("publish", func() (map[string]any, error) {
		var err error
		pub, err = delivery.Publish(s.staging, s.output, s.folder, years, s.cfg.Delivery.KeepRuns)
		if pub == nil {
			return nil, err
		}
		return map[string]any{"folder": pub.Folder, "years": years.Built, "parquet_files": len(pub.Parquet), "carried_over": len(pub.Carried),
			"dropped": len(pub.Dropped), "pruned": len(pub.Pruned)}, err
	})
	if err != nil {
		return err
	}
	newest := built[len(built)-1]
	s.run.Published, s.run.Fingerprint = filepath.Base(pub.Folder), newest.fingerprint
	m := &delivery.Marker{RunID: s.run.ID, PerUnit: perUnit, Folder: filepath.Base(pub.Folder), Published: s.e.now().UTC(), Years: map[int]string{}}
	if old, _ := delivery.ReadMarker(output); old != nil && (old.PerUnit || !perUnit) {
		// the years carried over keep what they showed
		for y := range backed {
			if fp := old.Shows(y); fp != "" {
				m.Years[y] = fp
			}
		}
	}
	for _, b := range built {
		m.Years[b.year] = b.fingerprint
	}
	for y, fp := range m.Years {
		if y > m.Year {
			m.Year, m.Fingerprint = y, fp
		}
	}
	s.marker = m
	latest := filepath.Join(s.output, "excel", delivery.Latest)
	for _, b := range built {
		fmt.Fprintf(s.e.stdout, "Excel:   %s (this run: %s)\n", filepath.Join(latest, workbookName(b.year)), pub.Folder)
	}
	for _, f := range pub.Parquet {
		fmt.Fprintf(s.e.stdout, "Parquet: %s\n", f)
	}
	for _, b := range built {
		for _, r := range b.res.rejects {
			rel, _ := filepath.Rel(filepath.Join(s.staging, "excel"), r.Path)
			fmt.Fprintf(s.e.stdout, "Rejects: %s (%d problems, to send back to unit %s)\n", filepath.Join(latest, rel), r.Problems, r.Unit)
		}
		if len(b.res.units) > 0 {
			fmt.Fprintf(s.e.stdout, "Units:   %d workbooks in %s\n", len(b.res.units), filepath.Join(latest, "don-vi", fmt.Sprint(b.year)))
		}
	}
	for _, b := range built {
		s.email(b.year, pub, b.res)
	}
	return nil
}

// email sends the province workbook when the config asks for it, after the
// nightly run only (an analyst's orgqa report mails nobody). A refused or
// unreachable server does not fail the run: the delivery is recorded as failed.
func (s *session) email(year int, pub *delivery.Published, res *reportResult) {
	cfg := s.cfg.Email
	if cfg == nil || s.run.Command != "run" {
		return
	}
	d := history.Delivery{Kind: "email", To: cfg.To}
	// the step records and logs a failure like any other; the run ignores it
	s.step("email", func() (map[string]any, error) {
		var err error
		if pub.Workbook(year) == "" {
			d.Skipped = delivery.ErrNoWorkbook.Error()
		} else if err = delivery.Send(cfg, s.emailMessage(year, pub, res)); err != nil {
			d.Error = err.Error()
			err = fmt.Errorf("email not delivered; the run goes on: %w", err)
		} else {
			d.OK = true
		}
		return map[string]any{"year": year, "to": strings.Join(cfg.To, ", "), "ok": d.OK}, err
	})
	s.run.Deliveries = append(s.run.Deliveries, d)
}

// emailMessage is the email leadership gets: in Vietnamese, with the run's summary.
func (s *session) emailMessage(year int, pub *delivery.Published, res *reportResult) delivery.Message {
	r := s.run
	now := s.e.now()
	var b strings.Builder
	fmt.Fprintf(&b, "Kính gửi các đồng chí,\n\nBáo cáo tổng hợp chất lượng tổ chức cơ sở đảng năm %d (lần chạy %d, lập lúc %s ngày %s) đính kèm thư này.\n\n",
		year, r.ID, now.Format("15:04"), vnfmt.Date(now))
	fmt.Fprintf(&b, "- Đơn vị báo cáo có số liệu: %s\n", vnfmt.Int(int64(res.excel.ReportingUnits)))
	fmt.Fprintf(&b, "- Tổ chức cơ sở đảng: %s\n", vnfmt.Int(int64(res.excel.Organizations)))
	fmt.Fprintf(&b, "- Tệp nhận được đêm nay: %s (nạp mới %s, không đổi %s, không nạp được %s)\n",
		vnfmt.Int(int64(r.Files.Seen)), vnfmt.Int(int64(r.Files.Loaded)), vnfmt.Int(int64(r.Files.Skipped)), vnfmt.Int(int64(r.Files.Failed)))
	fmt.Fprintf(&b, "- Dòng dữ liệu mới: %s, trong đó bị từ chối %s\n", vnfmt.Int(int64(r.Rows.Read)), vnfmt.Int(int64(r.Rows.Rejected)))
	if len(res.rejects) > 0 {
		fmt.Fprintf(&b, "- %s đơn vị có dữ liệu bị trả lại (xem thư mục tra-lai)\n", vnfmt.Int(int64(len(res.rejects))))
	}
	fmt.Fprintf(&b, "\nBản mới nhất luôn ở: %s\n\nThư này do orgqa gửi tự động; xin đừng trả lời.\n", pub.Workbook(year))
	return delivery.Message{
		Subject:    fmt.Sprintf("Báo cáo tổng hợp chất lượng tổ chức cơ sở đảng năm %d (%s)", year, vnfmt.Date(now)),
		Body:       b.String(),
		Attachment: pub.Workbook(year),
		Date:       now,
	}
}
