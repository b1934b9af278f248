package workflow

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// Built-in workflow names: the language's (tosca). BuildGraph builds
// exactly tosca.GantryRuntime().Workflows; a workflow added here is added
// there, so that validation offers what the engine runs.
const (
	WorkflowInstall          = tosca.WorkflowInstall
	WorkflowUninstall        = tosca.WorkflowUninstall
	WorkflowExecuteOperation = tosca.WorkflowExecuteOperation
	WorkflowHeal             = tosca.WorkflowHeal
	WorkflowScale            = tosca.WorkflowScale
	WorkflowStart            = tosca.WorkflowStart
	WorkflowStop             = tosca.WorkflowStop
	WorkflowRestart          = tosca.WorkflowRestart
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
	// Update is required by the update workflow.
	Update *UpdateChange
	// AllowCustomParameters accepts undeclared parameters.
	AllowCustomParameters bool
}

// BuildGraph builds the task graph of a workflow.
func BuildGraph(o BuildOptions) (*Graph, error) {
	topo, err := newTopology(o.Plan, o.Scale.instances(), o.Update.instances(o.Plan))
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
	case WorkflowStart, WorkflowStop:
		err = b.buildStartStop(p, o.Workflow)
	case WorkflowRestart:
		err = b.buildRestart(p)
	case WorkflowUpdate:
		err = b.buildUpdate(p, o.Update, o.States)
	default:
		def, ok := customDef(o.Plan, o.Workflow)
		if !ok {
			return nil, fmt.Errorf("workflow %q: %w (have %s)", o.Workflow, ErrUnknownWorkflow, strings.Join(Workflows, ", "))
		}
		err = b.buildCustom(p, def)
	}
	if err == nil && !o.AllowCustomParameters {
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
	sel, err := b.selection(p, false)
	if err != nil {
		return err
	}
	_, err = b.operationOn(p, "operation_kwargs", WorkflowExecuteOperation, operation, kwargs, override, sel, true)
	return err
}

// selection is the instances a filtered workflow runs on and the order
// it runs them in.
type selection struct {
	filters map[string]map[string]bool
	// byDeps orders the instances' subgraphs along their relationships:
	// targets first, or sources first when reverse.
	byDeps, reverse bool
}

// Workflow parameters shared by execute_operation, start, stop, restart.
const (
	paramNodeIDs         = "node_ids"
	paramNodeInstanceIDs = "node_instance_ids"
	paramTypeNames       = "type_names"
	paramByDependency    = "run_by_dependency_order"
)

// selection reads the filter parameters and run_by_dependency_order
// (whose default differs between workflows).
func (b *builder) selection(p *params, byDepsDefault bool) (selection, error) {
	var sel selection
	var err error
	if sel.byDeps, err = p.boolean(paramByDependency, byDepsDefault); err != nil {
		return sel, err
	}
	sel.filters = map[string]map[string]bool{}
	for _, name := range []string{paramNodeIDs, paramNodeInstanceIDs, paramTypeNames} {
		l, err := p.strings(name)
		if err != nil {
			return sel, err
		}
		if len(l) > 0 {
			set := map[string]bool{}
			for _, s := range l {
				set[s] = true
			}
			sel.filters[name] = set
		}
	}
	for _, id := range sortedKeys(sel.filters[paramNodeIDs]) {
		if _, ok := b.topo.nodes[id]; !ok {
			return sel, p.errf(paramNodeIDs, "no node %q in the deployment", id)
		}
	}
	for _, id := range sortedKeys(sel.filters[paramNodeInstanceIDs]) {
		if _, ok := b.topo.instances[id]; !ok {
			return sel, p.errf(paramNodeInstanceIDs, "no node instance %q in the deployment", id)
		}
	}
	return sel, nil
}

// selected reports whether ni passes the filters (all of them).
func (b *builder) selected(sel selection, ni *tosca.NodeInstance) bool {
	if f := sel.filters[paramNodeIDs]; f != nil && !f[ni.NodeID] {
		return false
	}
	if f := sel.filters[paramNodeInstanceIDs]; f != nil && !f[ni.ID] {
		return false
	}
	if f := sel.filters[paramTypeNames]; f != nil {
		node := b.topo.nodes[ni.NodeID]
		for _, t := range node.TypeHierarchy {
			if f[t] {
				return true
			}
		}
		return f[node.Type]
	}
	return true
}

// operationOn runs one operation on every selected instance that defines
// it (NO-OPs cost nothing), with kwargs merged into its inputs. strict
// makes an instance without the operation an error (execute_operation);
// otherwise it is skipped. It returns the whole as one subgraph.
func (b *builder) operationOn(p *params, kwargsParam, prefix, operation string, kwargs map[string]any, override *bool, sel selection, strict bool) (subgraph, error) {
	sgs := map[string]subgraph{}
	var all subgraph
	for _, ni := range b.topo.order {
		s := b.seq()
		if b.selected(sel, ni) {
			node := b.topo.nodes[ni.NodeID]
			op, ok := node.Operations[operation]
			if !ok && strict {
				return all, fmt.Errorf("%s: operation %q is not defined for node instance %s (node %s)", prefix, operation, ni.ID, ni.NodeID)
			}
			if ok && !op.IsNoop() {
				for k := range kwargs {
					if _, dup := op.Inputs[k]; dup && (override == nil || !*override) {
						return all, p.errf(kwargsParam, "input %q of operation %s on node %s is already set; pass allow_kwargs_override: true to override it", k, operation, node.ID)
					}
				}
				s.step(&Task{ID: taskID(prefix, ni.ID, operation), Kind: KindOperation, InstanceID: ni.ID, NodeID: ni.NodeID,
					Operation: operation, op: op, Kwargs: kwargs, AllowKwargsOverride: override != nil && *override})
			}
		}
		if sel.byDeps && s.frontier == nil {
			s.step(&Task{ID: taskID(prefix, ni.ID, "stub"), Kind: KindNop, InstanceID: ni.ID, NodeID: ni.NodeID})
		}
		sg := s.done()
		sgs[ni.ID] = sg
		all.entry = append(all.entry, sg.entry...)
		all.exit = append(all.exit, sg.exit...)
	}
	if sel.byDeps {
		for _, ni := range b.topo.order {
			for _, r := range ni.Relationships {
				tgt, ok := sgs[r.TargetID]
				if !ok || r.TargetID == ni.ID {
					continue
				}
				if sel.reverse {
					b.after(tgt, sgs[ni.ID])
				} else {
					b.after(sgs[ni.ID], tgt)
				}
			}
		}
	}
	return all, nil
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

// ScaleTarget is the entity a scale with params scales: the
// scalable_entity_name, or, with scale_compute: true and a node contained
// (transitively) in a host, that host node, with its other contained nodes
// (Cloudify's rule). Errors wrap ErrBadParameter.
func ScaleTarget(p *tosca.Plan, params map[string]any) (string, error) {
	ps := newParams(WorkflowScale, params)
	name, err := ps.str(paramScalableEntity, "")
	if err != nil {
		return "", err
	}
	if name == "" {
		return "", ps.errf(paramScalableEntity, "required (a node or scaling group name)")
	}
	compute, err := ps.boolean(paramScaleCompute, false)
	if err != nil || !compute || p == nil {
		return name, err
	}
	for _, n := range p.Nodes {
		if n.ID == name && n.HostID != "" && n.HostID != name {
			return n.HostID, nil
		}
	}
	return name, nil
}

// Parameters of scale.
const (
	paramScalableEntity = "scalable_entity_name"
	paramScaleCompute   = "scale_compute"
)

func (b *builder) buildScale(p *params, ch *ScaleChange) error {
	if _, err := p.str(paramScalableEntity, ""); err != nil {
		return err
	}
	if _, err := p.integer("delta", 1); err != nil {
		return err
	}
	if _, err := p.boolean(paramScaleCompute, false); err != nil {
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

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
