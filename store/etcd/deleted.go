package etcdstore

import (
	"context"
	"fmt"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/store"
)

// Tombstones of executions deleted with their deployment (kindDeleted):
// put by DeleteDeployment in its transaction, on a lease of
// Options.DeletedExecutionTTL (rounded up to whole seconds, plus one) so
// that the cluster drops them; reads check the deletion time too, so the
// retention is the same as bbolt's whatever the lease's rounding.

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
