// Package vnfmt writes numbers and dates the Vietnamese way, for text that a
// Vietnamese reader sees (reasons, titles, notes): 1.296; 85,5%; 05/03/2025.
// Workbook cells use number formats instead, so their values stay numbers.
package vnfmt

import (
	"strconv"
	"strings"
	"time"
)

// Int writes a whole number with dots between thousands: 1.296, -12.345.678.
func Int(n int64) string {
	if n < 0 {
		return "-" + Int(-n)
	}
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "." + s[i:]
	}
	return s
}

// Percent writes a share (0,855) as a percentage with one decimal: 85,5%.
func Percent(share float64) string {
	return strings.Replace(strconv.FormatFloat(100*share, 'f', 1, 64), ".", ",", 1) + "%"
}

// Date writes a calendar day as dd/mm/yyyy.
func Date(t time.Time) string { return t.Format("02/01/2006") }
