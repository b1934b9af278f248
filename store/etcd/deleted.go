package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/store"
)

// Tombstones of executions deleted with their deployment (kindDeleted):
// put by DeleteDeployment in its transaction, on a lease of
// Options.DeletedExecutionTTL (rounded up to whole seconds, plus one) so
// that the cluster drops them; reads check the deletion time too, so the
// retention is the same as bbolt's whatever the lease's rounding.
//
// Their events are not copied: DeleteDeployment writes the tombstones
// before it deletes the events (the same etcd transaction or a later one,
// see doc.go), so the revision just before the tombstone's still has
// every event, and DeletedEvents reads them there (etcd is MVCC) until
// the cluster compacts that revision away.

// tombstoneLease grants the lease a deletion's tombstones are put on.
func (s *Store) tombstoneLease(ctx context.Context) (clientv3.LeaseID, error) {
	ttl := int64((s.opts.DeletedExecutionTTL+time.Second-1)/time.Second) + 1
	resp, err := s.cli.Grant(ctx, ttl)
	if err != nil {
		return 0, fmt.Errorf("etcd lease for the tombstones of deleted executions: %w", wrapErr(err))
	}
	return resp.ID, nil
}

// getTombstone returns the kept tombstone of id, or nil.
func (v *view) getTombstone(ctx context.Context, t *tx, id string) (*store.Execution, error) {
	var e store.Execution
	ok, err := t.get(ctx, "deleted execution", v.k.deleted(id), &e)
	if err != nil || !ok || !store.TombstoneLive(&e, v.s.opts.DeletedExecutionTTL, store.Now()) {
		return nil, err
	}
	return &e, nil
}

func (v *view) GetDeletedExecution(ctx context.Context, id string) (*store.Execution, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, err
	}
	var e *store.Execution
	err := v.run(ctx, func(t *tx) (err error) {
		e, err = v.getTombstone(ctx, t, id)
		if err == nil && e == nil {
			err = store.TombstoneNotFound(id)
		}
		return err
	})
	return e, err
}

func (v *view) DeletedEvents(ctx context.Context, id string, afterSeq uint64, limit int) ([]*store.Event, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, err
	}
	var out []*store.Event
	err := v.run(ctx, func(t *tx) error {
		out = nil
		e, err := v.getTombstone(ctx, t, id)
		if err != nil {
			return err
		}
		rev := t.seen[v.k.deleted(id)].modRev
		if e == nil || rev <= 1 {
			// rev 0: written by this very Batch, not committed yet.
			return store.TombstoneNotFound(id)
		}
		if afterSeq == ^uint64(0) {
			return nil
		}
		kvs, err := v.eventsAt(ctx, t, e.DeploymentID, id, afterSeq, limit, rev-1)
		if errors.Is(err, rpctypes.ErrCompacted) {
			return fmt.Errorf("execution %q: its events, deleted with its deployment at revision %d, are compacted away: %w", id, rev, store.ErrNotFound)
		}
		if err != nil {
			return wrapErr(err)
		}
		return decodeAll("event", kvs, &out)
	})
	return out, err
}

// eventsAt reads up to limit (<= 0: all) events of an execution after
// afterSeq as they were at revision rev, in pages of Options.PageSize.
func (v *view) eventsAt(ctx context.Context, t *tx, depID, execID string, afterSeq uint64, limit int, rev int64) ([]kv, error) {
	end := clientv3.GetPrefixRangeEnd(v.k.under(kindEvent, depID, execID))
	from := v.k.event(depID, execID, afterSeq+1)
	var out []kv
	for limit <= 0 || len(out) < limit {
		page := t.opts.PageSize
		if limit > 0 {
			page = min(page, limit-len(out))
		}
		resp, err := t.getPage(ctx, from, []clientv3.OpOption{clientv3.WithRange(end), clientv3.WithLimit(int64(page)), clientv3.WithRev(rev)})
		if err != nil {
			return nil, err
		}
		for _, x := range resp.Kvs {
			out = append(out, kv{key: string(x.Key), val: x.Value})
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	return out, nil
}
