package workflow

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

var update = flag.Bool("update", false, "rewrite golden files")

// goldenPlan: a Compute host with an app contained in it and a db it is
// connected to twice (two adjacent relationships to the same target, then
// one to another), with NO-OPs mixed in.
func goldenPlan() *tosca.Plan {
	b := newPlan()
	full := func() map[string]*tosca.Operation {
		m := map[string]*tosca.Operation{}
		for _, o := range []string{opCreate, opConfigure, opStart, opStop, opDelete} {
			m[o] = op("rec", nil)
		}
		return m
	}
	hostOps := full()
	hostOps[opHostGetState] = op("rec", nil)
	hostOps[opConfigure] = &tosca.Operation{} // NO-OP: skipped
	b.node("vm", computeTypes, hostOps, 1)
	b.node("db", rootTypes, full(), 1)
	b.node("app", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil), opStart: op("rec", nil)}, 1)
	relOps := func() map[string]*tosca.Operation {
		return map[string]*tosca.Operation{relPreconfigure: op("rec", nil), relEstablish: op("rec", nil), relUnlink: op("rec", nil)}
	}
	b.rel("app", tosca.RelContainedIn, "vm", nil, nil)
	b.rel("app", tosca.RelConnectedTo, "db", relOps(), relOps())
	b.rel("app", tosca.RelDependsOn, "db", map[string]*tosca.Operation{relEstablish: op("rec", nil)}, nil)
	b.rel("app", tosca.RelDependsOn, "vm", nil, map[string]*tosca.Operation{relEstablish: op("rec", nil)})
	for _, ni := range b.p.NodeInstances {
		if ni.NodeID == "app" {
			ni.HostID = "vm_1"
		}
		if ni.NodeID == "vm" {
			ni.HostID = "vm_1"
		}
	}
	return b.p
}

func TestGoldenGraphs(t *testing.T) {
	started := map[string]string{"vm_1": StateStarted, "db_1": StateStarted, "app_1": StateStarted}
	tests := []struct {
		name string
		opts BuildOptions
	}{
		{"install", BuildOptions{Workflow: WorkflowInstall}},
		{"install_resume_started_skipped", BuildOptions{Workflow: WorkflowInstall, States: map[string]string{"vm_1": StateStarted, "db_1": StateStarted}}},
		{"uninstall", BuildOptions{Workflow: WorkflowUninstall, States: started}},
		{"uninstall_ignore_failure", BuildOptions{Workflow: WorkflowUninstall, States: started, Params: map[string]any{"ignore_failure": true}}},
		{"execute_operation_by_dependency_order", BuildOptions{Workflow: WorkflowExecuteOperation, Params: map[string]any{
			"operation": opStart, "run_by_dependency_order": true, "node_ids": []any{"vm", "app"}}}},
		{"heal_app", BuildOptions{Workflow: WorkflowHeal, Params: map[string]any{"node_instance_id": "app_1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Plan = goldenPlan()
			g, err := BuildGraph(tc.opts)
			require.NoError(t, err)
			got := g.Dump()
			path := filepath.Join("testdata", "graph_"+tc.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create golden files")
			assert.Equal(t, string(want), got)
		})
	}
}

func TestBuildGraphErrors(t *testing.T) {
	p := goldenPlan()
	tests := []struct {
		name string
		opts BuildOptions
		want string
	}{
		{"unknown workflow", BuildOptions{Workflow: "frobnicate"}, "unknown workflow"},
		{"unknown parameter", BuildOptions{Workflow: WorkflowUninstall, Params: map[string]any{"ignore_failur": true}}, "unknown parameters [ignore_failur]"},
		{"bad parameter type", BuildOptions{Workflow: WorkflowUninstall, Params: map[string]any{"ignore_failure": "yes"}}, "want true or false"},
		{"execute_operation without operation", BuildOptions{Workflow: WorkflowExecuteOperation}, "required"},
		{"execute_operation unknown op", BuildOptions{Workflow: WorkflowExecuteOperation, Params: map[string]any{"operation": "x.y"}}, `operation "x.y" is not defined`},
		{"execute_operation unknown node", BuildOptions{Workflow: WorkflowExecuteOperation, Params: map[string]any{"operation": opStart, "node_ids": []any{"nope"}}}, `no node "nope"`},
		{"execute_operation kwargs without clash", BuildOptions{Workflow: WorkflowExecuteOperation, Params: map[string]any{"operation": opStart, "node_ids": []any{"db"},
			"operation_kwargs": map[string]any{"k": 1}}}, ""},
		{"heal unknown instance", BuildOptions{Workflow: WorkflowHeal, Params: map[string]any{"node_instance_id": "nope"}}, `no node instance "nope"`},
		{"scale without change", BuildOptions{Workflow: WorkflowScale, Params: map[string]any{"scalable_entity_name": "app"}}, "ScaleChange is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.Plan = p
			_, err := BuildGraph(tc.opts)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	_, err := BuildGraph(BuildOptions{Workflow: WorkflowInstall})
	assert.ErrorContains(t, err, "nil plan")
}

func TestExecuteOperationKwargsOverride(t *testing.T) {
	p := goldenPlan()
	for _, n := range p.Nodes {
		if n.ID == "db" {
			n.Operations[opStart].Inputs["k"] = 1
		}
	}
	params := map[string]any{"operation": opStart, "node_ids": []any{"db"}, "operation_kwargs": map[string]any{"k": 2}}
	_, err := BuildGraph(BuildOptions{Plan: p, Workflow: WorkflowExecuteOperation, Params: params})
	require.ErrorIs(t, err, ErrBadParameter)
	assert.ErrorContains(t, err, "allow_kwargs_override")
	params["allow_kwargs_override"] = true
	g, err := BuildGraph(BuildOptions{Plan: p, Workflow: WorkflowExecuteOperation, Params: params})
	require.NoError(t, err)
	require.Equal(t, 1, g.Len())
	assert.Equal(t, map[string]any{"k": 2}, g.Tasks[0].Kwargs)
}
