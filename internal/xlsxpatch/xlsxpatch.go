// Package xlsxpatch rewrites one part of a workbook on disk, for tests that
// need bytes no spreadsheet program writes (a control character in a cell, a
// DOCTYPE, a sheet cut off). Tests only: nothing in orgqa's binary uses it.
package xlsxpatch

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"os"
)

// Rewrite replaces the part named part of the workbook at path with fn of its bytes.
func Rewrite(path, part string, fn func([]byte) []byte) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	found := false
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			zr.Close()
			return err
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			zr.Close()
			return err
		}
		if zf.Name == part {
			body, found = fn(body), true
		}
		w, err := zw.Create(zf.Name)
		if err != nil {
			zr.Close()
			return err
		}
		w.Write(body)
	}
	zr.Close()
	if err := zw.Close(); err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%s has no part %s", path, part)
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}
