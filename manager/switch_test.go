package manager

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// TestSwitcherEnd: a modification's switch and its execution's end are
// one transaction (switch.go). A switch that fails writes nothing and
// leaves the execution failed (resumable), with the reason, as the Run's
// error; one the deployment holds already (its marker names the
// execution: a store committed it in part) ends the execution terminated.
func TestSwitcherEnd(t *testing.T) {
	errBoom := errors.New("boom")
	for _, tc := range []struct {
		name       string
		marked     bool // the deployment's marker names the execution before the end
		fail       bool // the switch fails after writing
		wantStatus store.ExecutionStatus
		wantDesc   string
	}{
		{name: "applied with the end", wantStatus: store.ExecutionTerminated, wantDesc: "switched"},
		{name: "failed: nothing written", fail: true, wantStatus: store.ExecutionFailed},
		{name: "failed but held by the deployment", marked: true, fail: true, wantStatus: store.ExecutionTerminated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t)
			ctx := context.Background()
			dir := writeBlueprintDir(t, t.TempDir(), "v1", updateV1)
			_, err := m.UploadBlueprint(ctx, "v1", dir)
			require.NoError(t, err)
			_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: "v1", Inputs: map[string]any{"log": filepath.Join(t.TempDir(), "log")}})
			require.NoError(t, err)
			e := &store.Execution{ID: "e1", DeploymentID: "d", WorkflowID: "update"}
			require.NoError(t, m.st.CreateExecution(ctx, e))
			if tc.marked {
				_, err := m.st.UpdateDeployment(ctx, "d", func(x *store.Deployment) error { x.ModifiedBy = e.ID; return nil })
				require.NoError(t, err)
			}
			sw := &switcher{apply: func(ctx context.Context, tx store.Store) error {
				if _, err := tx.UpdateDeployment(ctx, "d", func(x *store.Deployment) error {
					x.Description, x.ModifiedBy = "switched", e.ID
					return nil
				}); err != nil {
					return err
				}
				if tc.fail {
					return errBoom
				}
				return nil
			}}
			require.NoError(t, sw.end(ctx, m.st, m.st, "d", e.ID))

			got, err := m.st.GetExecution(ctx, e.ID)
			require.NoError(t, err)
			require.Equal(t, tc.wantStatus, got.Status, got.Error)
			d, err := m.st.GetDeploymentRecord(ctx, "d")
			require.NoError(t, err)
			require.Equal(t, tc.wantDesc, d.Description, "the switch is written with the end or not at all")
			if tc.wantStatus == store.ExecutionFailed {
				require.Contains(t, got.Error, "switching deployment d failed: boom")
				require.Contains(t, got.Error, "gantry executions resume e1")
				require.Empty(t, d.ModifiedBy)
				require.ErrorIs(t, sw.after(ctx), errBoom)
				return
			}
			require.Equal(t, e.ID, d.ModifiedBy)
			require.NoError(t, sw.after(ctx))
		})
	}
}

// TestResumeOfSwitchedExecution: a failed modification whose switch the
// deployment holds (its end was lost) is not run again: resume records
// it terminated and says so.
func TestResumeOfSwitchedExecution(t *testing.T) {
	m := newManager(t)
	ctx := context.Background()
	dir := writeBlueprintDir(t, t.TempDir(), "v1", updateV1)
	_, err := m.UploadBlueprint(ctx, "v1", dir)
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: "v1", Inputs: map[string]any{"log": filepath.Join(t.TempDir(), "log")}})
	require.NoError(t, err)
	e := &store.Execution{ID: "e1", DeploymentID: "d", WorkflowID: "scale"}
	require.NoError(t, m.st.CreateExecution(ctx, e))
	_, err = m.st.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
		setStatus(x, store.ExecutionFailed, "lost")
		return nil
	})
	require.NoError(t, err)
	_, err = m.st.UpdateDeployment(ctx, "d", func(x *store.Deployment) error { x.ModifiedBy = e.ID; return nil })
	require.NoError(t, err)

	_, err = m.Resume(ctx, e.ID, ExecOptions{})
	require.ErrorIs(t, err, ErrNotResumable)
	require.ErrorContains(t, err, "recorded terminated")
	got, err := m.st.GetExecution(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, got.Status)
	require.Empty(t, got.Error)
}
