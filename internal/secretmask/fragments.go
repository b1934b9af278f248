package secretmask

import (
	"encoding/json"
	"strings"
)

// Fragments returns what masking v covers: v itself, each of its lines and,
// when v is a JSON document, the fragments of each string leaf, keeping only
// those at least MinLen bytes long.
func Fragments(v string) []string {
	var out []string
	add := func(s string) {
		if len(s) >= MinLen {
			out = append(out, s)
		}
	}
	addText := func(s string) {
		add(s)
		if strings.ContainsAny(s, "\r\n") {
			for _, line := range strings.Split(s, "\n") {
				add(strings.Trim(line, " \t\r"))
			}
		}
	}
	addText(v)
	if len(v) > 0 && strings.ContainsAny(v[:1], "{[\"") {
		var doc any
		if json.Unmarshal([]byte(v), &doc) == nil {
			walkStrings(doc, addText)
		}
	}
	return out
}

// walkStrings calls fn for every string leaf of a decoded JSON document.
func walkStrings(v any, fn func(string)) {
	switch t := v.(type) {
	case map[string]any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	case []any:
		for _, e := range t {
			walkStrings(e, fn)
		}
	case string:
		fn(t)
	}
}
