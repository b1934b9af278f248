package script

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/plugins"
)

// Template markers of the Jinja2 subset download-resource-and-render
// understands: {{ PATH }} expressions and {# comments #}. Statements
// ({% ... %}) are refused with a clear error rather than misrendered.
const (
	exprOpen     = "{{"
	exprClose    = "}}"
	commentOpen  = "{#"
	commentClose = "#}"
	stmtOpen     = "{%"
)

// render expands a template. An expression is a path into scope:
// names joined by dots or subscripts (ctx.node.properties.port,
// ctx.instance.runtime_properties['ip'], servers[0]). As in Jinja2, an
// undefined value renders as nothing; strings render as they are and
// other values as JSON.
func render(name, tmpl string, scope map[string]any) (string, error) {
	var b strings.Builder
	line := 1
	for {
		i := strings.Index(tmpl, "{")
		if i < 0 || i+1 >= len(tmpl) {
			b.WriteString(tmpl)
			return b.String(), nil
		}
		b.WriteString(tmpl[:i])
		line += strings.Count(tmpl[:i], "\n")
		rest := tmpl[i:]
		switch {
		case strings.HasPrefix(rest, exprOpen):
			end := strings.Index(rest, exprClose)
			if end < 0 {
				return "", fmt.Errorf("%s:%d: %q is not closed by %q: %w", name, line, exprOpen, exprClose, ErrResource)
			}
			expr := strings.TrimSpace(rest[len(exprOpen):end])
			path, err := parseTemplatePath(expr)
			if err != nil {
				return "", fmt.Errorf("%s:%d: {{ %s }}: %v (only paths such as ctx.node.properties.port are supported): %w", name, line, expr, err, ErrResource)
			}
			v, _ := plugins.GetPath(scope, path...)
			s, err := format(v)
			if err != nil {
				return "", err
			}
			b.WriteString(s)
			line += strings.Count(rest[:end], "\n")
			tmpl = rest[end+len(exprClose):]
		case strings.HasPrefix(rest, commentOpen):
			end := strings.Index(rest, commentClose)
			if end < 0 {
				return "", fmt.Errorf("%s:%d: %q is not closed by %q: %w", name, line, commentOpen, commentClose, ErrResource)
			}
			line += strings.Count(rest[:end], "\n")
			tmpl = rest[end+len(commentClose):]
		case strings.HasPrefix(rest, stmtOpen):
			return "", fmt.Errorf("%s:%d: template statements ({%% ... %%}) are not supported; use {{ PATH }} expressions and template_variables: %w", name, line, ErrResource)
		default:
			b.WriteByte('{')
			tmpl = rest[1:]
		}
	}
}

// parseTemplatePath reads a.b['c'][0] into its keys.
func parseTemplatePath(expr string) ([]string, error) {
	if expr == "" {
		return nil, fmt.Errorf("empty expression")
	}
	var keys []string
	for expr != "" {
		switch expr[0] {
		case '.':
			expr = expr[1:]
			continue
		case '[':
			end := strings.IndexByte(expr, ']')
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			inner := strings.TrimSpace(expr[1:end])
			expr = expr[end+1:]
			if n := len(inner); n >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[n-1] == inner[0] {
				keys = append(keys, inner[1:n-1])
				continue
			}
			if _, err := strconv.Atoi(inner); err == nil {
				keys = append(keys, inner)
				continue
			}
			return nil, fmt.Errorf("subscript [%s] is neither a quoted key nor an index", inner)
		}
		end := strings.IndexAny(expr, ".[")
		if end < 0 {
			end = len(expr)
		}
		name := expr[:end]
		if !validIdent(name) {
			return nil, fmt.Errorf("%q is not a name", name)
		}
		keys = append(keys, name)
		expr = expr[end:]
	}
	return keys, nil
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (i > 0 && r >= '0' && r <= '9') {
			continue
		}
		return false
	}
	return true
}
