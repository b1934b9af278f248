package plan

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// RenderDOT writes the plan's topology as a Graphviz digraph: contained_in
// (and scaling groups) as nested clusters, connected_to as solid blue
// edges and depends_on as dashed grey edges, each labelled with its
// relationship type. Render with e.g. `dot -Tsvg`.
func RenderDOT(p *tosca.Plan, w io.Writer, opts RenderOptions) error {
	s, err := buildScene(p, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	name := "topology"
	if opts.Instances {
		name = "instances"
	}
	fmt.Fprintf(bw, "digraph %s {\n", name)
	bw.WriteString("  compound=true;\n  rankdir=TB;\n  graph [fontname=\"Helvetica\"];\n")
	bw.WriteString("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#f5f5f5\", fontname=\"Helvetica\"];\n")
	bw.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	var emit func(v int, depth int)
	emit = func(v int, depth int) {
		ind := strings.Repeat("  ", depth)
		vx := &s.verts[v]
		if len(vx.kids) == 0 && !vx.group {
			fmt.Fprintf(bw, "%s%s [label=%s];\n", ind, dotID(v), dotLabel(vx.label))
			return
		}
		fmt.Fprintf(bw, "%ssubgraph cluster_%d {\n", ind, v)
		if vx.group {
			fmt.Fprintf(bw, "%s  label=%s;\n%s  style=dashed;\n%s  color=\"#888888\";\n", ind, dotLabel(vx.label), ind, ind)
		} else {
			fmt.Fprintf(bw, "%s  label=%s;\n%s  style=rounded;\n%s  color=\"#333333\";\n", ind, dotQuote("contained in "+vx.label[0]), ind, ind)
			fmt.Fprintf(bw, "%s  %s [label=%s, penwidth=2];\n", ind, dotID(v), dotLabel(vx.label))
		}
		for _, k := range vx.kids {
			emit(k, depth+1)
		}
		fmt.Fprintf(bw, "%s}\n", ind)
	}
	for _, r := range s.roots {
		emit(r, 1)
	}
	for _, e := range s.edges {
		style := "color=\"#1f5fa8\", fontcolor=\"#1f5fa8\""
		if e.kind != relConnected {
			style = "style=dashed, color=\"#666666\", fontcolor=\"#666666\""
		}
		fmt.Fprintf(bw, "  %s -> %s [label=%s, %s];\n", dotID(e.from), dotID(e.to), dotQuote(e.typ), style)
	}
	bw.WriteString("}\n")
	return bw.Flush()
}

func dotID(v int) string { return "v" + strconv.Itoa(v) }

// dotQuote makes a DOT double-quoted string.
func dotQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\n':
			b.WriteString(`\n`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func dotLabel(lines []string) string { return dotQuote(strings.Join(lines, "\n")) }
