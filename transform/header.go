package transform

import "strings"

// headerField is one "-- key: value" line of a .sql file's leading comment.
type headerField struct {
	key, value string
	line       int // 1-based
}

// readHeader returns the fields of a file's leading comment whose key is one of
// keys; other comment lines are description. The header ends at the first line
// that is not a comment. Models and custom data tests share this grammar.
func readHeader(text string, keys ...string) []headerField {
	var out []headerField
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "--") {
			break
		}
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "--")), ":")
		key = strings.TrimSpace(key)
		for _, k := range keys {
			if ok && key == k {
				out = append(out, headerField{key: key, value: strings.TrimSpace(val), line: i + 1})
				break
			}
		}
	}
	return out
}
