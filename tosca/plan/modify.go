package plan

import (
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/tosca"
)

// Change asks for Delta more (or, negative, fewer) instances of a node or
// scaling group, per instance of its container. A scaling group scales as a
// unit: each new group instance gets all members (and what they contain).
type Change struct {
	Name  string // node or scaling-group name
	Delta int
	// RemoveIDs are preferred victims when scaling in: instance ids of the
	// entity, or of instances inside it (e.g. a member of a group
	// instance). Others are taken newest first.
	RemoveIDs []string
}

// Modification is the outcome of Modify. Instance records are fresh
// copies; the plan passed to Modify is not changed until Apply.
type Modification struct {
	// Added are the new node instances, with all their relationships.
	Added []*tosca.NodeInstance
	// Removed are the node instances that go away, as they were.
	Removed []*tosca.NodeInstance
	// Extended are intact instances that gain relationship instances (to
	// added targets, or a new all_to_one target); Relationships lists only
	// the new ones.
	Extended []*tosca.NodeInstance
	// Reduced are intact instances that lose relationship instances (to
	// removed targets); Relationships lists only the lost ones.
	Reduced []*tosca.NodeInstance
	// NodeInstances is the complete instance list after the change.
	NodeInstances []*tosca.NodeInstance
	// Counts is the new per-container instance count of each changed
	// node or scaling group.
	Counts map[string]int
}

// Modify plans a scale change of a deployment whose instances are
// p.NodeInstances: for every change, each instance of the entity's
// container gets Delta more or fewer instances of it, within the
// entity's min_instances..max_instances (else ErrScaleBounds). Relationship
// instances are recomputed for the whole deployment, keeping earlier
// all_to_one targets while they exist. p itself is not modified.
func Modify(p *tosca.Plan, changes []Change, opts Options) (*Modification, error) {
	if p == nil {
		return nil, fmt.Errorf("modify: nil plan: %w", ErrUnknownTarget)
	}
	t, err := buildTopology(p)
	if err != nil {
		return nil, fmt.Errorf("modify: %w", err)
	}
	f, err := readForest(t, p.NodeInstances, opts.Seed)
	if err != nil {
		return nil, fmt.Errorf("modify: %w", err)
	}
	old := len(f.insts)
	perParent := f.perParentCounts()
	f.limit = tosca.InstanceLimit(opts.MaxInstances)
	counts := make(map[string]int, len(changes))
	for _, c := range changes {
		n, err := f.apply(c, perParent)
		if err != nil {
			return nil, fmt.Errorf("modify: %w", err)
		}
		counts[c.Name] = n
	}
	all, err := f.instances(f.chosenAllToOne())
	if err != nil {
		return nil, fmt.Errorf("modify: %w", err)
	}
	m := f.modification(all, old, p.NodeInstances)
	m.Counts = counts
	return m, nil
}

// Apply makes the modification the plan's state: its instances, and the
// current/planned instance counts of the changed nodes and groups.
func (m *Modification) Apply(p *tosca.Plan) {
	p.NodeInstances = m.NodeInstances
	for name, n := range m.Counts {
		if g, ok := p.ScalingGroups[name]; ok {
			g.Properties.CurrentInstances = n
			g.Properties.PlannedInstances = n
			continue
		}
		for _, nd := range p.Nodes {
			if nd.ID == name {
				nd.Capabilities.CurrentInstances = n
				nd.Capabilities.PlannedInstances = n
				nd.PlannedInstances = n
			}
		}
	}
}

// readForest rebuilds the instance tree of existing node instances: a
// member's parent is its innermost scaling-group instance, a group
// instance's parent the next one out (the outermost one sits on the
// member's contained_in target), other instances sit on their contained_in
// target instance.
func readForest(t *topology, nis []*tosca.NodeInstance, seed int64) (*forest, error) {
	f := newForest(t, newIDGen(seed, len(nis)), len(nis))
	// Group instances first, so node instances can point at them.
	for _, ni := range nis {
		for _, ref := range ni.ScalingGroups {
			if _, seen := f.byID[ref.ID]; seen {
				continue
			}
			u, ok := t.byName[ref.Name]
			if !ok || !t.units[u].isGroup() {
				return nil, fmt.Errorf("instance %s: scaling group %q is not in the plan: %w", ni.ID, ref.Name, ErrUnknownTarget)
			}
			f.ids.reserve(ref.ID)
			f.add(inst{id: ref.ID, unit: u, parent: -1})
		}
	}
	for _, ni := range nis {
		u, ok := t.byName[ni.NodeID]
		if !ok || t.units[u].isGroup() {
			return nil, fmt.Errorf("instance %s: node %q is not in the plan: %w", ni.ID, ni.NodeID, ErrUnknownTarget)
		}
		if _, dup := f.byID[ni.ID]; dup {
			return nil, fmt.Errorf("instance id %s is used twice: %w", ni.ID, ErrContainment)
		}
		f.ids.reserve(ni.ID)
		f.add(inst{id: ni.ID, unit: u, parent: -1, host: ni.HostID, old: ni})
	}
	setParent := func(child, parent int) error {
		if cur := f.insts[child].parent; cur >= 0 && cur != parent {
			return fmt.Errorf("instance %s is placed under both %s and %s: %w",
				f.insts[child].id, f.insts[cur].id, f.insts[parent].id, ErrContainment)
		}
		f.insts[child].parent = parent
		return nil
	}
	for _, ni := range nis {
		i := f.byID[ni.ID]
		un := &t.units[f.insts[i].unit]
		containerInst := -1
		if un.container >= 0 {
			cr := un.rels[un.containedRel].rel
			for _, r := range ni.Relationships {
				if r.TargetName == cr.TargetID && r.Type == cr.Type {
					if j, ok := f.byID[r.TargetID]; ok {
						containerInst = j
					}
					break
				}
			}
			if containerInst < 0 {
				return nil, fmt.Errorf("instance %s has no %s relationship to an instance of %q: %w",
					ni.ID, cr.Type, cr.TargetID, ErrContainment)
			}
		}
		if un.directGroup < 0 {
			if err := setParent(i, containerInst); err != nil {
				return nil, err
			}
			continue
		}
		refs := ni.ScalingGroups
		if len(refs) == 0 || refs[0].Name != t.units[un.directGroup].name {
			return nil, fmt.Errorf("instance %s of node %q does not name its scaling group %q: %w",
				ni.ID, un.name, t.units[un.directGroup].name, ErrScalingGroup)
		}
		prev := i
		for _, ref := range refs {
			g := f.byID[ref.ID]
			if err := setParent(prev, g); err != nil {
				return nil, err
			}
			prev = g
		}
		if containerInst >= 0 {
			if err := setParent(prev, containerInst); err != nil {
				return nil, err
			}
		}
	}
	if err := f.placeLooseGroups(); err != nil {
		return nil, err
	}
	// Every instance must sit under an instance of its unit's parent.
	for i := range f.insts {
		in := &f.insts[i]
		want := t.units[in.unit].parent
		got := -1
		if in.parent >= 0 {
			got = f.insts[in.parent].unit
		}
		if got != want {
			where := "at the top"
			if got >= 0 {
				where = "under " + t.units[got].name
			}
			return nil, fmt.Errorf("instance %s of %q is %s, the plan puts it under %s: %w",
				in.id, t.units[in.unit].name, where, nameOr(t, want, "nothing"), ErrContainment)
		}
		if in.parent >= 0 {
			f.kids[in.parent] = append(f.kids[in.parent], i)
		}
	}
	return f, nil
}

func nameOr(t *topology, u int, none string) string {
	if u < 0 {
		return none
	}
	return strconv.Quote(t.units[u].name)
}

// perParentCounts is, per unit, how many instances each container
// instance has (read from the first container instance; the default count
// when there is none).
func (f *forest) perParentCounts() []int {
	t := f.topo
	out := make([]int, len(t.units))
	under := make(map[int]int)
	for u := range t.units {
		p := t.units[u].parent
		if p < 0 {
			out[u] = len(f.byUnit[u])
			continue
		}
		if len(f.byUnit[p]) == 0 {
			out[u] = t.units[u].count
			continue
		}
		clear(under)
		for _, i := range f.byUnit[u] {
			under[f.insts[i].parent]++
		}
		out[u] = under[f.byUnit[p][0]]
	}
	return out
}

// apply performs one change on the forest and returns the new per-parent
// count.
func (f *forest) apply(c Change, perParent []int) (int, error) {
	t := f.topo
	u, ok := t.byName[c.Name]
	if !ok {
		return 0, fmt.Errorf("scale %q: %w", c.Name, ErrUnknownEntity)
	}
	un := &t.units[u]
	kind := "node"
	if un.isGroup() {
		kind = "scaling group"
	}
	// Live instances of u, bucketed by parent instance (-1 = top level).
	buckets := make(map[int][]int)
	for _, i := range f.byUnit[u] {
		if !f.insts[i].dead {
			buckets[f.insts[i].parent] = append(buckets[f.insts[i].parent], i)
		}
	}
	var parents []int
	if un.parent < 0 {
		parents = []int{-1}
	} else {
		for _, pi := range f.byUnit[un.parent] {
			if !f.insts[pi].dead {
				parents = append(parents, pi)
			}
		}
	}
	check := func(n int) error {
		if n < 0 || n < un.min || (un.max >= 0 && n > un.max) {
			maxS := "unbounded"
			if un.max >= 0 {
				maxS = strconv.Itoa(un.max)
			}
			return fmt.Errorf("scale %s %q by %+d: %d instances is outside min_instances %d .. max_instances %s: %w",
				kind, c.Name, c.Delta, n, un.min, maxS, ErrScaleBounds)
		}
		return nil
	}
	if len(parents) == 0 && c.Delta != 0 {
		return 0, fmt.Errorf("scale %s %q: its container %q has no instances, scale that first: %w",
			kind, c.Name, t.units[un.parent].name, ErrNoInstances)
	}
	newCount := perParent[u]
	// Validate every container first so a failing change changes nothing.
	for _, pi := range parents {
		if err := check(len(buckets[pi]) + c.Delta); err != nil {
			return 0, err
		}
	}
	if c.Delta > 0 {
		if err := f.checkGrowth(u, c.Delta*len(parents), perParent); err != nil {
			return 0, fmt.Errorf("scale %s %q by %+d: %w", kind, c.Name, c.Delta, err)
		}
	}
	for _, pi := range parents {
		have := buckets[pi]
		newCount = len(have) + c.Delta
		switch {
		case c.Delta > 0:
			f.growN(u, pi, c.Delta, perParent)
		case c.Delta < 0:
			for _, v := range f.victims(u, pi, have, -c.Delta, c.RemoveIDs) {
				f.kill(v)
			}
		}
	}
	perParent[u] = newCount
	return newCount, nil
}

// checkGrowth refuses adding n instances of unit u (each with its
// subtree of perParent instances) when the deployment would then have
// more node instances than f.limit.
func (f *forest) checkGrowth(u, n int, perParent []int) error {
	limit := f.limit
	var subtree func(u int) int // node instances per instance of u, capped
	subtree = func(u int) int {
		s := 0
		if !f.topo.units[u].isGroup() {
			s = 1
		}
		for _, ch := range f.topo.units[u].children {
			k := perParent[ch]
			if k <= 0 {
				continue
			}
			sub := subtree(ch)
			if sub > limit/k {
				return limit + 1
			}
			s = min(s+k*sub, limit+1)
		}
		return s
	}
	live := 0
	for i := range f.insts {
		if !f.insts[i].dead && !f.topo.units[f.insts[i].unit].isGroup() {
			live++
		}
	}
	sub := subtree(u)
	if n > 0 && sub > (limit-live)/n {
		return fmt.Errorf("the deployment would have more than %d node instances: %w (raise it with %s)", limit, ErrTooManyInstances, tosca.EnvMaxInstances)
	}
	return nil
}

// victims picks n instances to remove among have (instances of unit u
// under one parent): hinted ones first, then the newest.
func (f *forest) victims(u, parent int, have []int, n int, hints []string) []int {
	picked := make(map[int]bool, n)
	var out []int
	for _, h := range hints {
		if len(out) == n {
			break
		}
		j, ok := f.byID[h]
		if !ok {
			continue
		}
		if f.insts[j].unit != u {
			j = f.ancestorOfUnit(j, u)
		}
		if j < 0 || f.insts[j].parent != parent || f.insts[j].dead || picked[j] {
			continue
		}
		picked[j] = true
		out = append(out, j)
	}
	for k := len(have) - 1; k >= 0 && len(out) < n; k-- {
		if !picked[have[k]] {
			picked[have[k]] = true
			out = append(out, have[k])
		}
	}
	return out
}

// chosenAllToOne reads the all_to_one targets the existing instances use.
func (f *forest) chosenAllToOne() map[allToOneKey]string {
	t := f.topo
	out := make(map[allToOneKey]string)
	for u := range t.plan.Nodes {
		for _, ri := range t.units[u].rels {
			if !ri.allToOne {
				continue
			}
			key := allToOneKey{u, ri.target, ri.rel.Type}
		search:
			for _, i := range f.byUnit[u] {
				if f.insts[i].old == nil {
					continue
				}
				for _, r := range f.insts[i].old.Relationships {
					if r.TargetName == ri.rel.TargetID && r.Type == ri.rel.Type {
						out[key] = r.TargetID
						break search
					}
				}
			}
		}
	}
	return out
}

type relKey struct{ typ, name, id string }

// diffRelationships returns the relationship instances only in after
// (gained) and only in before (lost), as multisets.
func diffRelationships(before, after []*tosca.InstanceRelationship) (gained, lost []*tosca.InstanceRelationship) {
	count := make(map[relKey]int, len(before))
	for _, r := range before {
		count[relKey{r.Type, r.TargetName, r.TargetID}]++
	}
	for _, r := range after {
		k := relKey{r.Type, r.TargetName, r.TargetID}
		if count[k] > 0 {
			count[k]--
			continue
		}
		gained = append(gained, r)
	}
	for _, r := range before {
		k := relKey{r.Type, r.TargetName, r.TargetID}
		if count[k] > 0 {
			count[k]--
			lost = append(lost, r)
		}
	}
	return gained, lost
}

// placeLooseGroups finds the container instance of top-level scaling-group
// instances that no member's contained_in relationship names (when the
// members contained in that node have no instances): a member's host
// instance when it is an instance of the container, else the container's
// only instance.
func (f *forest) placeLooseGroups() error {
	t := f.topo
	var hosts map[string][]string // outermost group instance -> member hosts
	for i := range f.insts {
		in := &f.insts[i]
		un := &t.units[in.unit]
		if !un.isGroup() || in.parent >= 0 || un.parent < 0 || t.units[un.parent].isGroup() {
			continue
		}
		if hosts == nil {
			hosts = make(map[string][]string)
			for _, ni := range t.plan.NodeInstances {
				if k := len(ni.ScalingGroups); k > 0 && ni.HostID != "" {
					top := ni.ScalingGroups[k-1].ID
					hosts[top] = append(hosts[top], ni.HostID)
				}
			}
		}
		c := un.parent
		found := -1
		for _, h := range hosts[in.id] {
			if j, ok := f.byID[h]; ok && f.insts[j].unit == c {
				found = j
				break
			}
		}
		if found < 0 && len(f.byUnit[c]) == 1 {
			found = f.byUnit[c][0]
		}
		if found < 0 {
			return fmt.Errorf("cannot tell which instance of %q scaling group instance %s belongs to (no member instance is contained in one): %w",
				t.units[c].name, in.id, ErrContainment)
		}
		in.parent = found
	}
	return nil
}
