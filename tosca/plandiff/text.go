package plandiff

import (
	"fmt"
	"io"
	"strings"
)

// marks are the prefixes of a change's lines.
var marks = map[Kind]string{Added: "+", Removed: "-", Modified: "~"}

// WriteText writes the change for people, one line per changed entity,
// in the order of the Change ("no changes" when there is none).
func (c *Change) WriteText(w io.Writer) error {
	var b strings.Builder
	if c.Empty() {
		b.WriteString("no changes\n")
	}
	if len(c.Nodes) > 0 {
		b.WriteString("nodes:\n")
		for _, n := range c.Nodes {
			fmt.Fprintf(&b, "  %s %s", marks[n.Kind], n.Node)
			var what []string
			if len(n.Type) == 2 {
				what = append(what, fmt.Sprintf("type %s -> %s", n.Type[0], n.Type[1]))
			}
			if len(n.Properties) > 0 {
				what = append(what, "properties "+strings.Join(n.Properties, ", "))
			}
			if len(n.Operations) > 0 {
				what = append(what, "operations "+strings.Join(n.Operations, ", "))
			}
			if len(n.Instances) == 2 {
				what = append(what, fmt.Sprintf("instances %d -> %d", n.Instances[0], n.Instances[1]))
			}
			if len(what) > 0 {
				b.WriteString(": " + strings.Join(what, "; "))
			}
			b.WriteString("\n")
		}
	}
	if len(c.Relationships) > 0 {
		b.WriteString("relationships:\n")
		for _, r := range c.Relationships {
			fmt.Fprintf(&b, "  %s %s -> %s (%s)", marks[r.Kind], r.Source, r.Target, r.Type)
			var what []string
			if len(r.Properties) > 0 {
				what = append(what, "properties "+strings.Join(r.Properties, ", "))
			}
			if len(r.Operations) > 0 {
				what = append(what, "operations "+strings.Join(r.Operations, ", "))
			}
			if len(what) > 0 {
				b.WriteString(": " + strings.Join(what, "; "))
			}
			b.WriteString("\n")
		}
	}
	for _, sec := range []struct {
		name string
		l    []EntryChange
	}{{"inputs", c.Inputs}, {"outputs", c.Outputs}, {"capabilities", c.Capabilities}, {"workflows", c.Workflows}} {
		if len(sec.l) == 0 {
			continue
		}
		b.WriteString(sec.name + ":\n")
		for _, e := range sec.l {
			fmt.Fprintf(&b, "  %s %s\n", marks[e.Kind], e.Name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
