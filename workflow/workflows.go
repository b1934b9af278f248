package workflow

import (
	"errors"
	"fmt"
	"sort"

	"github.com/gantryhq/gantry/tosca"
)

// Built-in workflow names.
const (
	WorkflowInstall          = "install"
	WorkflowUninstall        = "uninstall"
	WorkflowExecuteOperation = "execute_operation"
	WorkflowHeal             = "heal"
	WorkflowScale            = "scale"
)

// ErrUnknownWorkflow is returned for a workflow the engine has no builder for.
var ErrUnknownWorkflow = errors.New("unknown workflow")

// ScaleChange is the result of a deployment modification that the scale
// workflow runs: the instances added and removed, and the intact
// instances related to them.
type ScaleChange struct {
	// Added instances are installed; their relationships may point at
	// intact instances.
	Added []*tosca.NodeInstance
	// Removed instances are uninstalled.
	Removed []*tosca.NodeInstance
	// Related are intact instances with relationships to added or removed
	// instances: they run establish (scale out) or unlink (scale in) for
	// those relationships only. Their relationship lists must hold at least
	// those relationships; an instance listed twice has its lists merged.
	// When nil, the plan's instances are used.
	//
	// From a tosca/plan.Modification m:
	//	ScaleChange{Added: m.Added, Removed: m.Removed,
	//		Related: append(append([]*tosca.NodeInstance(nil), m.Extended...), m.Reduced...)}
	Related []*tosca.NodeInstance
}

// instances returns the change's instances for the topology: related
// (merged by id), removed, then added.
func (c *ScaleChange) instances() []*tosca.NodeInstance {
	if c == nil {
		return nil
	}
	var out []*tosca.NodeInstance
	pos := map[string]int{}
	for _, ni := range c.Related {
		if ni == nil {
			continue
		}
		if i, dup := pos[ni.ID]; dup {
			merged := *out[i]
			merged.Relationships = append(append([]*tosca.InstanceRelationship(nil), out[i].Relationships...), ni.Relationships...)
			out[i] = &merged
			continue
		}
		pos[ni.ID] = len(out)
		out = append(out, ni)
	}
	return append(append(append([]*tosca.NodeInstance(nil), out...), c.Removed...), c.Added...)
}

// BuildOptions selects the graph to build.
type BuildOptions struct {
	Plan     *tosca.Plan
	Workflow string
	Params   map[string]any
	// States are the current node instance states (missing means
	// uninitialized). install skips started instances; uninstall skips
	// uninitialized and deleted ones.
	States map[string]string
	// Scale is required by the scale workflow.
	Scale *ScaleChange
}

// BuildGraph builds the task graph of a workflow.
func BuildGraph(o BuildOptions) (*Graph, error) {
	topo, err := newTopology(o.Plan, o.Scale.instances())
	if err != nil {
		return nil, err
	}
	b := &builder{topo: topo, g: newGraph(o.Workflow)}
	p := newParams(o.Workflow, o.Params)
	switch o.Workflow {
	case WorkflowInstall:
		err = b.buildInstall(o.States)
	case WorkflowUninstall:
		err = b.buildUninstall(p, o.States)
	case WorkflowExecuteOperation:
		err = b.buildExecuteOperation(p)
	case WorkflowHeal:
		err = b.buildHeal(p)
	case WorkflowScale:
		err = b.buildScale(p, o.Scale)
	default:
		return nil, fmt.Errorf("workflow %q: %w (have install, uninstall, execute_operation, heal, scale)", o.Workflow, ErrUnknownWorkflow)
	}
	if err == nil {
		err = p.finish()
	}
	if err == nil {
		err = b.err
	}
	if err == nil {
		err = b.g.check()
	}
	if err != nil {
		return nil, err
	}
	return b.g, nil
}

func (b *builder) buildInstall(states map[string]string) error {
	l := &lifecycle{b: b, prefix: WorkflowInstall}
	for _, ni := range b.topo.order {
		if states[ni.ID] == StateStarted {
			continue
		}
		l.insts = append(l.insts, ni)
	}
	l.build(true)
	return nil
}

func (b *builder) buildUninstall(p *params, states map[string]string) error {
	ignore, err := p.boolean("ignore_failure", false)
	if err != nil {
		return err
	}
	l := &lifecycle{b: b, prefix: WorkflowUninstall, ignore: ignore}
	for _, ni := range b.topo.order {
		switch states[ni.ID] {
		case "", StateUninitialized, StateDeleted:
			continue
		}
		l.insts = append(l.insts, ni)
	}
	l.build(false)
	return nil
}

func (b *builder) buildExecuteOperation(p *params) error {
	operation, err := p.str("operation", "")
	if err != nil {
		return err
	}
	if operation == "" {
		return p.errf("operation", "required")
	}
	kwargs, err := p.object("operation_kwargs")
	if err != nil {
		return err
	}
	override, err := p.optionalBool("allow_kwargs_override")
	if err != nil {
		return err
	}
	byDeps, err := p.boolean("run_by_dependency_order", false)
	if err != nil {
		return err
	}
	filters := map[string]map[string]bool{}
	for _, name := range []string{"node_ids", "node_instance_ids", "type_names"} {
		l, err := p.strings(name)
		if err != nil {
			return err
		}
		if len(l) > 0 {
			set := map[string]bool{}
			for _, s := range l {
				set[s] = true
			}
			filters[name] = set
		}
	}
	for _, id := range sortedKeys(filters["node_ids"]) {
		if _, ok := b.topo.nodes[id]; !ok {
			return p.errf("node_ids", "no node %q in the deployment", id)
		}
	}
	for _, id := range sortedKeys(filters["node_instance_ids"]) {
		if _, ok := b.topo.instances[id]; !ok {
			return p.errf("node_instance_ids", "no node instance %q in the deployment", id)
		}
	}
	selected := func(ni *tosca.NodeInstance) bool {
		if f := filters["node_ids"]; f != nil && !f[ni.NodeID] {
			return false
		}
		if f := filters["node_instance_ids"]; f != nil && !f[ni.ID] {
			return false
		}
		if f := filters["type_names"]; f != nil {
			node := b.topo.nodes[ni.NodeID]
			match := false
			for _, t := range node.TypeHierarchy {
				if f[t] {
					match = true
					break
				}
			}
			if !match && !f[node.Type] {
				return false
			}
		}
		return true
	}
	prefix := WorkflowExecuteOperation
	sgs := map[string]subgraph{}
	for _, ni := range b.topo.order {
		s := b.seq()
		if selected(ni) {
			node := b.topo.nodes[ni.NodeID]
			op, ok := node.Operations[operation]
			if !ok {
				return fmt.Errorf("execute_operation: operation %q is not defined for node instance %s (node %s)", operation, ni.ID, ni.NodeID)
			}
			if !op.IsNoop() {
				for k := range kwargs {
					if _, dup := op.Inputs[k]; dup && (override == nil || !*override) {
						return p.errf("operation_kwargs", "input %q of operation %s on node %s is already set; pass allow_kwargs_override: true to override it", k, operation, node.ID)
					}
				}
				s.step(&Task{ID: taskID(prefix, ni.ID, operation), Kind: KindOperation, InstanceID: ni.ID, NodeID: ni.NodeID,
					Operation: operation, op: op, Kwargs: kwargs, AllowKwargsOverride: override != nil && *override})
			}
		}
		if byDeps && s.frontier == nil {
			s.step(&Task{ID: taskID(prefix, ni.ID, "stub"), Kind: KindNop, InstanceID: ni.ID, NodeID: ni.NodeID})
		}
		sgs[ni.ID] = s.done()
	}
	if byDeps {
		for _, ni := range b.topo.order {
			for _, r := range ni.Relationships {
				if tgt, ok := sgs[r.TargetID]; ok && r.TargetID != ni.ID {
					b.after(sgs[ni.ID], tgt)
				}
			}
		}
	}
	return nil
}

// containedSubgraph returns root and every instance contained in it,
// transitively, in plan order.
func (b *builder) containedSubgraph(root string) []*tosca.NodeInstance {
	children := map[string][]string{}
	for _, ni := range b.topo.order {
		for i, r := range ni.Relationships {
			if b.topo.isContainedIn(ni, i) {
				children[r.TargetID] = append(children[r.TargetID], ni.ID)
			}
		}
	}
	in := map[string]bool{root: true}
	stack := []string{root}
	for len(stack) > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, c := range children[id] {
			if !in[c] {
				in[c] = true
				stack = append(stack, c)
			}
		}
	}
	var out []*tosca.NodeInstance
	for _, ni := range b.topo.order {
		if in[ni.ID] {
			out = append(out, ni)
		}
	}
	return out
}

// relatedTo returns the instances outside set that have a relationship to
// an instance of set, in plan order.
func (b *builder) relatedTo(set []*tosca.NodeInstance, candidates []*tosca.NodeInstance) []*tosca.NodeInstance {
	in := make(map[string]bool, len(set))
	for _, ni := range set {
		in[ni.ID] = true
	}
	var out []*tosca.NodeInstance
	seen := map[string]bool{}
	for _, ni := range candidates {
		if in[ni.ID] || seen[ni.ID] {
			continue
		}
		seen[ni.ID] = true
		for _, r := range ni.Relationships {
			if in[r.TargetID] {
				out = append(out, ni)
				break
			}
		}
	}
	return out
}

// reinstall uninstalls then installs insts (heal), with related intact
// instances running unlink / establish.
func (b *builder) reinstall(insts, related []*tosca.NodeInstance, ignore bool) {
	un := (&lifecycle{b: b, prefix: WorkflowUninstall, insts: insts, related: related, ignore: ignore}).build(false)
	barrier, err := b.g.add(&Task{ID: "barrier/uninstall-done", Kind: KindNop})
	if err != nil {
		b.err = err
		return
	}
	for _, x := range un.exit {
		b.g.dep(barrier, x)
	}
	in := (&lifecycle{b: b, prefix: WorkflowInstall, insts: insts, related: related}).build(true)
	for _, e := range in.entry {
		b.g.dep(e, barrier)
	}
}

func (b *builder) buildHeal(p *params) error {
	id, err := p.str("node_instance_id", "")
	if err != nil {
		return err
	}
	ignore, err := p.boolean("ignore_failure", true)
	if err != nil {
		return err
	}
	p.ignore("diagnose_value")
	ni, ok := b.topo.instances[id]
	if !ok {
		return p.errf("node_instance_id", "no node instance %q in the deployment", id)
	}
	root := ni.ID
	if ni.HostID != "" {
		if _, ok := b.topo.instances[ni.HostID]; !ok {
			return fmt.Errorf("heal: host %q of node instance %s is not in the deployment", ni.HostID, ni.ID)
		}
		root = ni.HostID
	}
	set := b.containedSubgraph(root)
	b.reinstall(set, b.relatedTo(set, b.topo.order), ignore)
	return nil
}

func (b *builder) buildScale(p *params, ch *ScaleChange) error {
	if _, err := p.str("scalable_entity_name", ""); err != nil {
		return err
	}
	if _, err := p.integer("delta", 1); err != nil {
		return err
	}
	if _, err := p.boolean("scale_compute", false); err != nil {
		return err
	}
	ignore, err := p.boolean("ignore_failure", false)
	if err != nil {
		return err
	}
	if ch == nil {
		return fmt.Errorf("scale: no deployment modification given (ScaleChange is required)")
	}
	candidates := ch.Related
	if candidates == nil {
		candidates = b.topo.order
	}
	// Use the topology's view of each instance (overridden by the change).
	resolve := func(l []*tosca.NodeInstance) []*tosca.NodeInstance {
		out := make([]*tosca.NodeInstance, len(l))
		for i, ni := range l {
			out[i] = b.topo.instances[ni.ID]
		}
		return out
	}
	added, removed := resolve(ch.Added), resolve(ch.Removed)
	var prev subgraph
	if len(removed) > 0 {
		prev = (&lifecycle{b: b, prefix: WorkflowUninstall, insts: removed, related: b.relatedTo(removed, resolve(candidates)), ignore: ignore}).build(false)
	}
	if len(added) > 0 {
		in := (&lifecycle{b: b, prefix: WorkflowInstall, insts: added, related: b.relatedTo(added, resolve(candidates))}).build(true)
		b.after(in, prev)
	}
	return nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
