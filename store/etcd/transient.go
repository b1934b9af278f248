package etcdstore

import (
	"bytes"
	"context"
	"errors"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// transientWait bounds how long one write waits out a cluster that does
// not answer it (a leader election after the leader died, a member down):
// etcd elects a new leader within seconds.
const transientWait = 30 * time.Second

// transientBackoff is the pause before a transaction whose reads got no
// answer runs again.
const transientBackoff = 100 * time.Millisecond

// transient reports whether err is the cluster's failing to answer (no
// leader, the leader changed, the member went away, a timeout) rather
// than a refusal: the write may or may not have been applied.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var ee rpctypes.EtcdError
	if errors.As(err, &ee) {
		return ee.Code() == codes.Unavailable
	}
	return status.Code(err) == codes.Unavailable
}

// refusedForNow reports whether err is the cluster's refusing writes
// until an operator or time frees it (its space quota exceeded: the
// NOSPACE alarm, until compacted, defragmented and disarmed; too many
// requests pending): nothing was applied, and the same request succeeds
// once it is over.
func refusedForNow(err error) bool {
	var ee rpctypes.EtcdError
	return errors.As(err, &ee) && ee.Code() == codes.ResourceExhausted
}

// send commits one chunk's transaction. When the cluster fails to answer
// it, it waits and tries again, for up to transientWait: first it finds
// out whether the failed attempt was applied after all (then that counts
// as the commit: sending it again would fail its own guards); if not,
// it sends it again, under the same guards.
func (t *tx) send(ctx context.Context, c *chunk, cmps []clientv3.Cmp, ops, orElse []clientv3.Op) (*clientv3.TxnResponse, error) {
	deadline := time.Now().Add(transientWait)
	backoff := 50 * time.Millisecond
	for {
		resp, err := t.kv.Txn(ctx).If(cmps...).Then(ops...).Else(orElse...).Commit()
		if !transient(err) || time.Now().After(deadline) {
			return resp, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, time.Second)
		if rev, ok, aerr := t.applied(ctx, c); aerr == nil && ok {
			return &clientv3.TxnResponse{Succeeded: true, Header: &pb.ResponseHeader{Revision: rev}}, nil
		}
	}
}

// applied reports whether chunk c was committed, and at which revision:
// its first written key holds the chunk's value, written after the
// snapshot (the values the store writes are its records, with their
// times: another client does not write the same bytes). A chunk of
// deletes only counts as committed when none of its keys is left.
func (t *tx) applied(ctx context.Context, c *chunk) (int64, bool, error) {
	for _, o := range c.ops {
		if o.kind != opPut {
			continue
		}
		resp, err := t.kv.Get(ctx, o.key)
		if err != nil {
			return 0, false, err
		}
		if len(resp.Kvs) == 1 && resp.Kvs[0].ModRevision > t.rev && bytes.Equal(resp.Kvs[0].Value, o.val) {
			return resp.Kvs[0].ModRevision, true, nil
		}
		return 0, false, nil
	}
	var rev int64
	for _, o := range c.ops {
		opts := []clientv3.OpOption{clientv3.WithCountOnly()}
		if o.kind == opDelPrefix {
			opts = append(opts, clientv3.WithPrefix())
		}
		resp, err := t.kv.Get(ctx, o.key, opts...)
		if err != nil {
			return 0, false, err
		}
		if resp.Count > 0 {
			return 0, false, nil
		}
		rev = resp.Header.Revision
	}
	return rev, true, nil
}
