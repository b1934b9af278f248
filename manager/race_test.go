package manager

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// Two executions stored at the same moment: the later one is refused and
// recorded as failed; the earlier one is left alone.
func TestSettleRace(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "hello", "../blueprints/hello")
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello"})
	require.NoError(t, err)
	now := time.Now().UTC()
	first := &store.Execution{ID: "aaa", DeploymentID: "hello", WorkflowID: "install", Status: store.ExecutionStarted, CreatedAt: now}
	second := &store.Execution{ID: "bbb", DeploymentID: "hello", WorkflowID: "install", Status: store.ExecutionStarted, CreatedAt: now}
	require.NoError(t, m.Store().CreateExecution(ctx, first))
	require.NoError(t, m.Store().CreateExecution(ctx, second))

	require.NoError(t, m.settleRace(ctx, first, false), "the first one runs")
	err = m.settleRace(ctx, second, false)
	require.True(t, errors.Is(err, ErrActiveExecution), "%v", err)
	got, err := m.Store().GetExecution(ctx, "bbb")
	require.NoError(t, err)
	require.Equal(t, store.ExecutionFailed, got.Status)
	require.Contains(t, got.Error, "execution aaa (install) of the same deployment started first")
	got, err = m.Store().GetExecution(ctx, "aaa")
	require.NoError(t, err)
	require.Equal(t, store.ExecutionStarted, got.Status)
}
