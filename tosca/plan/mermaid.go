package plan

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// RenderMermaid writes the plan's topology as a Mermaid flowchart:
// contained_in (and scaling groups) as nested subgraphs, connected_to as
// solid arrows (-->) and depends_on as dotted arrows (-.->), each labelled
// with its relationship type.
func RenderMermaid(p *tosca.Plan, w io.Writer, opts RenderOptions) error {
	s, err := buildScene(p, opts)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	bw.WriteString("flowchart TB\n")
	var emit func(v, depth int)
	emit = func(v, depth int) {
		ind := strings.Repeat("  ", depth)
		vx := &s.verts[v]
		if len(vx.kids) == 0 && !vx.group {
			fmt.Fprintf(bw, "%sv%d[\"%s\"]\n", ind, v, mermaidText(vx.label))
			return
		}
		title := vx.label
		if !vx.group {
			title = []string{"contained in " + vx.label[0]}
		}
		fmt.Fprintf(bw, "%ssubgraph c%d[\"%s\"]\n", ind, v, mermaidText(title))
		if vx.group {
			fmt.Fprintf(bw, "%s  direction TB\n", ind)
		} else {
			fmt.Fprintf(bw, "%s  v%d[\"%s\"]:::container\n", ind, v, mermaidText(vx.label))
		}
		for _, k := range vx.kids {
			emit(k, depth+1)
		}
		fmt.Fprintf(bw, "%send\n", ind)
		if vx.group {
			fmt.Fprintf(bw, "%sclass c%d scalinggroup\n", ind, v)
		}
	}
	for _, r := range s.roots {
		emit(r, 1)
	}
	for _, e := range s.edges {
		arrow := "-->"
		if e.kind != relConnected {
			arrow = "-.->"
		}
		fmt.Fprintf(bw, "  v%d %s|\"%s\"| v%d\n", e.from, arrow, mermaidText([]string{e.typ}), e.to)
	}
	bw.WriteString("  classDef container stroke-width:3px\n")
	bw.WriteString("  classDef scalinggroup stroke-dasharray:5 5\n")
	return bw.Flush()
}

var mermaidEscaper = strings.NewReplacer(
	"&", "#amp;", `"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;", "\n", "<br/>")

// mermaidText escapes label lines for a quoted Mermaid label.
func mermaidText(lines []string) string {
	return mermaidEscaper.Replace(strings.Join(lines, "\n"))
}
