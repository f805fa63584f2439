package ingest

import (
	"os"
	"testing"
)

// TestMain makes every sheet any test of this package loads be read by the
// fast reader and by excelize, and compared row by row (xlsxfast.go).
func TestMain(m *testing.M) {
	os.Setenv("ORGQA_VERIFY_XLSX", "1")
	os.Exit(m.Run())
}
