package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// end sets an execution's status (and its end time, for a terminal one).
func end(t testing.TB, s store.Store, id string, status store.ExecutionStatus) *store.Execution {
	t.Helper()
	e, err := s.UpdateExecution(context.Background(), id, func(e *store.Execution) error {
		e.Status, e.Error = status, ""
		if status.Terminal() {
			e.EndedAt = store.Now()
		}
		if status == store.ExecutionFailed {
			e.Error = "boom"
		}
		return nil
	})
	require.NoError(t, err)
	return e
}

// testDeletedExecutions: DeleteDeployment keeps a tombstone of each
// execution it deletes, with its final record and when it was deleted;
// it is no live execution (not got, not listed, no live events), its
// events are kept with it (DeletedEvents), its id is not given to another
// execution while it is kept, and a forced delete of a running one ends
// it, failed.
func testDeletedExecutions(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	seed(t, s, "other", 0)
	execution(t, s, "ok", "d")
	var evs []*store.Event
	for _, typ := range []string{"workflow_started", "log", "log", "log", "workflow_succeeded"} {
		evs = append(evs, &store.Event{Type: typ, Message: typ})
	}
	require.NoError(t, s.AppendEvents(ctx, "ok", evs[:2]))
	require.NoError(t, s.AppendEvents(ctx, "ok", evs[2:]))
	final := end(t, s, "ok", store.ExecutionTerminated)
	execution(t, s, "bad", "d")
	end(t, s, "bad", store.ExecutionFailed)
	execution(t, s, "live", "other")

	_, err := s.GetDeletedExecution(ctx, "ok")
	require.ErrorIs(t, err, store.ErrNotFound, "a live execution has no tombstone")
	before := store.Now()
	require.NoError(t, s.DeleteDeployment(ctx, "d", false))
	after := store.Now()

	_, err = s.GetExecution(ctx, "ok")
	require.ErrorIs(t, err, store.ErrNotFound, "deleted: no live execution")
	_, err = s.Events(ctx, "ok", 0, 0)
	require.ErrorIs(t, err, store.ErrNotFound, "no live execution's events")
	requireDeletedEvents(t, s, "ok", "d", evs)
	none, err := s.DeletedEvents(ctx, "bad", 0, 0)
	require.NoError(t, err, "a tombstone without events")
	assert.Empty(t, none)
	got, err := s.GetDeletedExecution(ctx, "ok")
	require.NoError(t, err)
	assert.Equal(t, store.ExecutionTerminated, got.Status)
	assert.Equal(t, "d", got.DeploymentID)
	assert.Equal(t, "install", got.WorkflowID)
	assert.Equal(t, map[string]any{"x": float64(1)}, got.Parameters)
	assert.True(t, got.EndedAt.Equal(final.EndedAt))
	assert.False(t, got.DeletedAt.Before(before) || got.DeletedAt.After(after), "deleted at %v, between %v and %v", got.DeletedAt, before, after)
	bad, err := s.GetDeletedExecution(ctx, "bad")
	require.NoError(t, err)
	assert.Equal(t, store.ExecutionFailed, bad.Status)
	assert.Equal(t, "boom", bad.Error)
	for _, id := range []string{"live", "nope"} {
		_, err = s.GetDeletedExecution(ctx, id)
		assert.ErrorIs(t, err, store.ErrNotFound, id)
		_, err = s.DeletedEvents(ctx, id, 0, 0)
		assert.ErrorIs(t, err, store.ErrNotFound, id)
	}

	all, err := s.ListExecutions(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1, "tombstones are not listed")
	assert.Equal(t, "live", all[0].ID)

	// A new deployment of the same id: the tombstones' ids stay theirs.
	seed(t, s, "d", 0)
	err = s.CreateExecution(ctx, &store.Execution{ID: "ok", DeploymentID: "d", WorkflowID: "install"})
	require.ErrorIs(t, err, store.ErrExists, "the id of a kept tombstone is taken")
	assert.Contains(t, err.Error(), "deleted with deployment")
	execution(t, s, "next", "d")
	list, err := s.ListExecutions(ctx, "d")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "next", list[0].ID)
	_, err = s.GetDeletedExecution(ctx, "next")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// Forced while running: the tombstone tells it ended there.
	_, err = s.UpdateExecution(ctx, "next", func(e *store.Execution) error { e.Status = store.ExecutionStarted; return nil })
	require.NoError(t, err)
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	forced, err := s.GetDeletedExecution(ctx, "next")
	require.NoError(t, err)
	assert.Equal(t, store.ExecutionFailed, forced.Status)
	assert.Contains(t, forced.Error, "deleted with its deployment while started")
	assert.False(t, forced.EndedAt.IsZero())
	got, err = s.GetDeletedExecution(ctx, "ok")
	require.NoError(t, err, "an earlier tombstone is kept")
	assert.Equal(t, store.ExecutionTerminated, got.Status)
	requireDeletedEvents(t, s, "ok", "d", evs)

	require.NoError(t, s.Batch(ctx, func(b store.Store) error {
		got, err := b.GetDeletedExecution(ctx, "bad")
		if err == nil {
			assert.Equal(t, "bad", got.ID)
		}
		if err != nil {
			return err
		}
		kept, err := b.DeletedEvents(ctx, "ok", 4, 0)
		if err == nil {
			require.Len(t, kept, 1)
			assert.Equal(t, "workflow_succeeded", kept[0].Type)
		}
		return err
	}))
	requireClean(t, s)
}

// requireDeletedEvents asserts that the kept events of the deleted
// execution id are want, in order, whole and by pages.
func requireDeletedEvents(t *testing.T, s store.Store, id, dep string, want []*store.Event) {
	t.Helper()
	ctx := context.Background()
	all, err := s.DeletedEvents(ctx, id, 0, 0)
	require.NoError(t, err, "the events of a tombstone are kept with it")
	require.Len(t, all, len(want))
	for i, ev := range all {
		assert.Equal(t, uint64(i+1), ev.Seq)
		assert.Equal(t, want[i].Type, ev.Type)
		assert.Equal(t, want[i].Message, ev.Message)
		assert.Equal(t, id, ev.ExecutionID)
		assert.Equal(t, dep, ev.DeploymentID)
	}
	var paged []uint64
	for after := uint64(0); ; {
		page, err := s.DeletedEvents(ctx, id, after, 2)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page), 2)
		if len(page) == 0 {
			break
		}
		for _, ev := range page {
			paged = append(paged, ev.Seq)
			after = ev.Seq
		}
	}
	assert.Len(t, paged, len(want), "paging by afterSeq: %v", paged)
	for i, seq := range paged {
		assert.Equal(t, uint64(i+1), seq)
	}
	rest, err := s.DeletedEvents(ctx, id, uint64(len(want)), 0)
	require.NoError(t, err)
	assert.Empty(t, rest, "nothing after the last")
}

// RunExpiry runs the tests of what expires; newStore returns a fresh
// store that keeps tombstones for ttl (Options.DeletedExecutionTTL).
func RunExpiry(t *testing.T, newStore func(t *testing.T, ttl time.Duration) store.Store) {
	t.Run("DeletedExecutionsExpire", func(t *testing.T) {
		const ttl = time.Second
		s := newStore(t, ttl)
		t.Cleanup(func() { _ = s.Close() })
		testDeletedExecutionsExpire(t, s, ttl)
	})
}

// testDeletedExecutionsExpire: a tombstone is gone once its time is up,
// and its id is free again; a later deletion of an execution of that id
// keeps the new one (and drops the old, in a consistent store).
func testDeletedExecutionsExpire(t *testing.T, s store.Store, ttl time.Duration) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	execution(t, s, "a", "d")
	first := []*store.Event{{Type: "log", Message: "first"}, {Type: "workflow_succeeded", Message: "done"}}
	require.NoError(t, s.AppendEvents(ctx, "a", first))
	end(t, s, "a", store.ExecutionTerminated)
	require.NoError(t, s.DeleteDeployment(ctx, "d", false))
	_, err := s.GetDeletedExecution(ctx, "a")
	require.NoError(t, err)
	requireDeletedEvents(t, s, "a", "d", first)
	time.Sleep(ttl + 100*time.Millisecond)
	_, err = s.GetDeletedExecution(ctx, "a")
	require.ErrorIs(t, err, store.ErrNotFound, "expired after %v", ttl)
	_, err = s.DeletedEvents(ctx, "a", 0, 0)
	require.ErrorIs(t, err, store.ErrNotFound, "its events expire with it")
	requireClean(t, s)

	seed(t, s, "d", 0)
	require.NoError(t, s.CreateExecution(ctx, &store.Execution{ID: "a", DeploymentID: "d", WorkflowID: "uninstall"}), "the id is free again")
	_, err = s.GetDeletedExecution(ctx, "a")
	require.ErrorIs(t, err, store.ErrNotFound, "a live execution of the id is no tombstone")
	second := []*store.Event{{Type: "workflow_cancelled", Message: "second"}}
	require.NoError(t, s.AppendEvents(ctx, "a", second))
	end(t, s, "a", store.ExecutionCancelled)
	require.NoError(t, s.DeleteDeployment(ctx, "d", false))
	got, err := s.GetDeletedExecution(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "uninstall", got.WorkflowID, "the newer execution's tombstone")
	assert.Equal(t, store.ExecutionCancelled, got.Status)
	requireDeletedEvents(t, s, "a", "d", second)
	requireClean(t, s)
}
