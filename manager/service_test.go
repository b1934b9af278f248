package manager

import (
	"context"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// deadExecution stores an execution of a created deployment that claims to
// run in a process that has exited, with two events already written.
func deadExecution(t *testing.T, m *Manager) *store.Execution {
	t.Helper()
	ctx := context.Background()
	_, err := m.UploadBlueprint(ctx, "hello", "../blueprints/hello")
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello"})
	require.NoError(t, err)
	cmd := exec.Command("true")
	require.NoError(t, cmd.Run())
	e := &store.Execution{ID: "dead1", DeploymentID: "hello", WorkflowID: "install", Status: store.ExecutionStarted, PID: cmd.Process.Pid}
	require.NoError(t, m.st.CreateExecution(ctx, e))
	require.NoError(t, m.st.AppendEvents(ctx, e.ID, []*store.Event{
		{Type: api.EventWorkflowStarted, Message: "starting workflow install"},
		{Type: api.EventTaskSent, Message: "sent"},
	}))
	return e
}

// Following an execution whose gantry process died ends: the events so far,
// then the execution reaped as interrupted (`events list --follow` used to
// poll such an execution forever).
func TestFollowEventsOfADeadExecutionEnds(t *testing.T) {
	m := newManager(t)
	e := deadExecution(t, m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	var seen []string
	ended, err := m.FollowEvents(ctx, e.ID, 0, func(ev *api.Event) error {
		seen = append(seen, ev.Type)
		return nil
	})
	require.NoError(t, err, "the follow ends by itself, not by the deadline")
	require.Equal(t, []string{api.EventWorkflowStarted, api.EventTaskSent}, seen)
	require.Equal(t, api.ExecutionFailed, ended.Status)
	require.Contains(t, ended.Error, "interrupted")
	require.Contains(t, ended.Error, "gantry executions resume dead1")

	// The reaped record is what every read sees now.
	got, err := m.GetExecution(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionFailed, got.Status)
}

// Reads reap: GetExecution and ListExecutions never show a dead process's
// execution as running.
func TestReadsReapDeadExecutions(t *testing.T) {
	ctx := context.Background()
	for name, read := range map[string]func(m *Manager, id string) (*api.Execution, error){
		"get": func(m *Manager, id string) (*api.Execution, error) { return m.GetExecution(ctx, id) },
		"list": func(m *Manager, id string) (*api.Execution, error) {
			es, err := m.ListExecutions(ctx, "hello")
			if err != nil || len(es) != 1 {
				return nil, err
			}
			return es[0], nil
		},
	} {
		t.Run(name, func(t *testing.T) {
			m := newManager(t)
			e := deadExecution(t, m)
			got, err := read(m, e.ID)
			require.NoError(t, err)
			require.Equal(t, api.ExecutionFailed, got.Status)
			require.Contains(t, got.Error, "interrupted")
		})
	}
}

// Install through the boundary: upload, create, install; again with the
// same files reuses both; new inputs for the deployment are refused.
// Uninstall deletes the deployment and the unused blueprint after the run
// (a dry run deletes nothing).
func TestInstallAndUninstallAsAWhole(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	var svc api.Service = m

	var mu sync.Mutex
	var types []string
	opts := api.ExecOptions{OnEvent: func(ev *api.Event) {
		mu.Lock()
		defer mu.Unlock()
		types = append(types, ev.Type)
	}}
	started, err := svc.Install(ctx, api.InstallRequest{Path: "../blueprints/hello", Inputs: map[string]any{"web_port": 9090}, Options: opts})
	require.NoError(t, err)
	require.Equal(t, "hello", started.Blueprint.ID)
	require.Equal(t, "hello", started.Deployment.ID)
	require.True(t, started.DeploymentCreated)
	require.False(t, started.BlueprintReused)
	e, err := started.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, e.Status)
	require.Equal(t, "install", e.WorkflowID)
	mu.Lock()
	require.Equal(t, api.EventWorkflowStarted, types[0])
	require.Equal(t, api.EventWorkflowSucceeded, types[len(types)-1])
	mu.Unlock()
	out, err := svc.Outputs(ctx, "hello")
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:9090", out["url"])

	again, err := svc.Install(ctx, api.InstallRequest{Path: "../blueprints/hello"})
	require.NoError(t, err)
	require.True(t, again.BlueprintReused)
	require.False(t, again.DeploymentCreated)
	_, err = again.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, 0, again.Run.(*Running).Result().Operations, "nothing runs again")

	_, err = svc.Install(ctx, api.InstallRequest{Path: "../blueprints/hello", Inputs: map[string]any{"web_port": 1}})
	require.ErrorIs(t, err, api.ErrConflict)
	require.EqualError(t, err, "deployment hello exists: its inputs cannot change; uninstall it first or choose another id with -d")

	// A dry-run uninstall deletes nothing.
	dry, err := svc.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello", Options: api.ExecOptions{DryRun: true}})
	require.NoError(t, err)
	_, err = dry.Wait(ctx)
	require.NoError(t, err)
	_, err = svc.GetDeployment(ctx, "hello")
	require.NoError(t, err, "a dry run keeps the deployment")

	run, err := svc.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello"})
	require.NoError(t, err)
	e, err = run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, e.Status, e.Error)
	_, err = svc.GetDeployment(ctx, "hello")
	require.ErrorIs(t, err, api.ErrNotFound)
	_, err = svc.GetBlueprint(ctx, "hello")
	require.ErrorIs(t, err, api.ErrNotFound)
}

func TestInfoIsLocal(t *testing.T) {
	m := newManager(t)
	info, err := m.Info(context.Background())
	require.NoError(t, err)
	require.Equal(t, api.ModeLocal, info.Mode)
}

// An execution whose process died blocks nothing: the deployment can be
// deleted without force (the execution is reaped on the way).
func TestDeadExecutionDoesNotBlockDelete(t *testing.T) {
	m := newManager(t)
	deadExecution(t, m)
	require.NoError(t, m.DeleteDeployment(context.Background(), "hello", false))
}
