package ingest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestResolveUnitCodes: a declared unit code is read as the one known unit
// it can be (zeros lost, spaces typed, an old code); several candidates
// refuse the file; none is a new unit, except on the very first reports.
func TestResolveUnitCodes(t *testing.T) {
	reform := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	end := reform.AddDate(0, 0, -1)
	list := []KnownUnit{
		{Code: "0100", Name: "Đảng ủy phường 1", OldCode: "H01", ValidFrom: &reform},
		{Code: "0200", Name: "Đảng ủy xã Tân An", ValidFrom: &reform},
		{Code: "H01", Name: "Huyện ủy cũ", ValidTo: &end},
		{Code: "01", Name: "Đơn vị 01"},
		{Code: "001", Name: "Đơn vị 001"},
	}
	withList := &unitIndex{list: list}
	fromReports := &unitIndex{earlier: map[string]bool{"0100": true, "0200": true}, now: map[string]bool{"0300": true}}
	first := &unitIndex{earlier: map[string]bool{}, now: map[string]bool{"0100": true}}
	cases := []struct {
		ui             *unitIndex
		declared       string
		year           int
		unit, status   string
		note, errorHas string
	}{
		{withList, "0100", 2025, "0100", "", "", ""},
		{withList, "100", 2025, "0100", UnitRestored, `được đọc là "0100" (Đảng ủy phường 1): số 0 ở đầu`, ""},
		{withList, "01 00", 2025, "0100", UnitRestored, "dấu cách", ""},
		{withList, "H01", 2026, "0100", UnitRestored, "mã cũ", ""},
		{withList, "H01", 2025, "H01", "", "", ""}, // the old district still existed in 2025
		{withList, "H01", 2024, "H01", "", "", ""},
		{withList, "1", 2025, "", "", "", "có thể là 001, 01"},
		{withList, "0900", 2025, "0900", UnitNew, "danh sách đơn vị báo cáo của tỉnh", ""},
		{fromReports, "300", 2025, "0300", UnitRestored, `"0300"`, ""},
		{fromReports, "0200", 2025, "0200", "", "", ""},
		{fromReports, "0700", 2025, "0700", UnitNew, "các báo cáo đã nạp trước đây", ""},
		{first, "0200", 2025, "0200", "", "", ""}, // the first night: nothing to compare with
	}
	for _, c := range cases {
		r, err := c.ui.resolve(c.declared, c.year)
		if c.errorHas != "" {
			if err == nil || !strings.Contains(err.Error(), c.errorHas) {
				t.Errorf("%q %d: error %v, want %q", c.declared, c.year, err, c.errorHas)
			}
			continue
		}
		if err != nil || r.unit != c.unit || r.status != c.status || !strings.Contains(r.note, c.note) {
			t.Errorf("%q %d: %+v %v, want %s %q %q", c.declared, c.year, r, err, c.unit, c.status, c.note)
		}
	}
}

// TestUnitFromFileName: a file that cannot be read is attributed by a known
// unit code in its name, and the year in it.
func TestUnitFromFileName(t *testing.T) {
	ui := &unitIndex{earlier: map[string]bool{"0100": true, "0200": true}, now: map[string]bool{}}
	for name, want := range map[string]string{
		"in/0200-bo-sung-2025.xlsx":  "0200 2025",
		"in/Bao cao 0100.xls":        "0100 0",
		"in/bao-cao-100_2024.ods":    "0100 2024",
		"in/0100 va 0200 2025.xlsx":  " 2025",
		"in/tong hop cua tinh.xlsx":  " 0",
		"in/don vi 0300 nam 25.xlsx": " 0",
	} {
		u, y := ui.fromName(name)
		if got := u + " " + strconv.Itoa(y); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
