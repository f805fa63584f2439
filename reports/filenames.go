package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// UnitFileKey is a unit code as the part of a file name that names its unit.
// Codes come from the units' own files, so anything but lowercase ASCII
// letters, digits, - and _ is replaced and the name is cut at 40 characters;
// when that changed the code (or it holds capitals, which a Windows share
// would fold), a dot and a short hash of the exact code follow, so that two units never
// share a file: 01.01 and 01/01 both clean to 01_01, and unit B's workbook
// must not overwrite unit A's. A code already safe stays as it is.
func UnitFileKey(code string) string {
	var b strings.Builder
	changed := false
	for _, r := range code {
		if b.Len() >= 40 {
			changed = true
			break
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_':
			b.WriteRune(r)
		case r >= 'A' && r <= 'Z':
			b.WriteRune(r)
			changed = true
		default:
			b.WriteByte('_')
			changed = true
		}
	}
	if b.Len() == 0 {
		b.WriteByte('_')
		changed = true
	}
	if !changed {
		return b.String()
	}
	sum := sha256.Sum256([]byte(code))
	return b.String() + "." + hex.EncodeToString(sum[:5]) // "." never survives cleaning
}
