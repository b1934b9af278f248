package workflow

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// startStopPlan: app connected_to db, both on a vm; every lifecycle
// start/stop is a real (recorded) operation.
func startStopPlan() *tosca.Plan {
	b := newPlan()
	ops := func() map[string]*tosca.Operation {
		return map[string]*tosca.Operation{opStart: op("rec", map[string]any{"who": "bp"}), opStop: op("rec", nil)}
	}
	b.node("vm", computeTypes, ops(), 1)
	b.node("db", []string{tosca.TypeRoot, "my.DB"}, ops(), 1)
	b.node("app", rootTypes, ops(), 2)
	b.rel("db", tosca.RelContainedIn, "vm", nil, nil)
	b.rel("app", tosca.RelContainedIn, "vm", nil, nil)
	b.rel("app", tosca.RelConnectedTo, "db", nil, nil)
	return b.p
}

func TestStartStopRestart(t *testing.T) {
	tests := []struct {
		wf      string
		params  map[string]any
		want    []string // the operations that run (any order)
		before  [][2]string
		wantErr string
	}{
		{wf: WorkflowStart, want: []string{"vm_1:start", "db_1:start", "app_1:start", "app_2:start"},
			before: [][2]string{{"vm_1:start", "db_1:start"}, {"db_1:start", "app_1:start"}, {"db_1:start", "app_2:start"}}},
		{wf: WorkflowStop, want: []string{"vm_1:stop", "db_1:stop", "app_1:stop", "app_2:stop"},
			before: [][2]string{{"app_1:stop", "db_1:stop"}, {"app_2:stop", "db_1:stop"}, {"db_1:stop", "vm_1:stop"}}},
		{wf: WorkflowRestart, want: []string{"vm_1:stop", "db_1:stop", "app_1:stop", "app_2:stop", "vm_1:start", "db_1:start", "app_1:start", "app_2:start"},
			before: [][2]string{{"app_1:stop", "db_1:stop"}, {"vm_1:stop", "vm_1:start"}, {"app_2:stop", "vm_1:start"}, {"db_1:start", "app_1:start"}}},
		{wf: WorkflowStart, params: map[string]any{"node_ids": []any{"app"}}, want: []string{"app_1:start", "app_2:start"}},
		{wf: WorkflowStop, params: map[string]any{"type_names": []any{"my.DB"}}, want: []string{"db_1:stop"}},
		{wf: WorkflowRestart, params: map[string]any{"node_instance_ids": []any{"app_2"}}, want: []string{"app_2:stop", "app_2:start"},
			before: [][2]string{{"app_2:stop", "app_2:start"}}},
		{wf: WorkflowStart, params: map[string]any{"node_ids": []any{"nope"}}, wantErr: `no node "nope"`},
		{wf: WorkflowStart, params: map[string]any{"bogus": 1}, wantErr: "bogus"},
	}
	for _, tt := range tests {
		t.Run(tt.wf, func(t *testing.T) {
			rec := newRecPlugin()
			st := NewMemState()
			res, err := runWF(t, testConfig(t, st, rec), startStopPlan(), tt.wf, tt.params)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, StatusTerminated, res.Status)
			require.ElementsMatch(t, tt.want, rec.ran())
			for _, p := range tt.before {
				requireBefore(t, rec.ran(), p[0], p[1])
			}
		})
	}
}

func TestStartOperationParmsOverrideInputs(t *testing.T) {
	rec := newRecPlugin()
	p := startStopPlan()
	_, err := runWF(t, testConfig(t, NewMemState(), rec), p, WorkflowStart,
		map[string]any{"operation_parms": map[string]any{"who": "param"}, "node_ids": []any{"vm"}})
	require.NoError(t, err)
	require.Equal(t, []string{"vm_1:start"}, rec.ran())
}
