package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

func newManager(t *testing.T) *Manager {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "gantry.db"), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	m, err := New(Config{Store: st, DataDir: filepath.Join(dir, "data")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	return m
}

func run(t *testing.T, m *Manager, dep, wf string, params map[string]any) (*store.Execution, *workflow.Result) {
	t.Helper()
	ctx := context.Background()
	r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: dep, Workflow: wf, Parameters: params})
	require.NoError(t, err)
	e, err := r.Wait(ctx)
	require.NoError(t, err)
	return e, r.(*Running).Result()
}

// copyDir copies the hello blueprint so the test can delete the source.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

func TestHelloInstallOutputsUninstall(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	src := copyDir(t, "../blueprints/hello")

	bp, err := m.UploadBlueprint(ctx, "hello", src)
	require.NoError(t, err)
	require.Equal(t, "blueprint.yaml", bp.MainFile)
	// The deployment must not need the source folder any more.
	require.NoError(t, os.RemoveAll(src))

	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello", Inputs: map[string]any{"web_port": 9090}, Seed: 7})
	require.NoError(t, err)

	e, res := run(t, m, "hello", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "install: %v", res.Err)
	require.Equal(t, store.ExecutionTerminated, e.Status)

	insts, err := m.Store().ListNodeInstances(ctx, "hello", "")
	require.NoError(t, err)
	require.Len(t, insts, 3)
	for _, ni := range insts {
		require.Equal(t, store.StateStarted, ni.State, ni.ID)
	}

	out, err := m.Outputs(ctx, "hello")
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9090", out["url"])
	require.Equal(t, "Hello from Gantry", out["greeting"])
	require.Equal(t, "postgres://127.0.0.1:5432/hello", out["database"])

	evs, err := m.Store().Events(ctx, e.ID, 0, 0)
	require.NoError(t, err)
	require.NotEmpty(t, evs)
	var logged bool
	for _, ev := range evs {
		if ev.Type == "log" && ev.Message == "web connected to postgres://127.0.0.1:5432/hello" {
			logged = true
		}
	}
	require.True(t, logged, "script log lines become events")

	_, res = run(t, m, "hello", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "uninstall: %v", res.Err)
	insts, err = m.Store().ListNodeInstances(ctx, "hello", "")
	require.NoError(t, err)
	for _, ni := range insts {
		require.Equal(t, store.StateDeleted, ni.State, ni.ID)
	}
	require.NoError(t, m.DeleteDeployment(ctx, "hello", false))
	require.NoError(t, m.DeleteBlueprint(ctx, "hello"))
	problems, err := m.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}
