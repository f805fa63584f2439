package ingest

import (
	"flag"
	"os"
	"testing"
)

// TestMain makes every sheet any test of this package loads be read by the
// fast reader and by excelize, and compared row by row (xlsxfast.go) — but
// not for benchmarks, which measure the reader as it runs in production.
func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Setenv("ORGQA_VERIFY_XLSX", "1")
	}
	os.Exit(m.Run())
}
