package etcdstore

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// peer opens another process's view of s's prefix: its own client, so
// its own lease.
func peer(t *testing.T, s *Store, ttl time.Duration) *Store {
	t.Helper()
	opts := s.opts
	opts.LeaseTTL = ttl
	p, err := Open(context.Background(), opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func holder(name string) store.ClaimHolder {
	return store.ClaimHolder{Name: name, Host: "test", PID: 1}
}

// testClaimRace: claimers in four processes race for one execution,
// eight goroutines each: exactly one wins, every other is told ErrClaimed.
func testClaimRace(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	var (
		mu     sync.Mutex
		won    []store.Claim
		wg     sync.WaitGroup
		others int
	)
	for p := range 4 {
		ps := peer(t, s, 0)
		for g := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := ps.ClaimExecution(ctx, "e", holder(fmt.Sprintf("w%d-%d", p, g)))
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					won = append(won, c)
					return
				}
				require.ErrorIs(t, err, store.ErrClaimed)
				others++
			}()
		}
	}
	wg.Wait()
	require.Len(t, won, 1)
	require.Equal(t, 31, others)
	_, err := s.ClaimExecution(ctx, "missing", holder("x"))
	require.ErrorIs(t, err, store.ErrNotFound)

	// Released, it can be claimed again, with a larger token.
	require.NoError(t, won[0].Release(ctx))
	c, err := s.ClaimExecution(ctx, "e", holder("again"))
	require.NoError(t, err)
	require.Greater(t, c.Token(), won[0].Token())
	clean(t, s)
}

// testStaleTokenRefused: a holder whose lease ended while another process
// claimed the execution writes nothing: every kind of write through its
// Writer is refused with ErrClaimLost, its Lost channel closes, and the
// new holder's writes go through.
func testStaleTokenRefused(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 2)
	old, other := peer(t, s, 0), peer(t, s, 0)
	a, err := old.ClaimExecution(ctx, "e", holder("old"))
	require.NoError(t, err)
	w := a.Writer()
	require.NoError(t, w.PutTasks(ctx, "e", []*store.Task{{ID: "t1", Status: store.TaskSucceeded}}), "the holder writes")

	// The old holder's lease ends (revoked on the cluster, as expiry
	// would) and another process claims the execution.
	sess, err := old.session(ctx)
	require.NoError(t, err)
	_, err = s.cli.Revoke(ctx, sess.Lease())
	require.NoError(t, err)
	b, err := other.ClaimExecution(ctx, "e", holder("new"))
	require.NoError(t, err)
	require.Greater(t, b.Token(), a.Token())

	before := rev(t, s)
	_, err = w.UpdateExecution(ctx, "e", func(e *store.Execution) error { e.Status = store.ExecutionFailed; return nil })
	require.ErrorIs(t, err, store.ErrClaimLost)
	require.ErrorIs(t, w.PutTasks(ctx, "e", []*store.Task{{ID: "t2", Status: store.TaskSucceeded}}), store.ErrClaimLost)
	require.ErrorIs(t, w.AppendEvents(ctx, "e", []*store.Event{{Type: "log", Message: "late"}}), store.ErrClaimLost)
	err = w.Batch(ctx, func(tx store.Store) error {
		_, err := tx.SetNodeInstanceState(ctx, "d", "web_00000", store.StateStarted)
		return err
	})
	require.ErrorIs(t, err, store.ErrClaimLost)
	require.Equal(t, before, rev(t, s), "the stale holder wrote nothing: the revision did not move")
	select {
	case <-a.Lost():
	case <-time.After(5 * time.Second):
		t.Fatal("the stale claim was not marked lost")
	}

	// The new holder writes; the old one's release does not free its claim.
	require.NoError(t, b.Writer().PutTasks(ctx, "e", []*store.Task{{ID: "t2", Status: store.TaskSucceeded}}))
	require.NoError(t, a.Release(ctx))
	_, err = s.ClaimExecution(ctx, "e", holder("third"))
	require.ErrorIs(t, err, store.ErrClaimed)
	tasks, err := s.ListTasks(ctx, "e")
	require.NoError(t, err)
	require.Len(t, tasks, 2)
	clean(t, s)
}

// testLeaseExpiry: a holder that stops renewing its lease (as a process
// killed or cut off would) keeps its claim until the lease's time to live
// has passed, then the claim is free for another process.
func testLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	const ttl = 2 * time.Second
	dead, other := peer(t, s, ttl), peer(t, s, ttl)
	_, err := dead.ClaimExecution(ctx, "e", holder("dead"))
	require.NoError(t, err)
	sess, err := dead.session(ctx)
	require.NoError(t, err)
	sess.Orphan() // keepalives stop; the lease is not revoked
	stopped := time.Now()
	_, err = other.ClaimExecution(ctx, "e", holder("other"))
	require.ErrorIs(t, err, store.ErrClaimed, "the lease still lives")
	var c store.Claim
	require.Eventually(t, func() bool {
		c, err = other.ClaimExecution(ctx, "e", holder("other"))
		return err == nil
	}, 4*ttl, 50*time.Millisecond)
	took := time.Since(stopped)
	require.GreaterOrEqual(t, took, ttl-500*time.Millisecond, "freed before the lease expired")
	t.Logf("claim free %s after the holder stopped renewing (TTL %s)", took.Round(time.Millisecond), ttl)
	claims, err := other.Claims(ctx)
	require.NoError(t, err)
	require.Len(t, claims, 1)
	require.Equal(t, "other", claims[0].Holder.Name)
	require.Equal(t, c.Token(), claims[0].Token)
}

// testQueue: a queued execution is claimable and watched until claimed;
// a released claim makes it claimable again; once it ends it leaves the
// queue.
func testQueue(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := s.WatchClaimable(wctx)
	require.NoError(t, err)
	next := func() string {
		select {
		case id := <-ch:
			return id
		case <-time.After(5 * time.Second):
			t.Fatal("no claimable execution announced")
			return ""
		}
	}
	require.NoError(t, s.CreateExecution(ctx, &store.Execution{ID: "q1", DeploymentID: "d", WorkflowID: "install", Queued: true}))
	require.Equal(t, "q1", next())
	ids, err := s.Claimable(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"q1"}, ids, "the unqueued execution e is not claimable")

	c, err := s.ClaimExecution(ctx, "q1", holder("w"))
	require.NoError(t, err)
	ids, err = s.Claimable(ctx)
	require.NoError(t, err)
	require.Empty(t, ids)
	require.NoError(t, c.Release(ctx))
	require.Equal(t, "q1", next(), "a released claim announces the execution again")

	_, err = s.UpdateExecution(ctx, "q1", func(e *store.Execution) error { e.Status = store.ExecutionTerminated; return nil })
	require.NoError(t, err)
	ids, err = s.Claimable(ctx)
	require.NoError(t, err)
	require.Empty(t, ids, "an ended execution leaves the queue")

	require.NoError(t, s.RegisterWorker(ctx, store.WorkerInfo{Name: "w1", Host: "test", PID: 1, Parallel: 2}))
	ws, err := s.Workers(ctx)
	require.NoError(t, err)
	require.Len(t, ws, 1)
	require.Positive(t, ws[0].LeaseTTL)
	ms, err := s.Members(ctx)
	require.NoError(t, err)
	require.Len(t, ms, 3)
	leaders := 0
	for _, m := range ms {
		require.Empty(t, m.Error)
		if m.Leader {
			leaders++
		}
	}
	require.Equal(t, 1, leaders)
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	clean(t, s)
}

// testCancelQueued: a queued execution that no worker claimed ends at
// once when cancelled (leaving the queue); one a worker claimed is only
// marked cancelling, for that worker (which ends it, manager/queue.go).
func testCancelQueued(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	for _, id := range []string{"q1", "q2"} {
		require.NoError(t, s.CreateExecution(ctx, &store.Execution{ID: id, DeploymentID: "d", WorkflowID: "install", Queued: true}))
	}
	e, err := s.RequestCancel(ctx, "q1", false)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionCancelled, e.Status)
	require.Equal(t, store.UnstartedCancel, e.Error)
	require.False(t, e.EndedAt.IsZero())

	c, err := s.ClaimExecution(ctx, "q2", holder("w"))
	require.NoError(t, err)
	e, err = s.RequestCancel(ctx, "q2", false)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionCancelling, e.Status, "claimed: its worker ends it")
	require.True(t, e.EndsAtCancel())
	require.NoError(t, c.Release(ctx))
	ids, err := s.Claimable(ctx)
	require.NoError(t, err)
	require.Equal(t, []string{"q2"}, ids, "the cancelled one left the queue")
	_, err = s.RequestCancel(ctx, "q1", false)
	require.ErrorIs(t, err, store.ErrConflict, "already ended")
	clean(t, s)
}
