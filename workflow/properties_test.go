package workflow

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Runtime functions in node properties (e.g. an SSH key from a secret) are
// evaluated for the operation; the plan itself is left as it was, and the
// secret's value never reaches an event.
func TestNodePropertiesEvaluatedForOperations(t *testing.T) {
	var seen map[string]any
	reg := plugins.NewRegistry()
	require.NoError(t, reg.Register("see", plugins.Func(func(_ context.Context, oc *plugins.Context) (any, error) {
		seen = oc.Node.Properties
		oc.Log(plugins.LevelInfo, "key is %v", oc.Node.Properties["ssh_key"])
		return nil, nil
	})))
	st := NewMemState()
	cfg := Config{State: st, Plugins: reg, FlushInterval: 5 * time.Millisecond,
		Secrets: func(_ context.Context, key string) (string, error) { return "KEY-" + key, nil }}
	b := newPlan()
	n := b.node("n", rootTypes, map[string]*tosca.Operation{opCreate: op("see", nil)}, 1)
	n.Properties = map[string]any{"ssh_key": map[string]any{"get_secret": "master"}, "port": 22}
	_, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"ssh_key": "KEY-master", "port": 22}, seen)
	require.Equal(t, map[string]any{"get_secret": "master"}, n.Properties["ssh_key"], "the plan is not changed")
	for _, ev := range eventsOf(st, lastExec(), EventLog) {
		require.NotContains(t, ev.Message, "KEY-master")
	}
}
