package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// testClaims: every backend claims executions (store.Claimer): one claim
// at a time, a token that grows, a Writer that writes the execution's
// records, and a queued execution that leaves nothing behind once it ends.
func testClaims(t *testing.T, s store.Store) {
	ctx := context.Background()
	c, ok := store.AsClaimer(s)
	require.True(t, ok, "the store claims executions")
	seed(t, s, "d", 1)
	execution(t, s, "e", "d")
	h := store.ClaimHolder{Name: "test", Host: "here", PID: 1}

	_, err := c.ClaimExecution(ctx, "nope", h)
	require.ErrorIs(t, err, store.ErrNotFound)
	first, err := c.ClaimExecution(ctx, "e", h)
	require.NoError(t, err)
	require.Equal(t, "e", first.ExecutionID())
	_, err = c.ClaimExecution(ctx, "e", h)
	require.ErrorIs(t, err, store.ErrClaimed, "one claim at a time")

	w := first.Writer()
	require.NoError(t, w.PutTasks(ctx, "e", []*store.Task{{ID: "t", Status: store.TaskSucceeded}}))
	_, err = w.UpdateExecution(ctx, "e", func(e *store.Execution) error { e.Status = store.ExecutionStarted; return nil })
	require.NoError(t, err)
	require.NoError(t, w.Batch(ctx, func(tx store.Store) error {
		return tx.AppendEvents(ctx, "e", []*store.Event{{Type: "log", Message: "hi"}})
	}))
	select {
	case <-first.Lost():
		t.Fatal("a held claim reads lost")
	default:
	}
	require.NoError(t, first.Release(ctx))
	second, err := c.ClaimExecution(ctx, "e", h)
	require.NoError(t, err)
	require.Greater(t, second.Token(), first.Token())
	require.NoError(t, second.Release(ctx))

	q := &store.Execution{ID: "q", DeploymentID: "d", WorkflowID: "install", Queued: true, After: store.AfterDeleteDeployment}
	require.NoError(t, s.CreateExecution(ctx, q))
	got, err := s.GetExecution(ctx, "q")
	require.NoError(t, err)
	require.True(t, got.InQueue())
	require.Equal(t, store.AfterDeleteDeployment, got.After)
	_, err = s.UpdateExecution(ctx, "q", func(e *store.Execution) error { e.Status = store.ExecutionTerminated; return nil })
	require.NoError(t, err)
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	requireClean(t, s)
}
