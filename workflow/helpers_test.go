package workflow

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// planBuilder assembles small plans in Go, the shape of corpus blueprints.
type planBuilder struct {
	p *tosca.Plan
}

func newPlan() *planBuilder {
	return &planBuilder{p: &tosca.Plan{Version: "cloudify_dsl_1_3"}}
}

// op returns an operation of the given plugin with inputs.
func op(plugin string, inputs map[string]any) *tosca.Operation {
	if inputs == nil {
		inputs = map[string]any{}
	}
	return &tosca.Operation{Plugin: plugin, Operation: plugin + ".run", Executor: tosca.ExecutorCentral, Inputs: inputs}
}

// node adds a node with one instance "<id>_1" (or n instances "<id>_<k>").
func (b *planBuilder) node(id string, types []string, ops map[string]*tosca.Operation, n int) *tosca.Node {
	if ops == nil {
		ops = map[string]*tosca.Operation{}
	}
	nd := &tosca.Node{ID: id, Name: id, Type: types[len(types)-1], TypeHierarchy: types, Operations: ops, Properties: map[string]any{}, PlannedInstances: n}
	b.p.Nodes = append(b.p.Nodes, nd)
	for k := 1; k <= n; k++ {
		iid := fmt.Sprintf("%s_%d", id, k)
		b.p.NodeInstances = append(b.p.NodeInstances, &tosca.NodeInstance{ID: iid, Name: iid, NodeID: id})
	}
	return nd
}

// rel adds a relationship from every instance of src to every instance of
// tgt (all_to_all).
func (b *planBuilder) rel(src, typ, tgt string, sourceOps, targetOps map[string]*tosca.Operation) {
	hier := []string{tosca.RelDependsOn}
	if typ != tosca.RelDependsOn {
		hier = append(hier, typ)
	}
	var sn *tosca.Node
	for _, n := range b.p.Nodes {
		if n.ID == src {
			sn = n
		}
	}
	sn.Relationships = append(sn.Relationships, &tosca.Relationship{Type: typ, TargetID: tgt, TypeHierarchy: hier,
		SourceOperations: sourceOps, TargetOperations: targetOps, Properties: map[string]any{}})
	for _, si := range b.p.NodeInstances {
		if si.NodeID != src {
			continue
		}
		for _, ti := range b.p.NodeInstances {
			if ti.NodeID == tgt {
				si.Relationships = append(si.Relationships, &tosca.InstanceRelationship{Type: typ, TargetName: tgt, TargetID: ti.ID})
				if typ == tosca.RelContainedIn {
					si.HostID = ti.HostID
				}
			}
		}
	}
}

var (
	rootTypes    = []string{tosca.TypeRoot}
	computeTypes = []string{tosca.TypeRoot, tosca.TypeCompute}
)

// recPlugin is an in-process plugin that records the operations it runs
// ("<instance>:<short op>", with "<src>-><tgt>:<op>:<side>" for
// relationship operations) and misbehaves on request through inputs:
// fail_count N (fail the first N attempts), non_recoverable, retry_after
// (seconds, via plugins.Retry), sleep (seconds), returns.
type recPlugin struct {
	mu       sync.Mutex
	log      []string
	attempts map[string]int
	running  int
	peak     int
}

func newRecPlugin() *recPlugin { return &recPlugin{attempts: map[string]int{}} }

func short(op string) string { return op[strings.LastIndex(op, ".")+1:] }

func label(oc *plugins.Context) string {
	if oc.Relationship != nil {
		side := "source"
		if oc.Instance == oc.Target.Instance {
			side = "target"
		}
		return fmt.Sprintf("%s->%s:%s:%s", oc.Source.Instance.ID, oc.Target.Instance.ID, short(oc.OperationName), side)
	}
	return oc.Instance.ID + ":" + short(oc.OperationName)
}

func (p *recPlugin) Run(ctx context.Context, oc *plugins.Context) (any, error) {
	l := label(oc)
	p.mu.Lock()
	p.attempts[l]++
	n := p.attempts[l]
	p.running++
	if p.running > p.peak {
		p.peak = p.running
	}
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.running--
		p.mu.Unlock()
	}()
	if s, ok := oc.Inputs["sleep"].(float64); ok {
		select {
		case <-time.After(time.Duration(s * float64(time.Second))):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fc, ok := oc.Inputs["fail_count"].(int); ok && n <= fc {
		err := fmt.Errorf("%s: failing attempt %d of %d", l, n, fc)
		if oc.Inputs["non_recoverable"] == true {
			return nil, plugins.NonRecoverable(err)
		}
		if ra, ok := oc.Inputs["retry_after"].(float64); ok {
			return nil, plugins.Retry(err.Error(), time.Duration(ra*float64(time.Second)))
		}
		return nil, err
	}
	p.mu.Lock()
	p.log = append(p.log, l)
	p.mu.Unlock()
	if v, ok := oc.Inputs["returns"]; ok {
		return v, nil
	}
	return nil, nil
}

func (p *recPlugin) ran() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// before asserts that a ran before b in log.
func requireBefore(t *testing.T, log []string, a, b string) {
	t.Helper()
	ia, ib := -1, -1
	for i, l := range log {
		if l == a && ia < 0 {
			ia = i
		}
		if l == b && ib < 0 {
			ib = i
		}
	}
	require.GreaterOrEqual(t, ia, 0, "%s did not run: %v", a, log)
	require.GreaterOrEqual(t, ib, 0, "%s did not run: %v", b, log)
	require.Less(t, ia, ib, "%s must run before %s: %v", a, b, log)
}

// testConfig returns a fast engine config with the rec plugin registered.
func testConfig(t *testing.T, st State, rec *recPlugin) Config {
	t.Helper()
	reg := plugins.NewRegistry()
	require.NoError(t, reg.Register("rec", rec))
	return Config{State: st, Plugins: reg, FlushInterval: 5 * time.Millisecond, CancelPollInterval: 10 * time.Millisecond}
}

var execSeq int

func runWF(t *testing.T, cfg Config, p *tosca.Plan, wf string, params map[string]any) (*Result, error) {
	t.Helper()
	execSeq++
	return Run(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: fmt.Sprintf("ex%d", execSeq), Workflow: wf, Params: params, Plan: p})
}

func eventsOf(st *MemState, exec string, typ EventType) []Event {
	var out []Event
	for _, e := range st.Events(exec) {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func sortedCopy(l []string) []string {
	out := append([]string(nil), l...)
	sort.Strings(out)
	return out
}

// lastExec and prevExec name the executions runWF started last.
func lastExec() string { return fmt.Sprintf("ex%d", execSeq) }
func prevExec() string { return fmt.Sprintf("ex%d", execSeq-1) }
