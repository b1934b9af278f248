package plan

import (
	"github.com/gantryhq/gantry/tosca"
)

// inst is one instance of a unit: a node instance or a scaling-group
// instance. Group instances only exist while planning; node instances
// refer to them through ScalingGroups.
type inst struct {
	id     string
	unit   int
	parent int    // instance index, -1 for a root
	host   string // host instance id ("" when there is none)
	dead   bool   // removed by a modification
	// old is the record this instance was read from (Modify), nil when new.
	old *tosca.NodeInstance
}

// forest is the instance tree: instances of every unit, each under an
// instance of the unit's parent.
type forest struct {
	topo   *topology
	ids    *idGen
	insts  []inst
	byUnit [][]int // instance indices per unit, in creation order
	kids   [][]int // child instance indices per instance
	byID   map[string]int
	limit  int // node instances a modification may reach (Modify)
}

func newForest(t *topology, ids *idGen, sizeHint int) *forest {
	return &forest{
		topo:   t,
		ids:    ids,
		insts:  make([]inst, 0, sizeHint),
		byUnit: make([][]int, len(t.units)),
		kids:   make([][]int, 0, sizeHint),
		byID:   make(map[string]int, sizeHint),
	}
}

// add records an instance and returns its index.
func (f *forest) add(in inst) int {
	i := len(f.insts)
	f.insts = append(f.insts, in)
	f.kids = append(f.kids, nil)
	f.byUnit[in.unit] = append(f.byUnit[in.unit], i)
	f.byID[in.id] = i
	if in.parent >= 0 {
		f.kids[in.parent] = append(f.kids[in.parent], i)
	}
	return i
}

// create makes a new instance of unit u under parent (-1 for none).
func (f *forest) create(u, parent int) int {
	un := &f.topo.units[u]
	in := inst{id: f.ids.next(un.name), unit: u, parent: parent}
	switch {
	case un.node == nil: // scaling-group instances have no host
	case un.node.HostID == un.name:
		in.host = in.id // a host node's instance is its own host
	default:
		// The host of the nearest node instance above (through groups).
		for j := parent; j >= 0; j = f.insts[j].parent {
			if !f.topo.units[f.insts[j].unit].isGroup() {
				in.host = f.insts[j].host
				break
			}
		}
	}
	return f.add(in)
}

// growN creates n instances of unit u under parent, each with its whole
// subtree (children units at their per-parent counts).
func (f *forest) growN(u, parent, n int, counts []int) {
	stack := []struct{ u, parent, n int }{{u, parent, n}}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for k := 0; k < top.n; k++ {
			i := f.create(top.u, top.parent)
			for _, c := range f.topo.units[top.u].children {
				stack = append(stack, struct{ u, parent, n int }{c, i, counts[c]})
			}
		}
	}
}

// expandAll creates the instances of a fresh deployment: every unit is
// multiplied under every instance of its parent, parents first.
func (f *forest) expandAll() {
	for _, u := range f.topo.order {
		n := f.topo.units[u].count
		p := f.topo.units[u].parent
		if p < 0 {
			for k := 0; k < n; k++ {
				f.create(u, -1)
			}
			continue
		}
		parents := f.byUnit[p]
		for _, pi := range parents {
			for k := 0; k < n; k++ {
				f.create(u, pi)
			}
		}
	}
}

// kill marks an instance and its subtree removed.
func (f *forest) kill(i int) {
	stack := []int{i}
	for len(stack) > 0 {
		j := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		f.insts[j].dead = true
		stack = append(stack, f.kids[j]...)
	}
}

// ancestorOfUnit walks up from instance i to its ancestor instance of unit
// u; -1 when there is none.
func (f *forest) ancestorOfUnit(i, u int) int {
	for j := f.insts[i].parent; j >= 0; j = f.insts[j].parent {
		if f.insts[j].unit == u {
			return j
		}
	}
	return -1
}

// nearestNode is the closest ancestor of instance i that is a node
// instance (skipping scaling-group instances); -1 when there is none.
func (f *forest) nearestNode(i int) int {
	for j := f.insts[i].parent; j >= 0; j = f.insts[j].parent {
		if !f.topo.units[f.insts[j].unit].isGroup() {
			return j
		}
	}
	return -1
}

// scalingGroups lists the scaling-group instances a member instance
// belongs to, innermost first, up to the nearest node instance. Only
// direct members of a scaling group carry them (as in Cloudify).
func (f *forest) scalingGroups(i int) []tosca.ScalingGroupRef {
	if f.topo.units[f.insts[i].unit].directGroup < 0 {
		return nil
	}
	var refs []tosca.ScalingGroupRef
	for j := f.insts[i].parent; j >= 0; j = f.insts[j].parent {
		u := &f.topo.units[f.insts[j].unit]
		if !u.isGroup() {
			break
		}
		refs = append(refs, tosca.ScalingGroupRef{Name: u.name, ID: f.insts[j].id})
	}
	return refs
}
