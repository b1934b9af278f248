package workflow

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// slowCommits is a State whose commits take delay (a loaded disk, a store
// held by another process) and that remembers the most operation results
// one commit carried: what a crash right before it would have lost.
type slowCommits struct {
	*MemState
	delay time.Duration

	mu      sync.Mutex
	maxDone int
}

func (s *slowCommits) Commit(ctx context.Context, b *Batch) error {
	n := 0
	for _, e := range b.Events {
		if e.Type == EventTaskSucceeded {
			n++
		}
	}
	s.mu.Lock()
	s.maxDone = max(s.maxDone, n)
	s.mu.Unlock()
	time.Sleep(s.delay)
	return s.MemState.Commit(ctx, b)
}

// While commits lag behind, operations that ended but are not recorded yet
// (re-run after a crash) never exceed MaxUnrecorded plus those running:
// the engine stops starting operations until a commit catches up.
func TestWriteBehindWindowBounded(t *testing.T) {
	st := &slowCommits{MemState: NewMemState(), delay: 60 * time.Millisecond}
	rec := newRecPlugin()
	cfg := testConfig(t, st, rec)
	cfg.Parallelism, cfg.MaxUnrecorded = 4, 6
	b := newPlan()
	const nodes = 60
	for i := range nodes {
		b.node(fmt.Sprintf("n%02d", i), rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil)}, 1)
	}
	res, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	require.Equal(t, nodes, res.Operations)
	bound := cfg.MaxUnrecorded + cfg.Parallelism
	assert.LessOrEqual(t, st.maxDone, bound, "operation results waiting for one commit")
	t.Logf("at most %d operation results in one commit (bound %d)", st.maxDone, bound)
}

// failingCommits fails every commit that records an operation's end,
// after a delay: the failure lands while the engine, its backlog full,
// waits for it. Cancel requests come by a watch (as on etcd), so no
// polling wakes the engine meanwhile.
type failingCommits struct {
	*MemState
	delay time.Duration
}

func (s *failingCommits) WatchCancel(context.Context, string) (<-chan CancelMode, error) {
	return make(chan CancelMode), nil
}

func (s *failingCommits) Commit(ctx context.Context, b *Batch) error {
	for _, e := range b.Events {
		if e.Type == EventTaskSucceeded {
			time.Sleep(s.delay)
			return fmt.Errorf("cluster unavailable")
		}
	}
	return s.MemState.Commit(ctx, b)
}

// TestCommitFailureWhileBacklogFull: a commit fails while the engine,
// with nothing running, waits for its backlog to shrink; the run ends
// failed with the commit's error instead of waiting forever (seen with
// etcd's leader killed mid-install).
func TestCommitFailureWhileBacklogFull(t *testing.T) {
	st := &failingCommits{MemState: NewMemState(), delay: 200 * time.Millisecond}
	rec := newRecPlugin()
	cfg := testConfig(t, st, rec)
	cfg.Parallelism, cfg.MaxUnrecorded = 1, 1
	b := newPlan()
	for i := range 20 {
		b.node(fmt.Sprintf("n%02d", i), rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil)}, 1)
	}
	type outcome struct {
		res *Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		res, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		require.Error(t, o.err)
		assert.Contains(t, o.err.Error(), "cluster unavailable")
		assert.Equal(t, StatusFailed, o.res.Status)
	case <-time.After(time.Minute):
		t.Fatal("the engine still waits for a commit after one failed")
	}
}
