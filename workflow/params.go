package workflow

import (
	"errors"
	"fmt"
	"sort"
)

// ErrBadParameter is wrapped by every workflow parameter error.
var ErrBadParameter = errors.New("invalid workflow parameter")

// params reads typed workflow parameters and rejects unknown ones.
type params struct {
	wf   string
	m    map[string]any
	used map[string]bool
}

func newParams(wf string, m map[string]any) *params {
	return &params{wf: wf, m: m, used: map[string]bool{}}
}

func (p *params) errf(name, format string, args ...any) error {
	return fmt.Errorf("%s parameter %q: %s: %w", p.wf, name, fmt.Sprintf(format, args...), ErrBadParameter)
}

func (p *params) str(name, def string) (string, error) {
	p.used[name] = true
	v, ok := p.m[name]
	if !ok || v == nil {
		return def, nil
	}
	s, ok := v.(string)
	if !ok {
		return "", p.errf(name, "want a string, got %T", v)
	}
	return s, nil
}

func (p *params) boolean(name string, def bool) (bool, error) {
	p.used[name] = true
	v, ok := p.m[name]
	if !ok || v == nil {
		return def, nil
	}
	b, ok := v.(bool)
	if !ok {
		return false, p.errf(name, "want true or false, got %T", v)
	}
	return b, nil
}

func (p *params) integer(name string, def int) (int, error) {
	p.used[name] = true
	v, ok := p.m[name]
	if !ok || v == nil {
		return def, nil
	}
	switch n := v.(type) {
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		if n != float64(int(n)) {
			return 0, p.errf(name, "want an integer, got %v", n)
		}
		return int(n), nil
	}
	return 0, p.errf(name, "want an integer, got %T", v)
}

func (p *params) strings(name string) ([]string, error) {
	p.used[name] = true
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil, nil
	}
	switch l := v.(type) {
	case []string:
		return l, nil
	case []any:
		out := make([]string, len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, p.errf(name, "element %d: want a string, got %T", i, e)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, p.errf(name, "want a list of strings, got %T", v)
}

func (p *params) object(name string) (map[string]any, error) {
	p.used[name] = true
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, p.errf(name, "want a mapping, got %T", v)
	}
	return m, nil
}

// optionalBool is a bool that may be unset (null).
func (p *params) optionalBool(name string) (*bool, error) {
	p.used[name] = true
	v, ok := p.m[name]
	if !ok || v == nil {
		return nil, nil
	}
	b, ok := v.(bool)
	if !ok {
		return nil, p.errf(name, "want true, false or null, got %T", v)
	}
	return &b, nil
}

// ignore marks parameters the builder accepts but does not use.
func (p *params) ignore(names ...string) {
	for _, n := range names {
		p.used[n] = true
	}
}

// finish rejects parameters nobody read.
func (p *params) finish() error {
	var unknown []string
	for k := range p.m {
		if !p.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("%s: unknown parameters %v: %w", p.wf, unknown, ErrBadParameter)
	}
	return nil
}
