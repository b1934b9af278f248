package plan

import (
	"fmt"

	"github.com/gantryhq/gantry/tosca"
)

// allToOneKey identifies an all_to_one relationship of a node template for
// keeping its chosen target across modifications.
type allToOneKey struct {
	source, target int // node units
	typ            string
}

// instances builds the node-instance records of the live instances of f:
// ids, host ids, scaling groups and relationship instances. Node
// instances come out in node declaration order, each node's instances in
// creation order. chosen holds earlier all_to_one targets (may be nil).
func (f *forest) instances(chosen map[allToOneKey]string) ([]*tosca.NodeInstance, error) {
	t := f.topo
	nodes := len(t.plan.Nodes)
	// Live instance records, indexed like f.insts (nil for groups/dead).
	recs := make([]*tosca.NodeInstance, len(f.insts))
	live := make([][]int, nodes) // live instance indices per node unit
	total := 0
	for u := 0; u < nodes; u++ {
		for _, i := range f.byUnit[u] {
			if !f.insts[i].dead {
				live[u] = append(live[u], i)
			}
		}
		total += len(live[u])
	}
	out := make([]*tosca.NodeInstance, 0, total)
	// One backing array for all records keeps allocation count low.
	backing := make([]tosca.NodeInstance, total)
	for u := 0; u < nodes; u++ {
		name := t.units[u].name
		for _, i := range live[u] {
			in := &f.insts[i]
			r := &backing[len(out)]
			*r = tosca.NodeInstance{
				ID: in.id, Name: in.id, NodeID: name, HostID: in.host,
				ScalingGroups: f.scalingGroups(i),
			}
			recs[i] = r
			out = append(out, r)
		}
	}
	// Relationship instances, per source node in declaration order.
	var buckets map[int][]int
	for u := 0; u < nodes; u++ {
		un := &t.units[u]
		if len(live[u]) == 0 {
			continue
		}
		for _, ri := range un.rels {
			rel := ri.rel
			if ri.kind == relContained {
				for _, i := range live[u] {
					c := f.nearestNode(i)
					if c < 0 || f.insts[c].unit != ri.target {
						return nil, fmt.Errorf("instance %s of node %q is not under an instance of its container %q: %w",
							f.insts[i].id, un.name, rel.TargetID, ErrContainment)
					}
					recs[i].Relationships = append(recs[i].Relationships, &tosca.InstanceRelationship{
						Type: rel.Type, TargetName: rel.TargetID, TargetID: f.insts[c].id,
					})
				}
				continue
			}
			targets := live[ri.target]
			if len(targets) == 0 {
				continue
			}
			g := t.sharedGroup(u, ri.target)
			if ri.allToOne {
				if g >= 0 {
					return nil, fmt.Errorf("node %q relationship %d (%s to %q) is all_to_one but both nodes are in scaling group %q: %w",
						un.name, ri.index, rel.Type, rel.TargetID, t.units[g].name, ErrAllToOneInGroup)
				}
				targets = []int{f.pickOne(targets, chosen, allToOneKey{u, ri.target, rel.Type})}
			}
			if g < 0 {
				for _, i := range live[u] {
					recs[i].Relationships = appendRels(recs[i].Relationships, rel, f, targets)
				}
				continue
			}
			// Same scaling group: pair instances within each group instance.
			if buckets == nil {
				buckets = make(map[int][]int)
			}
			clear(buckets)
			for _, j := range targets {
				gi := f.ancestorOfUnit(j, g)
				buckets[gi] = append(buckets[gi], j)
			}
			for _, i := range live[u] {
				recs[i].Relationships = appendRels(recs[i].Relationships, rel, f, buckets[f.ancestorOfUnit(i, g)])
			}
		}
	}
	for _, r := range out {
		if r.Relationships == nil {
			r.Relationships = []*tosca.InstanceRelationship{}
		}
	}
	return out, nil
}

func appendRels(dst []*tosca.InstanceRelationship, rel *tosca.Relationship, f *forest, targets []int) []*tosca.InstanceRelationship {
	if cap(dst)-len(dst) < len(targets) {
		grown := make([]*tosca.InstanceRelationship, len(dst), len(dst)+len(targets))
		copy(grown, dst)
		dst = grown
	}
	block := make([]tosca.InstanceRelationship, len(targets))
	for k, j := range targets {
		block[k] = tosca.InstanceRelationship{Type: rel.Type, TargetName: rel.TargetID, TargetID: f.insts[j].id}
		dst = append(dst, &block[k])
	}
	return dst
}

// pickOne chooses the all_to_one target: the earlier choice while it is
// still alive, else the lexicographically smallest instance id.
func (f *forest) pickOne(targets []int, chosen map[allToOneKey]string, key allToOneKey) int {
	if id, ok := chosen[key]; ok {
		if j, ok := f.byID[id]; ok && !f.insts[j].dead {
			return j
		}
	}
	best := targets[0]
	for _, j := range targets[1:] {
		if f.insts[j].id < f.insts[best].id {
			best = j
		}
	}
	return best
}
