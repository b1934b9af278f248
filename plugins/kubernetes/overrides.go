package kubernetes

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadPath is returned for an override path that does not parse or does
// not match the manifest.
var ErrBadPath = errors.New("bad override path")

// An override path addresses one value in a manifest, e.g.
//
//	spec.replicas
//	spec.containers[0].image
//	spec.containers[name=quagga].env[name=ROUTES].value
//	metadata.labels["app.kubernetes.io/name"]
//
// Segments are separated by dots; a segment is a map key, optionally
// followed by [N] (list index) or [KEY=VALUE] (the list element whose KEY
// equals VALUE) or ["KEY"] (a map key that contains dots). Unlike the 2016
// plugin's overrides (Python statements passed to exec), a path can only
// assign a value: it never runs code.
type pathStep struct {
	key      string // map key (when index < 0 and selKey == "")
	index    int    // list index, or -1
	selKey   string // list element selector key
	selValue string
}

func (s pathStep) String() string {
	switch {
	case s.selKey != "":
		return fmt.Sprintf("[%s=%s]", s.selKey, s.selValue)
	case s.index >= 0:
		return fmt.Sprintf("[%d]", s.index)
	default:
		return s.key
	}
}

// parsePath splits an override path into steps.
func parsePath(path string) ([]pathStep, error) {
	if strings.TrimSpace(path) == "" {
		return nil, fmt.Errorf("%w: empty path", ErrBadPath)
	}
	var steps []pathStep
	i := 0
	expectKey := true
	for i < len(path) {
		c := path[i]
		switch {
		case c == '[':
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("%w %q: unclosed '[' at offset %d", ErrBadPath, path, i)
			}
			inner := path[i+1 : i+end]
			step, err := parseBracket(inner)
			if err != nil {
				return nil, fmt.Errorf("%w %q: %v", ErrBadPath, path, err)
			}
			steps = append(steps, step)
			i += end + 1
			expectKey = false
		case c == '.':
			if expectKey {
				return nil, fmt.Errorf("%w %q: empty segment at offset %d", ErrBadPath, path, i)
			}
			i++
			expectKey = true
			if i == len(path) {
				return nil, fmt.Errorf("%w %q: ends with '.'", ErrBadPath, path)
			}
		default:
			if !expectKey {
				return nil, fmt.Errorf("%w %q: expected '.' or '[' at offset %d", ErrBadPath, path, i)
			}
			j := i
			for j < len(path) && path[j] != '.' && path[j] != '[' {
				j++
			}
			steps = append(steps, pathStep{key: path[i:j], index: -1})
			i = j
			expectKey = false
		}
	}
	return steps, nil
}

func parseBracket(inner string) (pathStep, error) {
	inner = strings.TrimSpace(inner)
	if inner == "" {
		return pathStep{}, errors.New("empty []")
	}
	if q := inner[0]; q == '"' || q == '\'' {
		if len(inner) < 2 || inner[len(inner)-1] != q {
			return pathStep{}, fmt.Errorf("unterminated quote in [%s]", inner)
		}
		return pathStep{key: inner[1 : len(inner)-1], index: -1}, nil
	}
	if k, v, ok := strings.Cut(inner, "="); ok {
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if k == "" {
			return pathStep{}, fmt.Errorf("selector [%s] has no key", inner)
		}
		return pathStep{index: -1, selKey: k, selValue: v}, nil
	}
	n, err := strconv.Atoi(inner)
	if err != nil || n < 0 {
		return pathStep{}, fmt.Errorf("[%s] is neither an index, a \"key\" nor a KEY=VALUE selector", inner)
	}
	return pathStep{index: n}, nil
}

// SetPath assigns value at path inside doc (a decoded YAML/JSON manifest).
// Missing map keys are created; list indexes and selectors must match an
// existing element.
func SetPath(doc map[string]any, path string, value any) error {
	steps, err := parsePath(path)
	if err != nil {
		return err
	}
	if steps[0].key == "" {
		return fmt.Errorf("%w %q: must start with a key", ErrBadPath, path)
	}
	var cur any = doc
	for n, step := range steps {
		last := n == len(steps)-1
		where := joinSteps(steps[:n])
		switch {
		case step.index < 0 && step.selKey == "": // map key
			m, ok := cur.(map[string]any)
			if !ok {
				return fmt.Errorf("%w %q: %s is %s, not a map", ErrBadPath, path, orRoot(where), kindOf(cur))
			}
			if last {
				m[step.key] = value
				return nil
			}
			next, ok := m[step.key]
			if !ok || next == nil {
				if steps[n+1].key == "" {
					return fmt.Errorf("%w %q: %s has no list %q", ErrBadPath, path, orRoot(where), step.key)
				}
				next = map[string]any{}
				m[step.key] = next
			}
			cur = next
		default: // list element
			l, ok := cur.([]any)
			if !ok {
				return fmt.Errorf("%w %q: %s is %s, not a list", ErrBadPath, path, orRoot(where), kindOf(cur))
			}
			idx := step.index
			if step.selKey != "" {
				idx = -1
				for i, el := range l {
					if em, ok := el.(map[string]any); ok && fmt.Sprint(em[step.selKey]) == step.selValue {
						idx = i
						break
					}
				}
				if idx < 0 {
					return fmt.Errorf("%w %q: no element of %s has %s=%s", ErrBadPath, path, orRoot(where), step.selKey, step.selValue)
				}
			} else if idx >= len(l) {
				return fmt.Errorf("%w %q: %s has %d element(s), index %d is out of range", ErrBadPath, path, orRoot(where), len(l), idx)
			}
			if last {
				l[idx] = value
				return nil
			}
			cur = l[idx]
		}
	}
	return nil
}

func joinSteps(steps []pathStep) string {
	var b strings.Builder
	for i, s := range steps {
		if i > 0 && s.index < 0 && s.selKey == "" {
			b.WriteByte('.')
		}
		b.WriteString(s.String())
	}
	return b.String()
}

func orRoot(where string) string {
	if where == "" {
		return "the manifest"
	}
	return where
}

func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a map"
	case []any:
		return "a list"
	case string:
		return "a string"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
