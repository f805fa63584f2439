// Package sql holds orgqa's transforms as .sql files, embedded in the binary.
// Each file is one model; its header says what it builds and what it reads.
package sql

import "embed"

// Models are the transform files.
//
//go:embed *.sql
var Models embed.FS
