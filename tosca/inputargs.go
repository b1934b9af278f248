package tosca

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// ErrBadInput is wrapped by ParseInputs errors.
var ErrBadInput = errors.New("invalid inputs")

var keyValueRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*=`)

// ParseInputs merges deployment inputs given as `-i` arguments, in order
// (later ones win). Each argument is a YAML/JSON file holding a dict, a
// KEY=VALUE pair (several may be joined with ';'; VALUE is read as YAML, so
// 3 is a number and [a, b] a list; quote it to keep a string), or an inline
// YAML/JSON dict.
func ParseInputs(args []string) (map[string]any, error) {
	out := map[string]any{}
	for _, arg := range args {
		if strings.TrimSpace(arg) == "" {
			continue
		}
		if st, err := os.Stat(arg); err == nil && !st.IsDir() {
			data, err := os.ReadFile(arg)
			if err != nil {
				return nil, fmt.Errorf("inputs file %s: %w", arg, err)
			}
			if int64(len(data)) > DefaultMaxFileSize {
				return nil, fmt.Errorf("inputs file %s is larger than %d bytes: %w", arg, DefaultMaxFileSize, ErrBadInput)
			}
			m, err := yamlDict(data)
			if err != nil {
				return nil, fmt.Errorf("inputs file %s: %w", arg, err)
			}
			for k, v := range m {
				out[k] = v
			}
			continue
		}
		if keyValueRe.MatchString(arg) {
			for _, part := range splitPairs(arg) {
				k, v, _ := strings.Cut(part, "=")
				out[strings.TrimSpace(k)] = yamlScalar(v)
			}
			continue
		}
		m, err := yamlDict([]byte(arg))
		if err != nil {
			return nil, fmt.Errorf("input %q is not a file, KEY=VALUE or a YAML/JSON dict: %w", arg, err)
		}
		for k, v := range m {
			out[k] = v
		}
	}
	return out, nil
}

// splitPairs splits "a=1;b=2" on ';' when every part is KEY=VALUE;
// otherwise the whole argument is one pair (its value may hold ';').
func splitPairs(arg string) []string {
	parts := strings.Split(arg, ";")
	for _, p := range parts {
		if !keyValueRe.MatchString(p) {
			return []string{arg}
		}
	}
	return parts
}

func yamlScalar(s string) any {
	if s == "" {
		return ""
	}
	n, probs := decodeYAML("input", []byte(s), DefaultMaxFileSize)
	if len(probs) > 0 || n == nil {
		return s
	}
	// A bare word with ':' would be read as a dict; keep such text a string.
	if n.kind == kMap && !strings.HasPrefix(strings.TrimSpace(s), "{") {
		return s
	}
	return n.plain()
}

func yamlDict(data []byte) (map[string]any, error) {
	n, probs := decodeYAML("input", data, DefaultMaxFileSize)
	if len(probs) > 0 {
		return nil, fmt.Errorf("%s: %w", probs[0].Message, ErrBadInput)
	}
	m, ok := n.plain().(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected a dict of inputs: %w", ErrBadInput)
	}
	return m, nil
}
