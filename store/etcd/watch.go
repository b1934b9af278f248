package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/store"
)

var _ store.Watcher = (*Store)(nil)

// execAt reads an execution and its event counter at one revision.
func (s *Store) execAt(ctx context.Context, id string) (*store.Execution, uint64, int64, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, 0, 0, err
	}
	if s.isClosed() {
		return nil, 0, 0, fmt.Errorf("etcd store %v: %w", s.opts.Endpoints, store.ErrClosed)
	}
	t := newTx(s.cli, s.opts)
	v := &view{s: s, k: s.k}
	e, err := v.getExecution(ctx, t, id)
	if err != nil {
		return nil, 0, 0, err
	}
	last, err := v.lastSeq(ctx, t, s.k.eventSeq(e.DeploymentID, id))
	if err != nil {
		return nil, 0, 0, err
	}
	return e, last, t.rev, nil
}

// WaitEvents watches the execution's event counter and record from the
// revision it read them at, so that no change in between is missed.
func (s *Store) WaitEvents(ctx context.Context, id string, afterSeq uint64) error {
	e, last, rev, err := s.execAt(ctx, id)
	if err != nil || last > afterSeq || e.Status.Terminal() {
		return err
	}
	wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	defer cancel()
	counter := s.cli.Watch(wctx, s.k.eventSeq(e.DeploymentID, id), clientv3.WithRev(rev+1))
	record := s.cli.Watch(wctx, s.k.execution(id), clientv3.WithRev(rev+1))
	// A change, or a watch that ended (lost leader, compacted revision):
	// either way the caller reads again and waits anew.
	select {
	case <-ctx.Done():
	case <-counter:
	case <-record:
	}
	return ctx.Err()
}

// WatchExecution sends the record, then every change to it.
func (s *Store) WatchExecution(ctx context.Context, id string) (<-chan *store.Execution, error) {
	e, _, rev, err := s.execAt(ctx, id)
	if err != nil {
		return nil, err
	}
	out := make(chan *store.Execution, 1)
	out <- e
	go func() {
		defer close(out)
		for ctx.Err() == nil {
			wctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
			ch := s.cli.Watch(wctx, s.k.execution(id), clientv3.WithRev(rev+1))
			for r := range ch {
				if r.Err() != nil {
					break
				}
				for _, ev := range r.Events {
					rev = ev.Kv.ModRevision
					if ev.Type == clientv3.EventTypeDelete {
						cancel()
						return
					}
					var x store.Execution
					if json.Unmarshal(ev.Kv.Value, &x) != nil {
						continue
					}
					latest(out, &x)
				}
			}
			cancel()
			if ctx.Err() != nil {
				return
			}
			// The watch ended (leader lost, revision compacted): read the
			// record again and watch from there.
			e, _, r, err := s.execAt(ctx, id)
			if err != nil {
				return
			}
			rev = r
			latest(out, e)
		}
	}()
	return out, nil
}

// latest puts e on a one-slot channel, replacing an unread older record.
func latest(out chan *store.Execution, e *store.Execution) {
	for {
		select {
		case out <- e:
			return
		default:
		}
		select {
		case <-out:
		default:
		}
	}
}
