// Package sql holds orgqa's transforms as .sql files, embedded in the binary.
// Each file is one model; its header says what it builds and what it reads.
// tests/ holds the data tests checked after the models.
package sql

import "embed"

// Models are the transform files.
//
//go:embed *.sql
var Models embed.FS

// Tests are the data tests: tests/tests.txt (generic) and tests/*.sql (custom).
//
//go:embed tests
var Tests embed.FS
