package tosca

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/internal/readlimit"
)

// ErrBadInput is wrapped by ParseInputs errors.
var ErrBadInput = errors.New("invalid inputs")

var keyValueRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.\-]*=`)

// ParseInputs merges deployment inputs given as `-i` arguments, in order
// (later ones win). Each argument is a YAML/JSON file holding a dict (a
// regular file of at most DefaultMaxFileSize bytes: pipes and devices are
// refused), a KEY=VALUE pair (several may be joined with ';'), or an inline
// YAML/JSON dict.
//
// A KEY=VALUE value is read as YAML only when that loses nothing of the text
// (see cliValue): `3`, `true`, `[a, b]` and `{a: 1}` become a number, a
// boolean, a list and a dict, while `007`, `0x1F`, `1.10`, `.inf`, text with
// spaces or `#`, and multi-line text stay strings, as given. Prepare then
// converts a string to the input's declared type (integer, float, boolean).
func ParseInputs(args []string) (map[string]any, error) {
	out := map[string]any{}
	for _, arg := range args {
		if strings.TrimSpace(arg) == "" {
			continue
		}
		if _, err := os.Stat(arg); err == nil {
			data, err := readlimit.File(arg, DefaultMaxFileSize)
			switch {
			case errors.Is(err, readlimit.ErrNotRegular):
				return nil, fmt.Errorf("inputs file %s: Gantry reads inputs only from regular files (%v): %w", arg, err, ErrBadInput)
			case errors.Is(err, readlimit.ErrTooLarge):
				return nil, fmt.Errorf("inputs file %s is larger than %d bytes: %w", arg, DefaultMaxFileSize, ErrBadInput)
			case err != nil:
				return nil, fmt.Errorf("inputs file %s: %w", arg, err)
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
				cv, err := cliValue(v)
				if err != nil {
					return nil, fmt.Errorf("input %s: %w", strings.TrimSpace(k), err)
				}
				out[strings.TrimSpace(k)] = cv
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

// cliValue reads the VALUE of a KEY=VALUE argument. It is YAML only when
// reading it loses nothing: a flow list or dict, null, and numbers and
// booleans written exactly as Gantry would print them. Anything else is the
// text as given (quotes around it are removed).
func cliValue(s string) (any, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return s, nil
	}
	if s == "null" || s == "~" {
		return nil, nil
	}
	flow := strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{")
	if !flow && strings.ContainsAny(s, "\n\r") {
		return s, nil // multi-line text, kept as it is
	}
	n, probs := decodeYAML("input", []byte(s), DefaultMaxFileSize)
	if n == nil || len(probs) > 0 {
		if flow && len(probs) > 0 && probs[0].Code == CodeNonFinite {
			return nil, fmt.Errorf("%s: %w", probs[0].Message, ErrBadInput)
		}
		return s, nil
	}
	switch n.kind {
	case kSeq:
		return n.plain(), nil
	case kMap:
		if flow {
			return n.plain(), nil
		}
	case kString:
		if q := t[0]; (q == '\'' || q == '"') && t[len(t)-1] == q && len(t) >= 2 {
			return n.val, nil
		}
	default:
		if canonicalScalar(n) == s {
			return n.val, nil
		}
	}
	return s, nil
}

// canonicalScalar prints a number or boolean the way YAML and JSON output
// of Gantry print it.
func canonicalScalar(n *ynode) string {
	switch v := n.val.(type) {
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
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
