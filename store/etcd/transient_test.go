package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gantryhq/gantry/store"
)

// TestTransient: the cluster's failures to answer (what a write meets
// while etcd elects a new leader) are waited out; refusals are not.
func TestTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{rpctypes.ErrLeaderChanged, true},
		{rpctypes.ErrNoLeader, true},
		{rpctypes.ErrTimeout, true},
		{rpctypes.ErrTimeoutDueToLeaderFail, true},
		{fmt.Errorf("commit: %w", rpctypes.ErrTimeoutDueToConnectionLost), true},
		{status.Error(codes.Unavailable, "error reading from server: EOF"), true},
		{rpctypes.ErrRequestTooLarge, false},
		{rpctypes.ErrCompacted, false},
		{context.Canceled, false},
		{context.DeadlineExceeded, false},
		{errors.New("something else"), false},
		{nil, false},
	} {
		require.Equal(t, tc.want, transient(tc.err), "%v", tc.err)
	}
}

// testApplied: after a write whose answer was lost, applied tells from
// the cluster whether it was committed (and at which revision).
func testApplied(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 0)
	secret := func(v string) *chunk {
		w := newTx(s.cli, s.opts)
		w.k = s.k
		rec := store.Secret{Key: "k", Value: v, Visibility: store.VisibilityTenant}
		require.NoError(t, w.put("secret", s.k.secret("k"), &rec))
		return &chunk{ops: w.ops}
	}
	before := rev(t, s)
	c := secret("one")
	after := &tx{kv: s.cli, rev: before}
	_, ok, err := after.applied(ctx, c)
	require.NoError(t, err)
	require.False(t, ok, "not written yet")
	_, err = s.cli.Put(ctx, c.ops[0].key, string(c.ops[0].val))
	require.NoError(t, err)
	at, ok, err := after.applied(ctx, c)
	require.NoError(t, err)
	require.True(t, ok, "its value is there, written after the snapshot")
	require.Greater(t, at, before)
	_, ok, err = after.applied(ctx, secret("two"))
	require.NoError(t, err)
	require.False(t, ok, "another value")
	_, ok, err = (&tx{kv: s.cli, rev: at}).applied(ctx, c)
	require.NoError(t, err)
	require.False(t, ok, "written before the snapshot: not this write's")
	del := &chunk{ops: []op{{kind: opDel, key: c.ops[0].key}}}
	_, ok, err = after.applied(ctx, del)
	require.NoError(t, err)
	require.False(t, ok, "the key is still there")
	_, err = s.cli.Delete(ctx, c.ops[0].key)
	require.NoError(t, err)
	_, ok, err = after.applied(ctx, del)
	require.NoError(t, err)
	require.True(t, ok, "deleted")
}

// TestWrapErrUnavailable: the cluster's failures to answer, a call's own
// time running out and a cluster that refuses writes for now are
// store.ErrUnavailable (callers try again); refusals are not.
func TestWrapErrUnavailable(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{rpctypes.ErrLeaderChanged, true},
		{rpctypes.ErrNoLeader, true},
		{rpctypes.ErrTimeout, true},
		{status.Error(codes.Unavailable, "error reading from server: EOF"), true},
		{context.DeadlineExceeded, true},
		{status.Error(codes.DeadlineExceeded, "context deadline exceeded"), true},
		{rpctypes.ErrNoSpace, true},
		{rpctypes.ErrTooManyRequests, true},
		{rpctypes.ErrRequestTooLarge, false},
		{rpctypes.ErrCompacted, false},
		{context.Canceled, false},
		{errors.New("something else"), false},
	} {
		err := wrapErr(tc.err)
		require.Equal(t, tc.want, errors.Is(err, store.ErrUnavailable), "%v", tc.err)
		if tc.want {
			require.ErrorIs(t, err, tc.err, "the cause is kept")
		}
	}
	require.ErrorIs(t, wrapErr(rpctypes.ErrRequestTooLarge), store.ErrTooLarge)
}

// testClaimAnswerLost: a claim whose transaction got no answer may have
// been applied (the key on this process's lease, with the attempt's
// value): the next claim of the same process adopts it, with its
// revision as the token, instead of reporting ErrClaimed by itself; any
// other value, or another process's claim, is still ErrClaimed. The lost
// answer is made as etcd would leave it: the attempt fails before it is
// sent (its time was up), then its own value is written under the
// process's lease.
func testClaimAnswerLost(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 0)
	sess, err := s.session(ctx)
	require.NoError(t, err)
	gone, cancel := context.WithCancel(ctx)
	cancel()
	_, err = s.ClaimExecution(gone, "e", holder("w1"))
	require.Error(t, err)
	s.unsureMu.Lock()
	val, ok := s.unsure["e"]
	s.unsureMu.Unlock()
	require.True(t, ok, "an unanswered claim is remembered")
	put, err := s.cli.Put(ctx, s.k.claim("e"), val, clientv3.WithLease(sess.Lease()))
	require.NoError(t, err)

	other := peer(t, s, 0)
	_, err = other.ClaimExecution(ctx, "e", holder("w2"))
	require.ErrorIs(t, err, store.ErrClaimed, "another process")
	cl, err := s.ClaimExecution(ctx, "e", holder("w1"))
	require.NoError(t, err, "adopted")
	require.Equal(t, put.Header.Revision, cl.Token())
	_, err = cl.Writer().UpdateExecution(ctx, "e", func(x *store.Execution) error { x.Error = "by the adopted claim"; return nil })
	require.NoError(t, err, "its writes are fenced by the adopted token")
	require.NoError(t, cl.Release(ctx))
	cl2, err := other.ClaimExecution(ctx, "e", holder("w2"))
	require.NoError(t, err, "released")

	// Not this attempt's value: ErrClaimed, adoption is for one's own.
	_, err = s.ClaimExecution(gone, "e", holder("w1"))
	require.Error(t, err)
	_, err = s.ClaimExecution(ctx, "e", holder("w1"))
	require.ErrorIs(t, err, store.ErrClaimed)
	require.NoError(t, cl2.Release(ctx))
}
