package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
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
