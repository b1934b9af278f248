package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func testExecutions(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	seed(t, s, "other", 0)
	base := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	// Ids in reverse order of creation: lists follow creation time.
	for i, id := range []string{"z", "m", "a"} {
		e := &store.Execution{ID: id, DeploymentID: "d", WorkflowID: "install", CreatedAt: base.Add(time.Duration(i) * time.Second)}
		require.NoError(t, s.CreateExecution(ctx, e))
		assert.Equal(t, store.ExecutionPending, e.Status)
	}
	execution(t, s, "o", "other")

	list, err := s.ListExecutions(ctx, "d")
	require.NoError(t, err)
	require.Len(t, list, 3)
	assert.Equal(t, []string{"z", "m", "a"}, []string{list[0].ID, list[1].ID, list[2].ID})
	all, err := s.ListExecutions(ctx, "")
	require.NoError(t, err)
	assert.Len(t, all, 4)
	_, err = s.ListExecutions(ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)

	assert.ErrorIs(t, s.CreateExecution(ctx, &store.Execution{ID: "z", DeploymentID: "d", WorkflowID: "install"}), store.ErrExists)
	assert.ErrorIs(t, s.CreateExecution(ctx, &store.Execution{ID: "y", DeploymentID: "nope", WorkflowID: "install"}), store.ErrNotFound)
	assert.ErrorIs(t, s.CreateExecution(ctx, &store.Execution{ID: "y", DeploymentID: "d", WorkflowID: "install", Status: "weird"}), store.ErrInvalid)

	started := time.Now().UTC().Truncate(time.Millisecond)
	e, err := s.UpdateExecution(ctx, "a", func(e *store.Execution) error {
		e.Status, e.StartedAt, e.PID = store.ExecutionStarted, started, 4242
		e.DeploymentID = "other" // ignored
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "d", e.DeploymentID)
	_, err = s.UpdateExecution(ctx, "a", func(e *store.Execution) error {
		e.Status, e.EndedAt, e.Error = store.ExecutionFailed, started.Add(time.Second), "Task failed 'create' -> boom"
		return nil
	})
	require.NoError(t, err)
	got, err := s.GetExecution(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, store.ExecutionFailed, got.Status)
	assert.True(t, got.StartedAt.Equal(started))
	assert.True(t, got.EndedAt.Equal(started.Add(time.Second)))
	assert.Equal(t, "Task failed 'create' -> boom", got.Error)
	assert.Equal(t, 4242, got.PID)
	assert.Equal(t, "install", got.WorkflowID)
	assert.True(t, got.Status.Terminal())

	_, err = s.UpdateExecution(ctx, "a", func(e *store.Execution) error { e.Status = "weird"; return nil })
	assert.ErrorIs(t, err, store.ErrInvalid)
	_, err = s.GetExecution(ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	requireClean(t, s)
}

func testCancel(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	execution(t, s, "e", "d")
	_, err := s.UpdateExecution(ctx, "e", func(e *store.Execution) error { e.Status = store.ExecutionStarted; return nil })
	require.NoError(t, err)

	e, err := s.RequestCancel(ctx, "e", false)
	require.NoError(t, err)
	assert.True(t, e.CancelRequested)
	assert.False(t, e.ForceCancel)
	assert.Equal(t, store.ExecutionCancelling, e.Status)
	e, err = s.RequestCancel(ctx, "e", true)
	require.NoError(t, err)
	assert.True(t, e.ForceCancel, "a second request may force")
	got, err := s.GetExecution(ctx, "e")
	require.NoError(t, err)
	assert.True(t, got.CancelRequested && got.ForceCancel)

	_, err = s.UpdateExecution(ctx, "e", func(e *store.Execution) error { e.Status = store.ExecutionCancelled; return nil })
	require.NoError(t, err)
	_, err = s.RequestCancel(ctx, "e", false)
	assert.ErrorIs(t, err, store.ErrConflict)
	assert.Contains(t, err.Error(), "cancelled")
	_, err = s.RequestCancel(ctx, "nope", false)
	assert.ErrorIs(t, err, store.ErrNotFound)
}

func testTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	execution(t, s, "e", "d")
	tasks, err := s.ListTasks(ctx, "e")
	require.NoError(t, err)
	assert.Empty(t, tasks)

	var batch []*store.Task
	for i := range 200 {
		batch = append(batch, &store.Task{ID: fmt.Sprintf("web_%03d/cloudify.interfaces.lifecycle.create", i), Status: store.TaskPending,
			NodeInstanceID: fmt.Sprintf("web_%03d", i), Operation: "cloudify.interfaces.lifecycle.create"})
	}
	require.NoError(t, s.PutTasks(ctx, "e", batch))
	require.NoError(t, s.PutTasks(ctx, "e", []*store.Task{
		{ID: batch[7].ID, Status: store.TaskFailed, Attempts: 3, LastError: "exit status 1"},
		{ID: batch[8].ID, Status: store.TaskSucceeded, Attempts: 1, Result: map[string]any{"ip": "10.0.0.1"}},
		{ID: batch[9].ID, Status: store.TaskIgnored, Attempts: 1, LastError: "stop failed"},
	}))
	tasks, err = s.ListTasks(ctx, "e")
	require.NoError(t, err)
	require.Len(t, tasks, 200)
	for i := 1; i < len(tasks); i++ {
		assert.Less(t, tasks[i-1].ID, tasks[i].ID)
	}
	got, err := s.GetTask(ctx, "e", batch[7].ID)
	require.NoError(t, err)
	assert.Equal(t, store.TaskFailed, got.Status)
	assert.Equal(t, 3, got.Attempts)
	assert.Equal(t, "exit status 1", got.LastError)
	assert.Equal(t, "e", got.ExecutionID)

	got, err = s.GetTask(ctx, "e", batch[8].ID)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ip": "10.0.0.1"}, got.Result)
	got, err = s.GetTask(ctx, "e", batch[9].ID)
	require.NoError(t, err)
	assert.Equal(t, store.TaskIgnored, got.Status)
	_, err = s.GetTask(ctx, "e", "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.PutTasks(ctx, "nope", batch[:1]), store.ErrNotFound)
	_, err = s.ListTasks(ctx, "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	// A bad record refuses the whole call.
	err = s.PutTasks(ctx, "e", []*store.Task{{ID: batch[0].ID, Status: store.TaskSucceeded}, {ID: "x", Status: "bogus"}})
	assert.ErrorIs(t, err, store.ErrInvalid)
	got, err = s.GetTask(ctx, "e", batch[0].ID)
	require.NoError(t, err)
	assert.Equal(t, store.TaskPending, got.Status)
	requireClean(t, s)
}
