package workflow

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Custom workflows (Cloudify's script.execute_workflow): the graph is one
// task that runs the workflow's script on this machine; the script drives
// the deployment through its ctx (plugins.WorkflowGraph, implemented here
// by customGraph). Operations it asks for run in the script's request,
// through the same attempt code as graph tasks (events, retries, timeouts,
// secret redaction, records), under their own parallelism bound. Each gets
// a stable id (instance, operation and how many times the script asked
// for that pair), so a resumed execution runs the script again and skips
// the operations recorded as done.

// paramScriptPath is the parameter naming a custom workflow's script.
const paramScriptPath = "script_path"

// taskWorkflowScript is the id of a custom workflow's script task.
const taskWorkflowScript = "workflow/script"

// IsCustom reports whether p declares wf as a custom (script) workflow.
func IsCustom(p *tosca.Plan, wf string) bool {
	_, ok := customDef(p, wf)
	return ok
}

func customDef(p *tosca.Plan, wf string) (*tosca.Workflow, bool) {
	if p == nil {
		return nil, false
	}
	def, ok := p.Workflows[wf]
	if !ok || def.Plugin != tosca.PluginScript || def.Operation != tosca.OpScriptRunWorkflow {
		return nil, false
	}
	return def, true
}

// CheckCustomParams checks the parameters of a custom workflow of p
// against its declaration (ErrBadParameter), before anything is stored;
// nil for other workflows.
func CheckCustomParams(p *tosca.Plan, wf string, params map[string]any, allowCustom bool) error {
	def, ok := customDef(p, wf)
	if !ok {
		return nil
	}
	ps := newParams(wf, params)
	if err := checkCustomParams(ps, def); err != nil {
		return err
	}
	if allowCustom {
		return nil
	}
	return ps.finish()
}

func checkCustomParams(p *params, def *tosca.Workflow) error {
	for _, name := range sortedKeys(def.Parameters) {
		pd := def.Parameters[name]
		p.used[name] = true
		v, ok := p.m[name]
		if !ok {
			if pd.Required && !pd.HasDefault && pd.Default == nil {
				return p.errf(name, "required (declared without a default)")
			}
			continue
		}
		if err := checkParamType(pd.Type, v); err != nil {
			return p.errf(name, "%v", err)
		}
	}
	return nil
}

// buildCustom builds the one-task graph of a custom workflow, after
// checking its parameters against the declaration: required ones present,
// declared types respected, unknown ones refused (unless allowed).
func (b *builder) buildCustom(p *params, def *tosca.Workflow) error {
	if err := checkCustomParams(p, def); err != nil {
		return err
	}
	script, _ := p.m[paramScriptPath].(string)
	if script == "" {
		return p.errf(paramScriptPath, "a custom workflow needs the path of its script")
	}
	zero := 0
	op := &tosca.Operation{Plugin: tosca.PluginScript, Operation: tosca.OpScriptRunWorkflow, Implementation: script,
		ScriptPath: script, Executor: tosca.ExecutorCentral, MaxRetries: &zero}
	_, err := b.g.add(&Task{ID: taskWorkflowScript, Kind: KindOperation, Operation: b.g.Workflow, op: op, WorkflowScript: true})
	return err
}

// checkParamType checks a value against a declared primitive type
// (other types are not checked here).
func checkParamType(typ string, v any) error {
	if v == nil {
		return nil
	}
	ok := true
	switch typ {
	case "string":
		_, ok = v.(string)
	case "boolean":
		_, ok = v.(bool)
	case "integer":
		switch n := v.(type) {
		case int, int64:
		case float64:
			ok = n == float64(int64(n))
		default:
			ok = false
		}
	case "float":
		switch v.(type) {
		case int, int64, float64:
		default:
			ok = false
		}
	case "list":
		_, ok = v.([]any)
	case "dict":
		_, ok = v.(map[string]any)
	}
	if !ok {
		return fmt.Errorf("want a %s, got %T", typ, v)
	}
	return nil
}

// scriptContext is the operation context of a custom workflow's script:
// no instance, the parameters as inputs, the engine as its graph.
func (r *run) scriptContext(t *Task, attempt, maxRetries int) *plugins.Context {
	params := plugins.DeepCopyMap(r.req.Params)
	if params == nil {
		params = map[string]any{}
	}
	oc := r.baseContext(t, attempt, maxRetries)
	oc.Inputs, oc.Graph = params, &customGraph{r: r}
	return oc
}

// customOps is the state the operations of a custom workflow share: their
// concurrency bound, how many times each (instance, operation) pair was
// asked for, and counts for the summary.
type customOps struct {
	once sync.Once
	sem  chan struct{}

	mu  sync.Mutex
	seq map[string]int

	ops, succeeded, failed, ignored, skipped, retries atomic.Int64
}

func (c *customOps) slot(n int) chan struct{} {
	c.once.Do(func() { c.sem = make(chan struct{}, n) })
	return c.sem
}

// next numbers the requests for one (instance, operation) pair.
func (c *customOps) next(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seq == nil {
		c.seq = map[string]int{}
	}
	c.seq[key]++
	return c.seq[key]
}

// addTo adds the custom operations' counts to a result.
func (c *customOps) addTo(res *Result) {
	res.Operations += int(c.ops.Load())
	res.Succeeded += int(c.succeeded.Load())
	res.Failed += int(c.failed.Load())
	res.Ignored += int(c.ignored.Load())
	res.Skipped += int(c.skipped.Load())
	res.Retries += int(c.retries.Load())
}

// customGraph is the plugins.WorkflowGraph of a custom workflow's script.
type customGraph struct{ r *run }

func (g *customGraph) Parameters() map[string]any { return plugins.DeepCopyMap(g.r.req.Params) }

func (g *customGraph) Nodes() []plugins.WorkflowNode {
	topo := g.r.topo
	count := map[string]int{}
	for _, ni := range topo.order {
		count[ni.NodeID]++
	}
	out := make([]plugins.WorkflowNode, 0, len(topo.plan.Nodes))
	for _, n := range topo.plan.Nodes {
		ops := make([]string, 0, len(n.Operations))
		for name := range n.Operations {
			ops = append(ops, name)
		}
		sort.Strings(ops)
		out = append(out, plugins.WorkflowNode{ID: n.ID, Type: n.Type, TypeHierarchy: n.TypeHierarchy,
			Properties: plugins.DeepCopyMap(n.Properties), NumberOfInstances: count[n.ID], HostID: n.HostID, Operations: ops})
	}
	return out
}

func (g *customGraph) Instances(nodeID string) ([]plugins.WorkflowInstance, error) {
	topo := g.r.topo
	if _, ok := topo.nodes[nodeID]; nodeID != "" && !ok {
		return nil, fmt.Errorf("no node %q in deployment %s", nodeID, g.r.req.DeploymentID)
	}
	var out []plugins.WorkflowInstance
	for _, ni := range topo.order {
		if nodeID != "" && ni.NodeID != nodeID {
			continue
		}
		wi := plugins.WorkflowInstance{ID: ni.ID, NodeID: ni.NodeID, HostID: ni.HostID}
		if in := g.r.insts.get(ni.ID); in != nil {
			in.mu.Lock()
			wi.State = in.rec.State
			in.mu.Unlock()
			wi.RuntimeProperties = in.runtime.All()
		}
		for _, rel := range ni.Relationships {
			wi.Relationships = append(wi.Relationships, rel.TargetID)
		}
		out = append(out, wi)
	}
	return out, nil
}

func (g *customGraph) SetState(_ context.Context, instanceID, state string) error {
	r := g.r
	ni, ok := r.topo.instances[instanceID]
	if !ok {
		return fmt.Errorf("set state: no node instance %q in deployment %s", instanceID, r.req.DeploymentID)
	}
	if !knownState(state) {
		return fmt.Errorf("set state of %s: unknown state %q (want one of: %s)", instanceID, state, strings.Join(instanceStates, ", "))
	}
	if r.halted.Load() {
		return fmt.Errorf("set state of %s: %w", instanceID, ErrCancelled)
	}
	r.insts.get(instanceID).setState(state)
	r.rec.markDirty(instanceID)
	r.rec.event(Event{Type: EventStateChanged, NodeID: ni.NodeID, NodeInstanceID: instanceID, State: state,
		Message: fmt.Sprintf("node instance %s: %s", instanceID, state)})
	return nil
}

func (g *customGraph) ExecuteOperation(ctx context.Context, req plugins.OperationRequest) (any, error) {
	r := g.r
	ni, ok := r.topo.instances[req.InstanceID]
	if !ok {
		return nil, fmt.Errorf("execute %s: no node instance %q in deployment %s", req.Operation, req.InstanceID, r.req.DeploymentID)
	}
	node := r.topo.nodes[ni.NodeID]
	op, ok := node.Operations[req.Operation]
	if !ok {
		return nil, fmt.Errorf("execute %s: the operation is not defined for node instance %s (node %s)", req.Operation, ni.ID, node.ID)
	}
	if op.IsNoop() {
		return nil, nil
	}
	if !req.AllowKwargsOverride {
		for _, k := range sortedKeys(req.Kwargs) {
			if _, dup := op.Inputs[k]; dup {
				return nil, fmt.Errorf("execute %s on %s: input %q is already set by the blueprint; allow kwargs override to replace it", req.Operation, ni.ID, k)
			}
		}
	}
	key := ni.ID + "/" + req.Operation
	t := &Task{ID: fmt.Sprintf("%s/%s/%d", r.req.Workflow, key, r.custom.next(key)), Kind: KindOperation,
		InstanceID: ni.ID, NodeID: ni.NodeID, Operation: req.Operation, op: op,
		Kwargs: plugins.DeepCopyMap(req.Kwargs), AllowKwargsOverride: req.AllowKwargsOverride}
	c := &r.custom
	c.ops.Add(1)
	if rec, done := r.done[t.ID]; done {
		c.skipped.Add(1)
		r.rec.event(r.taskEvent(t, EventTaskSkipped, rec.Attempts, "completed in an earlier run: not run again"))
		return rec.Result, nil
	}
	sem := c.slot(r.cfg.Parallelism)
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-r.forceCtx.Done():
		return nil, ErrCancelled
	}
	defer func() { <-sem }()
	r.ex.opsRunning.Add(1)
	defer r.ex.opsRunning.Add(-1)
	for attempt := 0; ; attempt++ {
		if r.halted.Load() {
			return nil, fmt.Errorf("%s on %s not run: %w", req.Operation, ni.ID, ErrCancelled)
		}
		o := r.attempt(t, attempt)
		switch o.kind {
		case outcomeSucceeded:
			c.succeeded.Add(1)
			r.ex.opsDone.Add(1)
			return o.ret, nil
		case outcomeIgnored:
			c.ignored.Add(1)
			r.ex.opsDone.Add(1)
			return nil, nil
		case outcomeCancelled:
			return nil, fmt.Errorf("%s on %s stopped: %w", req.Operation, ni.ID, ErrCancelled)
		case outcomeFailed:
			c.failed.Add(1)
			r.ex.opsDone.Add(1)
			r.ex.opsFailed.Add(1)
			return nil, fmt.Errorf("operation %s on node instance %s failed (attempt %d): %s", req.Operation, ni.ID, attempt+1, r.red.String(o.err.Error()))
		case outcomeRetry:
			c.retries.Add(1)
			timer := time.NewTimer(o.after)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return nil, ctx.Err()
			case <-r.forceCtx.Done():
				timer.Stop()
				return nil, ErrCancelled
			case <-r.haltedCh:
				timer.Stop()
				return nil, fmt.Errorf("%s on %s not retried: %w", req.Operation, ni.ID, ErrCancelled)
			}
		}
	}
}

// errCancelledScript reports whether a custom workflow's script failed
// because the execution was cancelled under it.
func errCancelledScript(t *Task, cancel CancelMode) bool {
	return t.WorkflowScript && cancel != CancelNone
}

// instanceStates are the node instance states the store keeps.
var instanceStates = []string{StateUninitialized, StateInitializing, StateCreating, StateCreated, StateConfiguring,
	StateConfigured, StateStarting, StateStarted, StateStopping, StateStopped, StateDeleting, StateDeleted}

func knownState(s string) bool {
	for _, k := range instanceStates {
		if k == s {
			return true
		}
	}
	return false
}
