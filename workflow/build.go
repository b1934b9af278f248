package workflow

import (
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/tosca"
)

// Operation and interface names used by the builders.
const (
	opPrecreate       = "cloudify.interfaces.lifecycle.precreate"
	opCreate          = "cloudify.interfaces.lifecycle.create"
	opConfigure       = "cloudify.interfaces.lifecycle.configure"
	opStart           = "cloudify.interfaces.lifecycle.start"
	opPoststart       = "cloudify.interfaces.lifecycle.poststart"
	opPrestop         = "cloudify.interfaces.lifecycle.prestop"
	opStop            = "cloudify.interfaces.lifecycle.stop"
	opDelete          = "cloudify.interfaces.lifecycle.delete"
	opPostdelete      = "cloudify.interfaces.lifecycle.postdelete"
	opMonitoringStart = "cloudify.interfaces.monitoring.start"
	opMonitoringStop  = "cloudify.interfaces.monitoring.stop"
	opHostGetState    = "cloudify.interfaces.host.get_state"
	opMonAgentInstall = "cloudify.interfaces.monitoring_agent.install"
	opMonAgentStart   = "cloudify.interfaces.monitoring_agent.start"
	opMonAgentStop    = "cloudify.interfaces.monitoring_agent.stop"
	opMonAgentUninst  = "cloudify.interfaces.monitoring_agent.uninstall"
	relPreconfigure   = "cloudify.interfaces.relationship_lifecycle.preconfigure"
	relPostconfigure  = "cloudify.interfaces.relationship_lifecycle.postconfigure"
	relEstablish      = "cloudify.interfaces.relationship_lifecycle.establish"
	relUnlink         = "cloudify.interfaces.relationship_lifecycle.unlink"
)

// Node instance states.
const (
	StateUninitialized = "uninitialized"
	StateInitializing  = "initializing"
	StateCreating      = "creating"
	StateCreated       = "created"
	StateConfiguring   = "configuring"
	StateConfigured    = "configured"
	StateStarting      = "starting"
	StateStarted       = "started"
	StateStopping      = "stopping"
	StateStopped       = "stopped"
	StateDeleting      = "deleting"
	StateDeleted       = "deleted"
)

// topology indexes a plan for the builders and the walker.
type topology struct {
	plan      *tosca.Plan
	nodes     map[string]*tosca.Node
	instances map[string]*tosca.NodeInstance
	order     []*tosca.NodeInstance // plan order, then added ones
	pos       map[string]int
	relTmpl   map[*tosca.NodeInstance][]*tosca.Relationship
}

func newTopology(p *tosca.Plan, extra ...[]*tosca.NodeInstance) (*topology, error) {
	if p == nil {
		return nil, fmt.Errorf("build task graph: nil plan")
	}
	t := &topology{
		plan:      p,
		nodes:     make(map[string]*tosca.Node, len(p.Nodes)),
		instances: make(map[string]*tosca.NodeInstance, len(p.NodeInstances)),
		relTmpl:   make(map[*tosca.NodeInstance][]*tosca.Relationship, len(p.NodeInstances)),
		pos:       make(map[string]int, len(p.NodeInstances)),
	}
	for _, n := range p.Nodes {
		if n == nil {
			return nil, fmt.Errorf("build task graph: nil node in plan")
		}
		t.nodes[n.ID] = n
	}
	addInst := func(ni *tosca.NodeInstance) error {
		if ni == nil {
			return fmt.Errorf("build task graph: nil node instance")
		}
		if _, ok := t.nodes[ni.NodeID]; !ok {
			return fmt.Errorf("build task graph: node instance %s: unknown node %q", ni.ID, ni.NodeID)
		}
		if i, seen := t.pos[ni.ID]; seen {
			t.order[i] = ni
		} else {
			t.pos[ni.ID] = len(t.order)
			t.order = append(t.order, ni)
		}
		t.instances[ni.ID] = ni
		return nil
	}
	for _, ni := range p.NodeInstances {
		if err := addInst(ni); err != nil {
			return nil, err
		}
	}
	for _, list := range extra {
		for _, ni := range list {
			if err := addInst(ni); err != nil {
				return nil, err
			}
		}
	}
	for _, ni := range t.order {
		node := t.nodes[ni.NodeID]
		tmpls := make([]*tosca.Relationship, len(ni.Relationships))
		for i, r := range ni.Relationships {
			if r == nil {
				return nil, fmt.Errorf("build task graph: node instance %s: nil relationship", ni.ID)
			}
			tmpls[i] = relTemplate(node, r)
		}
		t.relTmpl[ni] = tmpls
	}
	return t, nil
}

// relTemplate finds the template relationship an instance relationship
// comes from: same target node, preferring the same type.
func relTemplate(n *tosca.Node, r *tosca.InstanceRelationship) *tosca.Relationship {
	var first *tosca.Relationship
	for _, tr := range n.Relationships {
		if tr == nil || tr.TargetID != r.TargetName {
			continue
		}
		if tr.Type == r.Type {
			return tr
		}
		if first == nil {
			first = tr
		}
	}
	return first
}

// isContainedIn reports whether the instance relationship i of ni is a
// contained_in relationship (by type hierarchy when known).
func (t *topology) isContainedIn(ni *tosca.NodeInstance, i int) bool {
	if tr := t.relTmpl[ni][i]; tr != nil && len(tr.TypeHierarchy) > 0 {
		return tr.IsA(tosca.RelContainedIn)
	}
	return ni.Relationships[i].Type == tosca.RelContainedIn
}

// nodeOp returns the operation named name of a node, or nil for a missing
// or NO-OP operation.
func nodeOp(n *tosca.Node, name string) *tosca.Operation {
	op := n.Operations[name]
	if op.IsNoop() {
		return nil
	}
	return op
}

// relOp returns a relationship operation or nil for a missing or NO-OP one.
func relOp(r *tosca.Relationship, side Side, name string) *tosca.Operation {
	if r == nil {
		return nil
	}
	ops := r.SourceOperations
	if side == SideTarget {
		ops = r.TargetOperations
	}
	op := ops[name]
	if op.IsNoop() {
		return nil
	}
	return op
}

// subgraph is a part of the graph with its entry tasks (no dependency
// inside the part) and exit tasks (nothing inside waits for them).
type subgraph struct {
	entry, exit []int32
}

func (s subgraph) empty() bool { return len(s.entry) == 0 }

// builder builds one graph.
type builder struct {
	topo *topology
	g    *Graph
	err  error
	// lost marks the relationship instances an update removes from intact
	// instances (UpdateChange.Reduced): only the steps that unlink them
	// see them.
	lost map[relMark]bool
}

// current reports whether a relationship instance of ni is one the
// deployment keeps (not lost by an update).
func (b *builder) current(ni *tosca.NodeInstance, r *tosca.InstanceRelationship) bool {
	return b.lost == nil || !b.lost[relMark{ni.ID, r.Type, r.TargetID}]
}

// seq builds a sequence of steps; each step is one task or a group of
// tasks running in parallel.
type seq struct {
	b        *builder
	sg       subgraph
	frontier []int32
}

func (b *builder) seq() *seq { return &seq{b: b} }

// step appends tasks that run in parallel after everything before them.
func (s *seq) step(tasks ...*Task) {
	if len(tasks) == 0 || s.b.err != nil {
		return
	}
	idx := make([]int32, 0, len(tasks))
	for _, t := range tasks {
		i, err := s.b.g.add(t)
		if err != nil {
			s.b.err = err
			return
		}
		for _, f := range s.frontier {
			s.b.g.dep(i, f)
		}
		idx = append(idx, i)
	}
	if len(s.frontier) == 0 {
		s.sg.entry = append(s.sg.entry, idx...)
	}
	s.frontier = idx
}

func (s *seq) done() subgraph {
	s.sg.exit = s.frontier
	return s.sg
}

// after makes every entry of `sg` wait for every exit of `on`.
func (b *builder) after(sg, on subgraph) {
	for _, e := range sg.entry {
		for _, x := range on.exit {
			b.g.dep(e, x)
		}
	}
}

func taskID(prefix, inst, rest string) string { return prefix + "/" + inst + "/" + rest }

func (b *builder) stateTask(prefix string, ni *tosca.NodeInstance, state string) *Task {
	return &Task{ID: taskID(prefix, ni.ID, "state:"+state), Kind: KindSetState, InstanceID: ni.ID, NodeID: ni.NodeID, State: state}
}

// opTask returns the task for a node operation, or nil when it is a NO-OP.
func (b *builder) opTask(prefix string, ni *tosca.NodeInstance, name string) *Task {
	op := nodeOp(b.topo.nodes[ni.NodeID], name)
	if op == nil {
		return nil
	}
	return &Task{ID: taskID(prefix, ni.ID, name), Kind: KindOperation, InstanceID: ni.ID, NodeID: ni.NodeID, Operation: name, op: op}
}

// opStep appends a node operation step unless it is a NO-OP.
func (s *seq) opStep(prefix string, ni *tosca.NodeInstance, name string, ignore bool) *Task {
	t := s.b.opTask(prefix, ni, name)
	if t == nil {
		return nil
	}
	t.IgnoreFailure = ignore
	s.step(t)
	return t
}

// relSteps appends REL(ni, name): the instance's outgoing relationships
// grouped by adjacent target instance, groups in sequence (reversed when
// asked), the source and target operations of each group in parallel.
// filter, when not nil, selects the relationships to include; without
// one, those the deployment keeps (builder.current).
func (s *seq) relSteps(prefix string, ni *tosca.NodeInstance, name string, reverse, ignore bool, filter func(*tosca.InstanceRelationship) bool) {
	var groups [][]*Task
	tmpls := s.b.topo.relTmpl[ni]
	for i := 0; i < len(ni.Relationships); {
		j := i
		var group []*Task
		for ; j < len(ni.Relationships) && ni.Relationships[j].TargetID == ni.Relationships[i].TargetID; j++ {
			r := ni.Relationships[j]
			if filter != nil && !filter(r) || filter == nil && !s.b.current(ni, r) {
				continue
			}
			for _, side := range []Side{SideSource, SideTarget} {
				op := relOp(tmpls[j], side, name)
				if op == nil {
					continue
				}
				group = append(group, &Task{
					ID:               taskID(prefix, ni.ID, "rel"+strconv.Itoa(j)+":"+r.TargetID+"/"+string(side)+"/"+name),
					Kind:             KindOperation,
					InstanceID:       ni.ID,
					NodeID:           ni.NodeID,
					Operation:        name,
					Side:             side,
					RelIndex:         j,
					TargetInstanceID: r.TargetID,
					IgnoreFailure:    ignore,
					op:               op,
				})
			}
		}
		if len(group) > 0 {
			groups = append(groups, group)
		}
		i = j
	}
	if reverse {
		for l, r := 0, len(groups)-1; l < r; l, r = l+1, r-1 {
			groups[l], groups[r] = groups[r], groups[l]
		}
	}
	for _, g := range groups {
		s.step(g...)
	}
}
