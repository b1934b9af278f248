package workflow

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// dependencies_order_with_two_nodes: db_node contained_in host_node; the
// host's whole lifecycle runs before the db's.
func TestInstallDependenciesOrderWithTwoNodes(t *testing.T) {
	b := newPlan()
	ops := func() map[string]*tosca.Operation {
		return map[string]*tosca.Operation{opCreate: op("rec", nil), opStart: op("rec", nil)}
	}
	b.node("host_node", rootTypes, ops(), 1)
	b.node("db_node", rootTypes, ops(), 1)
	b.rel("db_node", tosca.RelContainedIn, "host_node", nil, nil)
	st := NewMemState()
	rec := newRecPlugin()
	res, err := runWF(t, testConfig(t, st, rec), b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	require.Equal(t, StatusTerminated, res.Status)
	require.Equal(t, []string{"host_node_1:create", "host_node_1:start", "db_node_1:create", "db_node_1:start"}, rec.ran())
	for _, id := range []string{"host_node_1", "db_node_1"} {
		r, ok := st.Instance("dep", id)
		require.True(t, ok)
		require.Equal(t, StateStarted, r.State)
	}
}

// depends_on_lifecycle_operation: the source's install waits for the
// target's named operation (configure), not for its whole install, so the
// source is created while the target's (slow) start runs; with depends_on
// it waits for that start.
func TestInstallDependsOnLifecycleOperation(t *testing.T) {
	for _, tc := range []struct {
		rel            string
		appBeforeStart bool
	}{
		{tosca.RelDependsOnLifecycleOp, true},
		{tosca.RelDependsOn, false},
	} {
		t.Run(tc.rel, func(t *testing.T) {
			b := newPlan()
			b.node("db", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil), opConfigure: op("rec", nil),
				opStart: op("rec", map[string]any{"sleep": 0.5})}, 1)
			b.node("app", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil)}, 1)
			b.rel("app", tc.rel, "db", nil, nil)
			b.p.Nodes[1].Relationships[0].Properties["operation"] = "configure"
			rec := newRecPlugin()
			res, err := runWF(t, testConfig(t, NewMemState(), rec), b.p, WorkflowInstall, nil)
			require.NoError(t, err)
			require.Equal(t, StatusTerminated, res.Status)
			ran := rec.ran()
			require.Equal(t, tc.appBeforeStart, slices.Index(ran, "app_1:create") < slices.Index(ran, "db_1:start"), "%v", ran)
			require.Less(t, slices.Index(ran, "db_1:configure"), slices.Index(ran, "app_1:create"), "%v", ran)
		})
	}
}

// Cloudify 5+'s pre/post lifecycle operations: install runs precreate
// before create and poststart after the relationships are established;
// uninstall runs prestop before stop and postdelete after delete.
func TestPrePostLifecycleOperations(t *testing.T) {
	b := newPlan()
	all := map[string]*tosca.Operation{}
	for _, o := range []string{opPrecreate, opCreate, opConfigure, opStart, opPoststart, opPrestop, opStop, opDelete, opPostdelete} {
		all[o] = op("rec", nil)
	}
	b.node("db", rootTypes, map[string]*tosca.Operation{}, 1)
	b.node("app", rootTypes, all, 1)
	b.rel("app", tosca.RelConnectedTo, "db", map[string]*tosca.Operation{relEstablish: op("rec", nil), relUnlink: op("rec", nil)}, nil)
	st := NewMemState()
	rec := newRecPlugin()
	res, err := runWF(t, testConfig(t, st, rec), b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	require.Equal(t, StatusTerminated, res.Status)
	require.Equal(t, []string{"app_1:precreate", "app_1:create", "app_1:configure", "app_1:start",
		"app_1->db_1:establish:source", "app_1:poststart"}, rec.ran())

	rec = newRecPlugin()
	res, err = runWF(t, testConfig(t, st, rec), b.p, WorkflowUninstall, nil)
	require.NoError(t, err)
	require.Equal(t, StatusTerminated, res.Status)
	require.Equal(t, []string{"app_1:prestop", "app_1:stop", "app_1->db_1:unlink:source", "app_1:delete", "app_1:postdelete"}, rec.ran())
}
