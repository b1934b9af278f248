package plan

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/gantryhq/gantry/tosca"
)

// Summary writes a readable overview of p: its nodes (type, instance
// count, host, relationships), scaling groups, and the dependency layers
// in which instances can be installed (nodes when p has no instances yet).
func Summary(p *tosca.Plan, w io.Writer) error {
	if p == nil {
		return fmt.Errorf("summary: nil plan: %w", ErrUnknownTarget)
	}
	perNode := make(map[string]int, len(p.Nodes))
	for _, ni := range p.NodeInstances {
		perNode[ni.NodeID]++
	}
	expanded := p.NodeInstances != nil
	fmt.Fprintf(w, "Nodes (%d), node instances (%d):\n", len(p.Nodes), len(p.NodeInstances))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tTYPE\tINSTANCES\tHOST\tRELATIONSHIPS")
	for _, n := range p.Nodes {
		count := strconv.Itoa(n.Capabilities.DefaultInstances) + " planned"
		if expanded {
			count = strconv.Itoa(perNode[n.ID])
		}
		rels := make([]string, 0, len(n.Relationships))
		for _, r := range n.Relationships {
			s := classify(r).String() + " " + r.TargetID
			if r.Type != "" && !strings.HasSuffix(r.Type, "."+classify(r).String()) {
				s += " (" + r.Type + ")"
			}
			rels = append(rels, s)
		}
		host := n.HostID
		if host == "" {
			host = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", n.ID, n.Type, count, host, orDash(strings.Join(rels, ", ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.ScalingGroups) > 0 {
		names := make([]string, 0, len(p.ScalingGroups))
		for name := range p.ScalingGroups {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(w, "\nScaling groups (%d):\n", len(names))
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  GROUP\tINSTANCES\tMIN\tMAX\tMEMBERS")
		for _, name := range names {
			g := p.ScalingGroups[name]
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%s\t%s\n", name, g.Properties.DefaultInstances,
				g.Properties.MinInstances, maxString(g.Properties.MaxInstances), strings.Join(g.Members, ", "))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	layers, what, err := summaryLayers(p)
	if err != nil {
		return fmt.Errorf("summary: %w", err)
	}
	fmt.Fprintf(w, "\nDependency layers (%s; each layer only depends on earlier ones):\n", what)
	for k, l := range layers {
		fmt.Fprintf(w, "  %d: %s\n", k+1, l)
	}
	return nil
}

// summaryLayers lists each dependency layer as "node xN, ..." entries.
func summaryLayers(p *tosca.Plan) ([]string, string, error) {
	what := "instances"
	src := p
	if p.NodeInstances == nil {
		// Not expanded: one pseudo instance per node.
		what = "nodes"
		src = &tosca.Plan{NodeInstances: make([]*tosca.NodeInstance, len(p.Nodes))}
		for i, n := range p.Nodes {
			ni := &tosca.NodeInstance{ID: n.ID, NodeID: n.ID}
			for _, r := range n.Relationships {
				ni.Relationships = append(ni.Relationships, &tosca.InstanceRelationship{Type: r.Type, TargetName: r.TargetID, TargetID: r.TargetID})
			}
			src.NodeInstances[i] = ni
		}
	}
	g := BuildGraph(src)
	li, err := g.LayerIndices()
	if err != nil {
		return nil, "", err
	}
	out := make([]string, len(li))
	for k, layer := range li {
		var order []string
		count := map[string]int{}
		for _, i := range layer {
			n := g.NodeID(i)
			if count[n] == 0 {
				order = append(order, n)
			}
			count[n]++
		}
		parts := make([]string, len(order))
		for x, n := range order {
			parts[x] = n
			if what == "instances" {
				parts[x] += " x" + strconv.Itoa(count[n])
			}
		}
		out[k] = strings.Join(parts, ", ")
	}
	return out, what, nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func maxString(m int) string {
	if m < 0 {
		return "unbounded"
	}
	return strconv.Itoa(m)
}
