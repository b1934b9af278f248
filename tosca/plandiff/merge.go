package plandiff

import (
	"maps"

	"github.com/gantryhq/gantry/tosca"
)

// Merge returns the plan a deployment update runs over: new's nodes, each
// with the relationships of its old version that it lost appended (the
// update unlinks those), then the nodes of old that new does not have (the
// update uninstalls their instances). Everything else is new's; neither
// plan is modified (nodes that change are copies).
func Merge(old, new *tosca.Plan) *tosca.Plan {
	out := *new
	// Removed nodes may run scripts of a stored blueprint only the old
	// plan imported.
	if len(old.NamespacesMapping) > 0 {
		out.NamespacesMapping = maps.Clone(old.NamespacesMapping)
		maps.Copy(out.NamespacesMapping, new.NamespacesMapping)
	}
	oldNodes, newNodes := nodeIndex(old), nodeIndex(new)
	out.Nodes = make([]*tosca.Node, 0, len(new.Nodes)+len(old.Nodes))
	for _, n := range new.Nodes {
		if o := oldNodes[n.ID]; o != nil {
			if lost := lostRelationships(o, n); len(lost) > 0 {
				c := *n
				c.Relationships = append(append([]*tosca.Relationship(nil), n.Relationships...), lost...)
				n = &c
			}
		}
		out.Nodes = append(out.Nodes, n)
	}
	for _, o := range old.Nodes {
		if o != nil && newNodes[o.ID] == nil {
			out.Nodes = append(out.Nodes, o)
		}
	}
	return &out
}

// lostRelationships are o's relationships that n does not have (paired by
// target and type, in order).
func lostRelationships(o, n *tosca.Node) []*tosca.Relationship {
	have := map[relKey]int{}
	for _, r := range n.Relationships {
		if r != nil {
			have[relKey{r.TargetID, r.Type}]++
		}
	}
	var lost []*tosca.Relationship
	for _, r := range o.Relationships {
		if r == nil {
			continue
		}
		k := relKey{r.TargetID, r.Type}
		if have[k] > 0 {
			have[k]--
			continue
		}
		lost = append(lost, r)
	}
	return lost
}
