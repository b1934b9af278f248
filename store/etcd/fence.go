package etcdstore

import (
	"context"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/store"
)

// fence guards the writes of a claim's Writer: each transaction compares
// the claim key's create revision with the token the claim was granted
// with. The key is deleted when its lease ends, and a later claim creates
// it again at a higher revision, so a stale holder's transaction fails
// whatever happened in between: it writes nothing.
type fence struct {
	exec  string
	key   string
	token int64
	// lost is called when a transaction found the token stale.
	lost func()
	// held ends when the claim is lost: a write then fails at once, and
	// one under way is abandoned (a process cut off from the cluster
	// must not hang in a write it may not make).
	held context.Context
}

// lostErr is the error of a write through a lost claim.
func (f *fence) lostErr() error {
	return fmt.Errorf("execution %q: write refused, claim token %d was lost: %w", f.exec, f.token, store.ErrClaimLost)
}

// bind returns ctx, cancelled with lostErr when the claim is lost.
func (f *fence) bind(ctx context.Context) (context.Context, func()) {
	if f == nil || f.held == nil {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(f.held, func() { cancel(f.lostErr()) })
	return ctx, func() { stop(); cancel(nil) }
}

func (f *fence) cmp() clientv3.Cmp {
	return clientv3.Compare(clientv3.CreateRevision(f.key), "=", f.token)
}

// check reads the answer of a failed fenced transaction (whose Else read
// the claim key): ErrClaimLost if the claim is no longer f's. nil f: no
// fence, nothing to tell.
func (f *fence) check(resp *clientv3.TxnResponse) error {
	if f == nil || len(resp.Responses) == 0 {
		return nil
	}
	kvs := resp.Responses[0].GetResponseRange().GetKvs()
	if len(kvs) == 1 && kvs[0].CreateRevision == f.token {
		return nil
	}
	holder := "nobody holds it now"
	if len(kvs) == 1 {
		holder = fmt.Sprintf("it was claimed again at revision %d", kvs[0].CreateRevision)
	}
	if f.lost != nil {
		f.lost()
	}
	return fmt.Errorf("execution %q: write refused, claim token %d is stale (%s): %w", f.exec, f.token, holder, store.ErrClaimLost)
}
