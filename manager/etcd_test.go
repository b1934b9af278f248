package manager

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/workflow"
)

// TestHelloOnEtcd: the hello blueprint installs and uninstalls through a
// Manager opened on an etcd:// store URL (a real 3-member cluster).
func TestHelloOnEtcd(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartEtcdCluster(t, 3)
	m, err := OpenLocal(c.URL("hello"), Config{DataDir: filepath.Join(t.TempDir(), "data")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	info, err := m.Info(ctx)
	require.NoError(t, err)
	require.Equal(t, c.URL("hello"), info.Store)
	_, watches := store.AsWatcher(m.Store())
	require.True(t, watches, "cancel requests and events come by watches")

	_, err = m.UploadBlueprint(ctx, "hello", copyDir(t, "../blueprints/hello"))
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello", Inputs: map[string]any{"web_port": 9090}, Seed: 7})
	require.NoError(t, err)
	e, res := run(t, m, "hello", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "install: %v", res.Err)
	require.Equal(t, store.ExecutionTerminated, e.Status)
	out, err := m.Outputs(ctx, "hello")
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9090", out["url"])

	_, res = run(t, m, "hello", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "uninstall: %v", res.Err)
	insts, err := m.Store().ListNodeInstances(ctx, "hello", "")
	require.NoError(t, err)
	for _, ni := range insts {
		require.Equal(t, store.StateDeleted, ni.State, ni.ID)
	}
	problems, err := m.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}
