package storetest

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// testEventsJSON: store.EventsJSON (a store's own EventsJSONReader, or the
// fallback) gives exactly the JSON of what Events returns, for every page,
// whatever the events hold.
func testEventsJSON(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d<&>", 0)
	execution(t, s, "e\"x", "d<&>")
	execution(t, s, "empty", "d<&>")

	in := []*store.Event{
		{Type: "workflow_started", Message: "install"},
		{Type: "log", Level: "info", NodeID: "web", NodeInstanceID: "web_1", Operation: "create", TaskID: "web_1/create", Message: "<b>&amp;</b> \"quoted\" \\ \u2028 é \x01"},
		{Type: "log", Message: `"seq":1,"execution_id":"x","deployment_id":"y"`},
		{Type: "log", Message: "execution_id"},
		{Type: "task_failed", Message: "", Error: "boom"},
	}
	require.NoError(t, s.AppendEvents(ctx, "e\"x", in))

	for _, tc := range []struct {
		after uint64
		limit int
	}{{0, 0}, {0, 2}, {1, 3}, {4, 0}, {5, 0}, {99, 1}, {^uint64(0), 0}} {
		evs, err := s.Events(ctx, "e\"x", tc.after, tc.limit)
		require.NoError(t, err)
		if evs == nil {
			evs = []*store.Event{}
		}
		want, err := json.Marshal(evs)
		require.NoError(t, err)
		got, n, err := store.EventsJSON(ctx, s, "e\"x", tc.after, tc.limit, []byte("kept"))
		require.NoError(t, err)
		assert.Equal(t, "kept"+string(want), string(got), "after %d limit %d", tc.after, tc.limit)
		assert.Equal(t, len(evs), n)
	}

	got, n, err := store.EventsJSON(ctx, s, "empty", 0, 0, nil)
	require.NoError(t, err)
	assert.Equal(t, "[]", string(got))
	assert.Zero(t, n)
	got, _, err = store.EventsJSON(ctx, s, "nope", 0, 0, []byte("kept"))
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.Equal(t, "kept", string(got), "nothing appended on failure")
	_, _, err = store.EventsJSON(ctx, s, "", 0, 0, nil)
	assert.ErrorIs(t, err, store.ErrInvalid)
}
