package plan

import (
	"fmt"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// relKind is what a relationship means for instance planning.
type relKind uint8

const (
	relUnsupported relKind = iota
	relContained
	relConnected
	relDepends
)

// String is the base relationship name of the kind.
func (k relKind) String() string {
	switch k {
	case relContained:
		return "contained_in"
	case relConnected:
		return "connected_to"
	case relDepends:
		return "depends_on"
	}
	return "unsupported"
}

// classify finds the base type of a relationship from its type hierarchy
// (contained_in derives from depends_on, so it is checked first). A
// relationship without a hierarchy is classified by its own type name.
func classify(r *tosca.Relationship) relKind {
	hier := r.TypeHierarchy
	if len(hier) == 0 {
		hier = []string{r.Type}
	}
	var connected, depends bool
	for _, t := range hier {
		switch t {
		case tosca.RelContainedIn:
			return relContained
		case tosca.RelConnectedTo:
			connected = true
		case tosca.RelDependsOn:
			depends = true
		}
	}
	switch {
	case connected:
		return relConnected
	case depends:
		return relDepends
	}
	return relUnsupported
}

// Connection types of depends_on / connected_to relationships.
const (
	AllToAll = "all_to_all"
	AllToOne = "all_to_one"
)

// connectionType reads the relationship's connection_type property;
// all_to_all when it is absent.
func connectionType(r *tosca.Relationship) (string, error) {
	v, ok := r.Properties["connection_type"]
	if !ok || v == nil {
		return AllToAll, nil
	}
	s, _ := v.(string)
	switch s {
	case AllToAll, AllToOne:
		return s, nil
	}
	return "", fmt.Errorf("%w %v (want %s or %s)", ErrConnectionType, v, AllToAll, AllToOne)
}

// relInfo is one relationship of a node template, resolved.
type relInfo struct {
	index    int // position in Node.Relationships
	rel      *tosca.Relationship
	kind     relKind
	target   int // unit index of the target node
	allToOne bool
}

// unit is one node template or scaling group: the things that get
// instances. Units form a forest through parent: a node's parent is its
// (innermost) scaling group, else its contained_in target; a scaling
// group's parent is the group it is a member of, else the node its
// members are contained in.
type unit struct {
	name     string
	node     *tosca.Node         // nil for a scaling group
	group    *tosca.ScalingGroup // nil for a node
	parent   int                 // unit index, -1 for a root
	children []int
	// Node units only.
	rels         []relInfo
	containedRel int // index into rels of the contained_in relationship, -1 if none
	container    int // unit index of the contained_in target node, -1 if none
	directGroup  int // unit index of the scaling group listing this node, -1 if none
	// Scaling properties (per parent instance).
	count, min, max int
}

func (u *unit) isGroup() bool { return u.node == nil }

// topology is the unit forest of a plan. Units 0..len(Nodes)-1 are the
// nodes in declaration order, then the scaling groups sorted by name.
type topology struct {
	plan   *tosca.Plan
	units  []unit
	byName map[string]int
	order  []int // every parent before its children
}

// buildTopology resolves relationships and scaling groups into the unit
// forest and checks that it is one.
func buildTopology(p *tosca.Plan) (*topology, error) {
	t := &topology{plan: p, byName: make(map[string]int, len(p.Nodes)+len(p.ScalingGroups))}
	t.units = make([]unit, 0, len(p.Nodes)+len(p.ScalingGroups))
	for i, n := range p.Nodes {
		if n == nil {
			return nil, fmt.Errorf("node %d is nil: %w", i, ErrUnknownTarget)
		}
		if _, dup := t.byName[n.ID]; dup {
			return nil, fmt.Errorf("node %q is declared twice: %w", n.ID, ErrContainment)
		}
		t.byName[n.ID] = i
		c := n.Capabilities
		t.units = append(t.units, unit{
			name: n.ID, node: n, parent: -1, containedRel: -1, container: -1, directGroup: -1,
			count: c.DefaultInstances, min: c.MinInstances, max: c.MaxInstances,
		})
	}
	groupNames := make([]string, 0, len(p.ScalingGroups))
	for name, g := range p.ScalingGroups {
		if g == nil {
			return nil, fmt.Errorf("scaling group %q is nil: %w", name, ErrScalingGroup)
		}
		groupNames = append(groupNames, name)
	}
	sort.Strings(groupNames)
	for _, name := range groupNames {
		if _, dup := t.byName[name]; dup {
			return nil, fmt.Errorf("scaling group %q has the name of a node: %w", name, ErrScalingGroup)
		}
		g := p.ScalingGroups[name]
		t.byName[name] = len(t.units)
		pr := g.Properties
		t.units = append(t.units, unit{
			name: name, group: g, parent: -1, containedRel: -1, container: -1, directGroup: -1,
			count: pr.DefaultInstances, min: pr.MinInstances, max: pr.MaxInstances,
		})
	}
	if err := t.resolveRelationships(); err != nil {
		return nil, err
	}
	memberOf, err := t.resolveMembers(groupNames)
	if err != nil {
		return nil, err
	}
	if err := t.checkNodeContainment(); err != nil {
		return nil, err
	}
	t.normalizeGroups(memberOf)
	if err := t.linkParents(memberOf); err != nil {
		return nil, err
	}
	return t, t.sortUnits()
}

func (t *topology) resolveRelationships() error {
	for ui := range t.plan.Nodes {
		u := &t.units[ui]
		u.rels = make([]relInfo, 0, len(u.node.Relationships))
		for ri, r := range u.node.Relationships {
			if r == nil {
				return fmt.Errorf("node %q relationship %d is nil: %w", u.name, ri, ErrUnknownTarget)
			}
			target, ok := t.byName[r.TargetID]
			if !ok || t.units[target].isGroup() {
				return fmt.Errorf("node %q relationship %d (%s): target node %q does not exist: %w",
					u.name, ri, r.Type, r.TargetID, ErrUnknownTarget)
			}
			kind := classify(r)
			if kind == relUnsupported {
				return fmt.Errorf("node %q relationship %d: type %q derives from none of %s, %s, %s: %w",
					u.name, ri, r.Type, tosca.RelDependsOn, tosca.RelConnectedTo, tosca.RelContainedIn,
					ErrUnsupportedRelationship)
			}
			if target == ui {
				if kind == relContained {
					return fmt.Errorf("node %q is contained in itself: %w", u.name, ErrContainment)
				}
				return fmt.Errorf("node %q relationship %d (%s) targets the node itself: %w",
					u.name, ri, r.Type, ErrCycle)
			}
			info := relInfo{index: ri, rel: r, kind: kind, target: target}
			if kind == relContained {
				if u.containedRel >= 0 {
					return fmt.Errorf("node %q has two contained_in relationships (to %q and %q): %w",
						u.name, u.rels[u.containedRel].rel.TargetID, r.TargetID, ErrContainment)
				}
				u.containedRel = len(u.rels)
				u.container = target
			} else {
				ct, err := connectionType(r)
				if err != nil {
					return fmt.Errorf("node %q relationship %d (%s to %q): %w", u.name, ri, r.Type, r.TargetID, err)
				}
				info.allToOne = ct == AllToOne
			}
			u.rels = append(u.rels, info)
		}
	}
	return nil
}

// resolveMembers maps every scaling-group member (node or scaling group)
// to the unit index of the group listing it.
func (t *topology) resolveMembers(groupNames []string) ([]int, error) {
	memberOf := make([]int, len(t.units))
	for i := range memberOf {
		memberOf[i] = -1
	}
	for _, name := range groupNames {
		gi := t.byName[name]
		for _, m := range t.units[gi].group.Members {
			mi, ok := t.byName[m]
			if !ok {
				if _, plain := t.plan.Groups[m]; plain {
					return nil, fmt.Errorf("scaling group %q: member %q is a group without a scaling policy: %w",
						name, m, ErrScalingGroup)
				}
				return nil, fmt.Errorf("scaling group %q: member %q is neither a node nor a scaling group: %w",
					name, m, ErrUnknownTarget)
			}
			if mi == gi {
				return nil, fmt.Errorf("scaling group %q is a member of itself: %w", name, ErrScalingGroup)
			}
			switch prev := memberOf[mi]; {
			case prev == gi: // listed twice in one group
			case prev >= 0:
				return nil, fmt.Errorf("%q is a member of two scaling groups (%q and %q): %w",
					m, t.units[prev].name, name, ErrScalingGroup)
			default:
				memberOf[mi] = gi
			}
		}
	}
	// Group nesting must be acyclic: walk up from each group.
	for _, name := range groupNames {
		gi := t.byName[name]
		for steps, cur := 0, memberOf[gi]; cur >= 0; cur = memberOf[cur] {
			if cur == gi || steps > len(groupNames) {
				return nil, fmt.Errorf("scaling group %q is (indirectly) a member of itself: %w", name, ErrScalingGroup)
			}
			steps++
		}
	}
	return memberOf, nil
}

// checkNodeContainment rejects contained_in cycles among nodes.
func (t *topology) checkNodeContainment() error {
	n := len(t.plan.Nodes)
	state := make([]uint8, n) // 0 new, 1 on the current path, 2 done
	for start := 0; start < n; start++ {
		var path []int
		cur := start
		for cur >= 0 && state[cur] == 0 {
			state[cur] = 1
			path = append(path, cur)
			cur = t.units[cur].container
		}
		if cur >= 0 && state[cur] == 1 {
			names := []string{}
			on := false
			for _, pi := range path {
				if pi == cur {
					on = true
				}
				if on {
					names = append(names, t.units[pi].name)
				}
			}
			names = append(names, t.units[cur].name)
			return fmt.Errorf("contained_in cycle %s: %w", strings.Join(names, " -> "), ErrContainment)
		}
		for _, pi := range path {
			state[pi] = 2
		}
	}
	return nil
}

// normalizeGroups applies Cloudify's rule for a scaling-group member that
// shares a group with a node containing it: the contained member (or the
// sub-group holding it) leaves the shared group, so it is multiplied
// through its container instead of twice. A plan whose groups are already
// normalized is left as it is.
func (t *topology) normalizeGroups(memberOf []int) {
	var chain []int
	inChain := make(map[int]bool)
	for mi := range t.plan.Nodes {
		if memberOf[mi] < 0 {
			continue
		}
		// chain: the member followed by its groups, innermost first.
		chain = chain[:0]
		for cur := mi; cur >= 0; cur = memberOf[cur] {
			chain = append(chain, cur)
		}
		for c := t.units[mi].container; c >= 0; c = t.units[c].container {
			if memberOf[c] < 0 {
				continue
			}
			clear(inChain)
			for g := memberOf[c]; g >= 0; g = memberOf[g] {
				inChain[g] = true
			}
			for i := 1; i < len(chain); i++ {
				if inChain[chain[i]] {
					// chain[i] is the innermost shared group; what is
					// right below it on the member's side leaves it.
					if removed := chain[i-1]; memberOf[removed] == chain[i] {
						memberOf[removed] = -1
					}
					break
				}
			}
		}
	}
}

// linkParents sets unit parents and children.
func (t *topology) linkParents(memberOf []int) error {
	top := func(g int) int {
		for memberOf[g] >= 0 {
			g = memberOf[g]
		}
		return g
	}
	for ui := range t.plan.Nodes {
		u := &t.units[ui]
		if g := memberOf[ui]; g >= 0 {
			u.directGroup = g
			u.parent = g
			if u.container >= 0 {
				// The member's contained_in moves up to its top group.
				tg := &t.units[top(g)]
				if tg.parent >= 0 && tg.parent != u.container {
					return fmt.Errorf("scaling group %q: members are contained in different nodes (%q and %q): %w",
						tg.name, t.units[tg.parent].name, t.units[u.container].name, ErrScalingGroup)
				}
				tg.parent = u.container
			}
			continue
		}
		u.parent = u.container
	}
	for gi := len(t.plan.Nodes); gi < len(t.units); gi++ {
		if g := memberOf[gi]; g >= 0 {
			t.units[gi].parent = g
		}
	}
	for ui := range t.units {
		if p := t.units[ui].parent; p >= 0 {
			t.units[p].children = append(t.units[p].children, ui)
		}
	}
	return nil
}

// sortUnits orders units parents first and reports containment cycles
// (possible when a scaling group ends up contained in its own member).
func (t *topology) sortUnits() error {
	t.order = make([]int, 0, len(t.units))
	for ui := range t.units {
		if t.units[ui].parent < 0 {
			t.order = append(t.order, ui)
		}
	}
	for i := 0; i < len(t.order); i++ {
		t.order = append(t.order, t.units[t.order[i]].children...)
	}
	if len(t.order) != len(t.units) {
		seen := make([]bool, len(t.units))
		for _, ui := range t.order {
			seen[ui] = true
		}
		var stuck []string
		for ui := range t.units {
			if !seen[ui] {
				stuck = append(stuck, t.units[ui].name)
			}
		}
		return fmt.Errorf("containment cycle through scaling groups among %s: %w",
			strings.Join(stuck, ", "), ErrContainment)
	}
	return nil
}

// groupsAbove lists the scaling-group units above unit u, innermost first.
func (t *topology) groupsAbove(u int) []int {
	var out []int
	for p := t.units[u].parent; p >= 0; p = t.units[p].parent {
		if t.units[p].isGroup() {
			out = append(out, p)
		}
	}
	return out
}

// sharedGroup is the innermost scaling group containing both units, or -1.
func (t *topology) sharedGroup(a, b int) int {
	ga := t.groupsAbove(a)
	if len(ga) == 0 {
		return -1
	}
	gb := t.groupsAbove(b)
	for _, x := range ga {
		for _, y := range gb {
			if x == y {
				return x
			}
		}
	}
	return -1
}
