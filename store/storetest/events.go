package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func testEvents(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	execution(t, s, "e", "d")
	execution(t, s, "f", "d")

	evs, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	assert.Empty(t, evs)

	ts := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	var in []*store.Event
	for i := range 25 {
		in = append(in, &store.Event{Type: "log", Level: "info", NodeInstanceID: "web_1", Operation: "create", Message: fmt.Sprintf("m%d", i)})
	}
	in[0].Timestamp = ts
	require.NoError(t, s.AppendEvents(ctx, "e", in[:10]))
	require.NoError(t, s.AppendEvents(ctx, "e", in[10:]))
	require.NoError(t, s.AppendEvents(ctx, "f", []*store.Event{{Type: "workflow_failed", Message: "other stream", Error: "boom"}}))
	for i, ev := range in {
		assert.Equal(t, uint64(i+1), ev.Seq, "seq written back")
	}

	all, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	require.Len(t, all, 25)
	assert.True(t, all[0].Timestamp.Equal(ts), "timestamp kept")
	assert.False(t, all[1].Timestamp.IsZero(), "timestamp filled")
	assert.Equal(t, "d", all[0].DeploymentID)
	assert.Equal(t, "e", all[0].ExecutionID)
	assert.Equal(t, "web_1", all[0].NodeInstanceID)
	for i, ev := range all {
		assert.Equal(t, uint64(i+1), ev.Seq)
		assert.Equal(t, fmt.Sprintf("m%d", i), ev.Message)
	}

	page, err := s.Events(ctx, "e", 10, 5)
	require.NoError(t, err)
	require.Len(t, page, 5)
	assert.Equal(t, uint64(11), page[0].Seq)
	assert.Equal(t, uint64(15), page[4].Seq)
	tail, err := s.Events(ctx, "e", 25, 10)
	require.NoError(t, err)
	assert.Empty(t, tail)
	other, err := s.Events(ctx, "f", 0, 0)
	require.NoError(t, err)
	require.Len(t, other, 1)
	assert.Equal(t, uint64(1), other[0].Seq, "sequences are per execution")
	assert.Equal(t, "boom", other[0].Error)

	_, err = s.Events(ctx, "nope", 0, 0)
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.AppendEvents(ctx, "nope", in[:1]), store.ErrNotFound)
	requireClean(t, s)
}

// testEventsConcurrentAppends: concurrent writers get unique, gap-free
// sequence numbers, and each writer's events keep their order.
func testEventsConcurrentAppends(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	execution(t, s, "e", "d")
	const writers, each = 6, 30
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				evs := []*store.Event{{Type: "log", TaskID: fmt.Sprint(w), Message: fmt.Sprintf("%d/%d", w, i)}}
				if i%3 == 0 { // some in pairs
					evs = append(evs, &store.Event{Type: "log", TaskID: fmt.Sprint(w), Message: fmt.Sprintf("%d/%d+", w, i)})
				}
				if !assert.NoError(t, s.AppendEvents(ctx, "e", evs)) {
					return
				}
			}
		}()
	}
	wg.Wait()
	all, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	require.Len(t, all, writers*(each+each/3))
	last := map[string]int{}
	for i, ev := range all {
		require.Equal(t, uint64(i+1), ev.Seq, "unique, gap-free, ordered")
		var w, n int
		_, err := fmt.Sscanf(ev.Message, "%d/%d", &w, &n)
		require.NoError(t, err)
		if prev, ok := last[ev.TaskID]; ok {
			assert.GreaterOrEqual(t, n, prev, "writer %d's events in order", w)
		}
		last[ev.TaskID] = n
	}
}

// testEventsFollow: a reader polling with the last seq it saw while a
// writer appends sees every event exactly once, in order.
func testEventsFollow(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 0)
	execution(t, s, "e", "d")
	const total = 120
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range total {
			if !assert.NoError(t, s.AppendEvents(ctx, "e", []*store.Event{{Type: "log", Message: fmt.Sprint(i)}})) {
				return
			}
		}
	}()
	var seen []*store.Event
	var after uint64
	deadline := time.Now().Add(30 * time.Second)
	for len(seen) < total && time.Now().Before(deadline) {
		page, err := s.Events(ctx, "e", after, 7)
		require.NoError(t, err)
		for _, ev := range page {
			require.Equal(t, after+1, ev.Seq, "no gap, no repeat")
			after = ev.Seq
			seen = append(seen, ev)
		}
		if len(page) == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	<-done
	require.Len(t, seen, total)
	for i, ev := range seen {
		assert.Equal(t, fmt.Sprint(i), ev.Message)
	}
}
