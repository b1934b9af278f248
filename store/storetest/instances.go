package storetest

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

func testNodeInstances(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 3)

	ni, err := s.GetNodeInstance(ctx, "d", "web_00001")
	require.NoError(t, err)
	assert.Equal(t, "web", ni.NodeID)
	assert.Equal(t, "host_1", ni.HostID)
	require.Len(t, ni.Relationships, 1)
	assert.Equal(t, "host_1", ni.Relationships[0].TargetID)

	webs, err := s.ListNodeInstances(ctx, "d", "web")
	require.NoError(t, err)
	require.Len(t, webs, 3)
	for i, w := range webs {
		assert.Equal(t, "web", w.NodeID)
		if i > 0 {
			assert.Less(t, webs[i-1].ID, w.ID, "ordered by id")
		}
	}
	hosts, err := s.ListNodeInstances(ctx, "d", "host")
	require.NoError(t, err)
	assert.Len(t, hosts, 1)
	none, err := s.ListNodeInstances(ctx, "d", "we") // a prefix of "web" must not match
	require.NoError(t, err)
	assert.Empty(t, none)

	_, err = s.GetNodeInstance(ctx, "d", "nope")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetNodeInstance(ctx, "nope", "web_00001")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ListNodeInstances(ctx, "nope", "")
	assert.ErrorIs(t, err, store.ErrNotFound)

	for _, st := range store.States {
		ni, err := s.SetNodeInstanceState(ctx, "d", "web_00000", st)
		require.NoError(t, err)
		assert.Equal(t, st, ni.State)
	}
	got, err := s.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	assert.Equal(t, store.StateDeleted, got.State)
	assert.Equal(t, 1+len(store.States), got.Version, "every write bumps the version")
	_, err = s.SetNodeInstanceState(ctx, "d", "web_00000", "exploded")
	assert.ErrorIs(t, err, store.ErrInvalid)
	requireClean(t, s)
}

func testNodeInstanceVersions(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	id := "web_00000"

	ni, err := s.UpdateNodeInstance(ctx, "d", id, 1, func(ni *store.NodeInstance) error {
		ni.RuntimeProperties["ip"] = "10.0.0.1"
		ni.RuntimeProperties["nested"] = map[string]any{"a": []any{1.0, "two"}}
		ni.ID, ni.NodeID, ni.Version = "x", "y", 99 // ignored
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, 2, ni.Version)
	assert.Equal(t, id, ni.ID)
	assert.Equal(t, "web", ni.NodeID)

	// A stale version conflicts and fn is not called.
	called := false
	_, err = s.UpdateNodeInstance(ctx, "d", id, 1, func(*store.NodeInstance) error { called = true; return nil })
	assert.ErrorIs(t, err, store.ErrConflict)
	assert.False(t, called)
	assert.Contains(t, err.Error(), id)

	// State-only updates skip the check but bump the version; the
	// runtime-property writer must then re-read.
	_, err = s.SetNodeInstanceState(ctx, "d", id, store.StateCreating)
	require.NoError(t, err)
	_, err = s.UpdateNodeInstance(ctx, "d", id, 2, func(*store.NodeInstance) error { return nil })
	assert.ErrorIs(t, err, store.ErrConflict)

	// An error from fn is returned as is, and nothing is written.
	boom := errors.New("boom")
	_, err = s.UpdateNodeInstance(ctx, "d", id, store.AnyVersion, func(ni *store.NodeInstance) error {
		ni.RuntimeProperties["ip"] = "lost"
		return boom
	})
	assert.Same(t, boom, err)
	got, err := s.GetNodeInstance(ctx, "d", id)
	require.NoError(t, err)
	assert.Equal(t, 3, got.Version)
	assert.Equal(t, "10.0.0.1", got.RuntimeProperties["ip"])
	assert.Equal(t, map[string]any{"a": []any{1.0, "two"}}, got.RuntimeProperties["nested"])
	assert.Equal(t, store.StateCreating, got.State)
	requireClean(t, s)
}

// testNodeInstanceConcurrentUpdates: read-modify-write loops that retry on
// ErrConflict never lose an update.
func testNodeInstanceConcurrentUpdates(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	const workers, each = 4, 15
	var wg sync.WaitGroup
	var conflicts sync.Map
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				for {
					ni, err := s.GetNodeInstance(ctx, "d", "web_00000")
					if !assert.NoError(t, err) {
						return
					}
					n, _ := ni.RuntimeProperties["n"].(float64)
					_, err = s.UpdateNodeInstance(ctx, "d", ni.ID, ni.Version, func(ni *store.NodeInstance) error {
						ni.RuntimeProperties["n"] = n + 1
						return nil
					})
					if errors.Is(err, store.ErrConflict) {
						conflicts.Store(w, true)
						continue
					}
					if !assert.NoError(t, err) {
						return
					}
					break
				}
			}
		}()
	}
	wg.Wait()
	ni, err := s.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	assert.EqualValues(t, workers*each, ni.RuntimeProperties["n"], "no lost update")
	assert.Equal(t, 1+workers*each, ni.Version)
}

func testScaleInstances(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 2)
	add := []*store.NodeInstance{
		{NodeInstance: tosca.NodeInstance{ID: "web_00002", NodeID: "web", HostID: "host_1"}},
		{NodeInstance: tosca.NodeInstance{ID: "web_00003", NodeID: "web", HostID: "host_1"}, State: store.StateStarted},
	}
	require.NoError(t, s.CreateNodeInstances(ctx, "d", add))
	assert.Equal(t, 1, add[0].Version)
	assert.Equal(t, store.StateUninitialized, add[0].State)
	webs, err := s.ListNodeInstances(ctx, "d", "web")
	require.NoError(t, err)
	assert.Len(t, webs, 4)
	got, err := s.GetNodeInstance(ctx, "d", "web_00003")
	require.NoError(t, err)
	assert.Equal(t, store.StateStarted, got.State)
	assert.Equal(t, "web_00003", got.Name)

	// One existing id refuses the whole call.
	err = s.CreateNodeInstances(ctx, "d", []*store.NodeInstance{
		{NodeInstance: tosca.NodeInstance{ID: "web_00004", NodeID: "web"}},
		{NodeInstance: tosca.NodeInstance{ID: "web_00000", NodeID: "web"}},
	})
	assert.ErrorIs(t, err, store.ErrExists)
	_, err = s.GetNodeInstance(ctx, "d", "web_00004")
	assert.ErrorIs(t, err, store.ErrNotFound)

	// One missing id refuses the whole delete.
	err = s.DeleteNodeInstances(ctx, "d", []string{"web_00002", "nope"})
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetNodeInstance(ctx, "d", "web_00002")
	require.NoError(t, err)

	require.NoError(t, s.DeleteNodeInstances(ctx, "d", []string{"web_00002", "web_00003"}))
	webs, err = s.ListNodeInstances(ctx, "d", "web")
	require.NoError(t, err)
	assert.Len(t, webs, 2)
	assert.ErrorIs(t, s.CreateNodeInstances(ctx, "nope", add), store.ErrNotFound)
	requireClean(t, s)
}
