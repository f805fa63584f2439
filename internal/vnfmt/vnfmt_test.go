package vnfmt

import (
	"testing"
	"time"
)

func TestFormats(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 7: "7", 999: "999", 1296: "1.296", 88695: "88.695", 1048576: "1.048.576", -12345678: "-12.345.678"} {
		if got := Int(n); got != want {
			t.Errorf("Int(%d) = %q, want %q", n, got, want)
		}
	}
	for x, want := range map[float64]string{0.855: "85,5%", 0.2: "20,0%", 1: "100,0%", 0: "0,0%", 0.0005: "0,1%"} {
		if got := Percent(x); got != want {
			t.Errorf("Percent(%v) = %q, want %q", x, got, want)
		}
	}
	if got := Date(time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)); got != "05/03/2025" {
		t.Errorf("Date = %q", got)
	}
}
