package workflow

import (
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
