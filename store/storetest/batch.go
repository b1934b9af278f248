package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func testBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 10)
	execution(t, s, "e", "d")

	// A committed batch: many writes of different kinds, reads see them.
	err := s.Batch(ctx, func(tx store.Store) error {
		var evs []*store.Event
		var tasks []*store.Task
		for i := range 10 {
			id := fmt.Sprintf("web_%05d", i)
			if _, err := tx.SetNodeInstanceState(ctx, "d", id, store.StateCreating); err != nil {
				return err
			}
			evs = append(evs, &store.Event{Type: "task_started", NodeInstanceID: id})
			tasks = append(tasks, &store.Task{ID: id + "/create", Status: store.TaskSent})
		}
		if err := tx.AppendEvents(ctx, "e", evs); err != nil {
			return err
		}
		if err := tx.PutTasks(ctx, "e", tasks); err != nil {
			return err
		}
		// A failing operation inside a batch writes nothing and the batch
		// goes on.
		if _, err := tx.GetNodeInstance(ctx, "d", "nope"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("want ErrNotFound, got %v", err)
		}
		ni, err := tx.GetNodeInstance(ctx, "d", "web_00003")
		if err != nil {
			return err
		}
		if ni.State != store.StateCreating {
			return fmt.Errorf("batch does not read its own writes: %s", ni.State)
		}
		// Nested batches join the outer one.
		return tx.Batch(ctx, func(inner store.Store) error {
			return inner.PutSecret(ctx, &store.Secret{Key: "k", Value: "v"}, false)
		})
	})
	require.NoError(t, err)
	webs, err := s.ListNodeInstances(ctx, "d", "web")
	require.NoError(t, err)
	for _, w := range webs {
		assert.Equal(t, store.StateCreating, w.State)
	}
	evs, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	assert.Len(t, evs, 10)
	tasks, err := s.ListTasks(ctx, "e")
	require.NoError(t, err)
	assert.Len(t, tasks, 10)
	_, err = s.GetSecret(ctx, "k")
	require.NoError(t, err)

	// A failed batch writes nothing at all.
	boom := errors.New("boom")
	err = s.Batch(ctx, func(tx store.Store) error {
		if _, err := tx.SetNodeInstanceState(ctx, "d", "web_00000", store.StateStarted); err != nil {
			return err
		}
		if err := tx.AppendEvents(ctx, "e", []*store.Event{{Type: "log", Message: "lost"}}); err != nil {
			return err
		}
		if err := tx.DeleteSecret(ctx, "k"); err != nil {
			return err
		}
		return boom
	})
	assert.ErrorIs(t, err, boom)
	ni, err := s.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	assert.Equal(t, store.StateCreating, ni.State)
	evs, err = s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	assert.Len(t, evs, 10)
	_, err = s.GetSecret(ctx, "k")
	require.NoError(t, err)

	// Sequence numbers stay gap-free after a rolled-back batch.
	more := []*store.Event{{Type: "log", Message: "after"}}
	require.NoError(t, s.AppendEvents(ctx, "e", more))
	assert.Equal(t, uint64(11), more[0].Seq)
	requireClean(t, s)
}

// testCopiesNotShared: records handed in and out are not aliased with the
// store's copy.
func testCopiesNotShared(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	ni, err := s.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	ni.RuntimeProperties["x"] = "local"
	ni.State = store.StateStarted
	again, err := s.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	assert.NotContains(t, again.RuntimeProperties, "x")
	assert.Equal(t, store.StateUninitialized, again.State)

	d, err := s.GetDeployment(ctx, "d")
	require.NoError(t, err)
	d.Plan.Nodes[0].ID = "changed"
	d2, err := s.GetDeployment(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, "host", d2.Plan.Nodes[0].ID)
}

func testClosed(t *testing.T, s store.Store) {
	ctx := context.Background()
	require.NoError(t, s.PutSecret(ctx, &store.Secret{Key: "k", Value: "v"}, false))
	require.NoError(t, s.Close())
	_, err := s.GetSecret(ctx, "k")
	assert.ErrorIs(t, err, store.ErrClosed)
	assert.NoError(t, s.Close(), "closing twice is harmless")
}
