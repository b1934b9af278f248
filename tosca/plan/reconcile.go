package plan

import (
	"fmt"

	"github.com/gantryhq/gantry/tosca"
)

// Reconcile plans the node instances of a deployment updated to plan p
// (its nodes and scaling groups are the new blueprint's; p.NodeInstances is
// ignored) from the deployment's current instances old:
//   - an old instance is kept, with its id, when its node is still in p
//     and placed as before: the same contained_in target node and
//     relationship type, the same host-ness, the same scaling groups, and
//     its container instance is kept;
//   - every other old instance is removed;
//   - a node or scaling group without any kept instance gets its default
//     instance count under each instance of its container, as a new
//     deployment would;
//   - a node or group named in counts gets that many instances per
//     container instance (added, or removed newest first); the others keep
//     the instances they have (a scale is not undone);
//   - relationship instances are recomputed for every instance, keeping
//     earlier all_to_one targets while they exist.
//
// The Modification is relative to old (Removed holds old records, Extended
// and Reduced intact instances with only the relationships they gain or
// lose); its Counts hold every node's and group's per-container count, so
// that Apply on p makes it the updated deployment's plan. Neither p nor
// old is modified.
func Reconcile(p *tosca.Plan, old []*tosca.NodeInstance, counts map[string]int, opts Options) (*Modification, error) {
	if p == nil {
		return nil, fmt.Errorf("reconcile: nil plan: %w", ErrUnknownTarget)
	}
	cp := *p
	cp.NodeInstances = nil
	t, err := buildTopology(&cp)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	keep := keptInstances(t, old)
	cp.NodeInstances = keep // placeLooseGroups reads them
	f, err := readForest(t, keep, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	for _, ni := range old {
		f.ids.reserve(ni.ID) // a removed instance's id is never reused
	}
	f.limit = tosca.InstanceLimit(opts.MaxInstances)
	before := len(f.insts)
	perParent := f.perParentCounts()
	fresh := make([]bool, len(t.units))
	for u := range t.units {
		if len(f.byUnit[u]) == 0 {
			fresh[u] = true
			perParent[u] = t.units[u].count
		}
	}
	for name, n := range counts {
		if u, ok := t.byName[name]; ok {
			if n < 0 {
				return nil, fmt.Errorf("reconcile: %q: %d instances: %w", name, n, ErrScaleBounds)
			}
			perParent[u] = n
		}
	}
	for _, u := range t.order {
		want, counted := counts[t.units[u].name]
		if !fresh[u] && !counted {
			continue
		}
		if !counted {
			want = perParent[u]
		}
		buckets := f.liveChildren(u)
		for _, pi := range f.liveParents(u) {
			have := buckets[pi]
			switch {
			case len(have) < want:
				n := want - len(have)
				if err := f.checkGrowth(u, n, perParent); err != nil {
					return nil, fmt.Errorf("reconcile: %q: %w", t.units[u].name, err)
				}
				f.growN(u, pi, n, perParent)
			case len(have) > want && counted:
				for _, v := range f.victims(u, pi, have, len(have)-want, nil) {
					f.kill(v)
				}
			}
		}
	}
	all, err := f.instances(f.chosenAllToOne())
	if err != nil {
		return nil, fmt.Errorf("reconcile: %w", err)
	}
	m := f.modification(all, before, old)
	m.Counts = make(map[string]int, len(t.units))
	for u := range t.units {
		n := perParent[u]
		if parents := f.liveParents(u); len(parents) > 0 {
			n = len(f.liveChildren(u)[parents[0]])
		}
		m.Counts[t.units[u].name] = n
	}
	return m, nil
}

// keptInstances are the old instances Reconcile keeps (see there).
func keptInstances(t *topology, old []*tosca.NodeInstance) []*tosca.NodeInstance {
	kept := make(map[string]bool, len(old))
	for _, ni := range old {
		if placedAsBefore(t, ni) {
			kept[ni.ID] = true
		}
	}
	// Drop instances whose container instance is dropped, to a fixpoint
	// (one pass per level of containment).
	for changed := true; changed; {
		changed = false
		for _, ni := range old {
			if !kept[ni.ID] {
				continue
			}
			un := &t.units[t.byName[ni.NodeID]]
			if un.container < 0 {
				continue
			}
			cr := un.rels[un.containedRel].rel
			for _, r := range ni.Relationships {
				if r.TargetName == cr.TargetID && r.Type == cr.Type && !kept[r.TargetID] {
					kept[ni.ID] = false
					changed = true
					break
				}
			}
		}
	}
	out := make([]*tosca.NodeInstance, 0, len(kept))
	for _, ni := range old {
		if kept[ni.ID] {
			out = append(out, ni)
		}
	}
	return out
}

// placedAsBefore reports whether an old instance fits its node of the new
// topology: the node exists, is (or is not) a host as before, has the same
// container and the same chain of scaling groups.
func placedAsBefore(t *topology, ni *tosca.NodeInstance) bool {
	u, ok := t.byName[ni.NodeID]
	if !ok || t.units[u].isGroup() {
		return false
	}
	un := &t.units[u]
	n := un.node
	if (n.HostID == "") != (ni.HostID == "") || (n.HostID == n.ID) != (ni.HostID == ni.ID) {
		return false
	}
	if un.container >= 0 {
		cr := un.rels[un.containedRel].rel
		found := false
		for _, r := range ni.Relationships {
			if r.TargetName == cr.TargetID && r.Type == cr.Type {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	var chain []string
	for g := un.directGroup; g >= 0 && t.units[g].isGroup(); g = t.units[g].parent {
		chain = append(chain, t.units[g].name)
	}
	if len(chain) != len(ni.ScalingGroups) {
		return false
	}
	for i, ref := range ni.ScalingGroups {
		if ref.Name != chain[i] {
			return false
		}
	}
	return true
}

// liveParents are the live instances of u's parent unit ({-1} for a root).
func (f *forest) liveParents(u int) []int {
	p := f.topo.units[u].parent
	if p < 0 {
		return []int{-1}
	}
	var out []int
	for _, i := range f.byUnit[p] {
		if !f.insts[i].dead {
			out = append(out, i)
		}
	}
	return out
}

// liveChildren are the live instances of unit u by parent instance (-1:
// roots).
func (f *forest) liveChildren(u int) map[int][]int {
	out := make(map[int][]int)
	for _, i := range f.byUnit[u] {
		if in := &f.insts[i]; !in.dead {
			out[in.parent] = append(out[in.parent], i)
		}
	}
	return out
}

// modification compares the planned instances all with the instances the
// forest was read from (indices below before; old their records): added,
// removed (dead, or never read: dropped before) and the intact ones whose
// relationship instances change.
func (f *forest) modification(all []*tosca.NodeInstance, before int, old []*tosca.NodeInstance) *Modification {
	m := &Modification{NodeInstances: all}
	for _, rec := range all {
		i := f.byID[rec.ID]
		in := &f.insts[i]
		if i >= before {
			m.Added = append(m.Added, rec)
			continue
		}
		gained, lost := diffRelationships(in.old.Relationships, rec.Relationships)
		if len(gained) > 0 {
			ext := *rec
			ext.Relationships = gained
			m.Extended = append(m.Extended, &ext)
		}
		if len(lost) > 0 {
			red := *rec
			red.Relationships = lost
			m.Reduced = append(m.Reduced, &red)
		}
	}
	for _, ni := range old {
		if i, ok := f.byID[ni.ID]; !ok || f.insts[i].dead {
			m.Removed = append(m.Removed, ni)
		}
	}
	return m
}
