package tosca

import (
	"fmt"
	"os"
	"strconv"
)

// DefaultMaxInstances bounds the node instances one deployment may plan:
// twice the 100,000-instance planning target, far below what exhausts
// memory. Options.MaxInstances or $GANTRY_MAX_INSTANCES raise it.
const DefaultMaxInstances = 200_000

// EnvMaxInstances names the environment variable that sets the instance
// limit when Options.MaxInstances is 0.
const EnvMaxInstances = "GANTRY_MAX_INSTANCES"

// InstanceLimit is the limit on node instances: limit when positive, else
// $GANTRY_MAX_INSTANCES when it is a positive integer, else
// DefaultMaxInstances. tosca (at validation) and tosca/plan (before
// allocating) use the same limit.
func InstanceLimit(limit int) int {
	if limit > 0 {
		return limit
	}
	if n, err := strconv.Atoi(os.Getenv(EnvMaxInstances)); err == nil && n > 0 {
		return n
	}
	return DefaultMaxInstances
}

// instanceUnit is a node template or scaling group with its instance count
// per instance of its parent: a node's parent is the scaling group listing
// it (the innermost one), else its contained_in target; a scaling group's
// parent is the group listing it, else the node its members are contained
// in. Counts multiply along parents, as plan.Expand multiplies them.
type instanceUnit struct {
	name   string
	count  int64
	parent int // -1: a root
	total  int64
	state  uint8 // 0 new, 1 computing, 2 done
	t      *template
	pos    Pos
}

// checkInstanceTotal reports, at the template that contributes most, a
// blueprint whose deployment would have more than limit node instances.
// nodeCount and groupCount give the per-parent counts (at parse time the
// literal values, at Prepare the evaluated ones).
func (p *parser) checkInstanceTotal(limit int, nodeCount func(*template) int64, groupCount func(*scalingGroupDef) int64) {
	b := p.bp
	units := make([]instanceUnit, 0, len(b.templates)+len(b.scalingGroups))
	idx := make(map[string]int, cap(units))
	for _, t := range b.templates {
		idx[t.name] = len(units)
		at := t.pos
		if t.capsPos.File != "" {
			at = t.capsPos
		}
		units = append(units, instanceUnit{name: t.name, count: nodeCount(t), parent: -1, t: t, pos: at})
	}
	groupOf := map[string]string{} // member -> scaling group listing it
	for _, name := range b.groupOrder {
		sg := b.scalingGroups[name]
		if sg == nil {
			continue
		}
		idx[name] = len(units)
		units = append(units, instanceUnit{name: name, count: groupCount(sg), parent: -1, pos: sg.pos})
		for _, m := range sg.members {
			if _, taken := groupOf[m]; !taken {
				groupOf[m] = name
			}
		}
	}
	container := func(t *template) string {
		for _, r := range t.rels {
			if r.tgt != nil && r.typ != nil && r.typ.isA(RelContainedIn) {
				return r.tgt.name
			}
		}
		return ""
	}
	for i := range units {
		u := &units[i]
		if g, ok := groupOf[u.name]; ok {
			u.parent = idx[g]
			continue
		}
		if u.t != nil {
			if c := container(u.t); c != "" {
				u.parent = idx[c]
			}
			continue
		}
		// A scaling group not listed by another: the node its members are
		// contained in, outside the group.
		for _, m := range b.scalingGroups[u.name].members {
			if t := b.tmplIdx[m]; t != nil {
				if c := container(t); c != "" && groupOf[c] != u.name {
					u.parent = idx[c]
					break
				}
			}
		}
	}
	const capN = int64(1) << 62 // products saturate here
	mul := func(a, b int64) int64 {
		if a <= 0 || b <= 0 {
			return 0
		}
		if a > capN/b {
			return capN
		}
		return min(a*b, capN)
	}
	var total func(i int) int64
	total = func(i int) int64 {
		u := &units[i]
		switch u.state {
		case 1: // a cycle, reported elsewhere
			return u.count
		case 2:
			return u.total
		}
		u.state = 1
		t := u.count
		if u.parent >= 0 {
			t = mul(t, total(u.parent))
		}
		u.total, u.state = t, 2
		return t
	}
	var sum int64
	worst := -1
	for i := range units {
		if units[i].t == nil {
			total(i)
			continue
		}
		sum = min(sum+total(i), capN) // both terms are at most capN: no overflow
		if worst < 0 || units[i].total > units[worst].total {
			worst = i
		}
	}
	if sum <= int64(limit) || worst < 0 {
		return
	}
	w := units[worst]
	count := fmt.Sprintf("%d node instances", sum)
	if sum >= capN {
		count = "more than 10^18 node instances"
	}
	detail := fmt.Sprintf("node template '%s' has %d per instance of its container", w.name, w.count)
	if w.parent < 0 {
		detail = fmt.Sprintf("node template '%s' alone has %d", w.name, w.total)
	} else {
		detail += fmt.Sprintf(" '%s'", units[w.parent].name)
	}
	p.add(w.pos, CodeInstanceLimit,
		fmt.Sprintf("the deployment would have %s, more than the limit of %d (%s)", count, limit, detail),
		fmt.Sprintf("lower the instance counts, or raise the limit with %s=N", EnvMaxInstances))
}

// literalCount is an instance count known before inputs are bound: a
// literal integer; 1 for a function (Prepare checks the evaluated value).
func literalCount(n *ynode) int64 {
	if n != nil && n.kind == kInt && n.val.(int) >= 0 {
		return int64(n.val.(int))
	}
	return 1
}
