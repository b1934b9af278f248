package manager

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// The reads of the Service. Executions are reaped as they are read: one
// whose gantry process died comes back failed (interrupted).

// Info reports the local mode and the store's path.
func (m *Manager) Info(ctx context.Context) (*api.Info, error) {
	info := &api.Info{Version: m.cfg.Version, Mode: api.ModeLocal, Store: m.cfg.StorePath}
	if q, ok := store.AsQueue(m.st); ok {
		info.Cluster = m.clusterInfo(ctx, q)
	}
	return info, nil
}

// clusterInfo reads what `gantry status` and the console show of a
// shared store; what cannot be read is told in Error.
func (m *Manager) clusterInfo(ctx context.Context, q store.Queue) *api.Cluster {
	c := &api.Cluster{}
	var errs []error
	var err error
	if c.Members, err = q.Members(ctx); err != nil {
		errs = append(errs, fmt.Errorf("members: %w", err))
	}
	if c.Workers, err = q.Workers(ctx); err != nil {
		errs = append(errs, fmt.Errorf("workers: %w", err))
	}
	if c.Claims, err = q.Claims(ctx); err != nil {
		errs = append(errs, fmt.Errorf("claims: %w", err))
	}
	if err := m.clusterExecutions(ctx, q, c); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		c.Error = err.Error()
	}
	return c
}

// clusterExecutions reads the records of the executions c's claims hold
// and of those queued that nobody holds (the first api.MaxQueuedShown):
// one read each, so as many as run and are shown, never all executions.
func (m *Manager) clusterExecutions(ctx context.Context, q store.Queue, c *api.Cluster) error {
	queued, err := q.Claimable(ctx)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	c.Queued = len(queued)
	ids := make([]string, 0, len(c.Claims)+min(len(queued), api.MaxQueuedShown))
	for _, cl := range c.Claims {
		ids = append(ids, cl.ExecutionID)
	}
	ids = append(ids, queued[:min(len(queued), api.MaxQueuedShown)]...)
	c.Executions = make([]*api.Execution, 0, len(ids))
	for _, id := range ids {
		e, err := m.st.GetExecution(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // ended and deleted since
		}
		if err != nil {
			return fmt.Errorf("execution %s: %w", id, err)
		}
		c.Executions = append(c.Executions, e)
	}
	return nil
}

// GetBlueprint returns a stored blueprint.
func (m *Manager) GetBlueprint(ctx context.Context, id string) (*store.Blueprint, error) {
	return m.st.GetBlueprint(ctx, id)
}

// ListBlueprints returns every blueprint ordered by id.
func (m *Manager) ListBlueprints(ctx context.Context) ([]*store.Blueprint, error) {
	return m.st.ListBlueprints(ctx)
}

// GetDeployment returns the deployment with its plan.
func (m *Manager) GetDeployment(ctx context.Context, id string) (*store.Deployment, error) {
	return m.st.GetDeploymentRecord(ctx, id)
}

// DeploymentPlan returns the deployment's plan, without node instances.
func (m *Manager) DeploymentPlan(ctx context.Context, id string) (*tosca.Plan, error) {
	d, err := m.st.GetDeployment(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.Plan, nil
}

// ListDeployments returns deployments without plans, of one blueprint if
// blueprintID is not empty.
func (m *Manager) ListDeployments(ctx context.Context, blueprintID string) ([]*store.Deployment, error) {
	return m.st.ListDeployments(ctx, blueprintID)
}

// ListDependencies returns the inter-deployment dependencies matching f.
func (m *Manager) ListDependencies(ctx context.Context, f store.DependencyFilter) ([]*store.Dependency, error) {
	return m.st.ListDependencies(ctx, f)
}

// GetNodeInstance returns one node instance of a deployment.
func (m *Manager) GetNodeInstance(ctx context.Context, deploymentID, id string) (*store.NodeInstance, error) {
	return m.st.GetNodeInstance(ctx, deploymentID, id)
}

// ListNodeInstances returns a deployment's node instances (of one node if
// nodeID is not empty); ErrNotFound for a deployment that does not exist.
func (m *Manager) ListNodeInstances(ctx context.Context, deploymentID, nodeID string) ([]*store.NodeInstance, error) {
	if _, err := m.st.GetDeploymentRecord(ctx, deploymentID); err != nil {
		return nil, err
	}
	return m.st.ListNodeInstances(ctx, deploymentID, nodeID)
}

// GetExecution returns an execution, reaped. One deleted with its
// deployment (uninstall) is its final record while the store keeps its
// tombstone (store.DeletedExecutionTTL; DeletedAt set), whichever process
// deleted it.
func (m *Manager) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	e, err := m.st.GetExecution(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		if x, terr := m.st.GetDeletedExecution(ctx, id); terr == nil {
			return x, nil
		}
	}
	if err != nil {
		return nil, err
	}
	return m.reap(ctx, e)
}

// keptEvents answers a read of events that failed with err: for an
// execution deleted with its deployment, the events kept with its
// tombstone (store.DeletedEvents); once those are gone too, a not-found
// that says so; any other error as it is.
func (m *Manager) keptEvents(ctx context.Context, executionID string, afterSeq uint64, limit int, err error) ([]*store.Event, error) {
	if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	x, terr := m.st.GetDeletedExecution(ctx, executionID)
	if terr != nil {
		return nil, err
	}
	evs, derr := m.st.DeletedEvents(ctx, executionID, afterSeq, limit)
	if derr == nil {
		return evs, nil
	}
	if !errors.Is(derr, store.ErrNotFound) {
		return nil, derr
	}
	return nil, fmt.Errorf("execution %s (%s of deployment %s) ended %s and was deleted with its deployment at %s, its events with it: %w",
		x.ID, x.WorkflowID, x.DeploymentID, x.Status, x.DeletedAt.Format(time.RFC3339), store.ErrNotFound)
}

// ListExecutions returns executions in creation order (of one deployment
// if deploymentID is not empty), reaped.
func (m *Manager) ListExecutions(ctx context.Context, deploymentID string) ([]*store.Execution, error) {
	es, err := m.st.ListExecutions(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	for i, e := range es {
		if es[i], err = m.reap(ctx, e); err != nil {
			return nil, err
		}
	}
	return es, nil
}

// Events returns up to limit (<= 0: all) events of an execution with Seq >
// afterSeq; of one deleted with its deployment, the events kept with its
// tombstone (for store.DeletedExecutionTTL); ErrNotFound for an execution
// that does not exist, saying so for one whose kept events are gone.
func (m *Manager) Events(ctx context.Context, executionID string, afterSeq uint64, limit int) ([]*store.Event, error) {
	if _, err := m.st.GetExecution(ctx, executionID); err != nil {
		return m.keptEvents(ctx, executionID, afterSeq, limit, err)
	}
	evs, err := m.st.Events(ctx, executionID, afterSeq, limit)
	if err != nil {
		return m.keptEvents(ctx, executionID, afterSeq, limit, err)
	}
	return evs, nil
}

// EventsJSON appends Events as JSON to dst, from the stored bytes where
// the store has them (store.EventsJSON).
func (m *Manager) EventsJSON(ctx context.Context, executionID string, afterSeq uint64, limit int, dst []byte) ([]byte, int, error) {
	out, n, err := store.EventsJSON(ctx, m.st, executionID, afterSeq, limit, dst)
	if err == nil {
		return out, n, nil
	}
	evs, err := m.keptEvents(ctx, executionID, afterSeq, limit, err)
	if err != nil {
		return dst, 0, err
	}
	return store.AppendEventsJSON(dst, evs)
}

// Follow polling: how often, and how many events per read.
const (
	followInterval = 200 * time.Millisecond
	followPage     = 1000
	// followRecheck bounds a watch's wait (store.Watcher) between reads.
	followRecheck = 5 * time.Second
)

// FollowEvents calls fn for every event with Seq > afterSeq until the
// execution ends, its gantry process is found dead (it is reaped and
// returned failed), ctx ends (ctx.Err()) or fn fails (its error). It
// counts as a follower of the execution (Followed) while it runs. An
// execution deleted with its deployment (uninstall), here or by any
// process on the store, before or while it is followed, ends the follow
// with its end (its tombstone) after the rest of its events, which the
// store keeps with the tombstone (store.DeletedEvents); never with
// ErrNotFound.
func (m *Manager) FollowEvents(ctx context.Context, executionID string, afterSeq uint64, fn func(*store.Event) error) (*store.Execution, error) {
	first, err := m.GetExecution(ctx, executionID)
	if err != nil {
		return nil, err
	}
	if !first.DeletedAt.IsZero() {
		return m.followDeleted(ctx, first, afterSeq, fn)
	}
	defer m.commits.follow(executionID)()
	var ended *store.Execution
	for {
		// Taken before the read, so that a commit between the read and
		// the wait still wakes it.
		wake := m.nextCommit(executionID)
		evs, err := m.st.Events(ctx, executionID, afterSeq, followPage)
		if errors.Is(err, store.ErrNotFound) {
			// Deleted with its deployment since the last read.
			if x, terr := m.st.GetDeletedExecution(ctx, executionID); terr == nil {
				return m.followDeleted(ctx, x, afterSeq, fn)
			}
			if ended != nil {
				return ended, nil
			}
		}
		if err != nil {
			return nil, err
		}
		if afterSeq, err = deliver(evs, afterSeq, fn); err != nil {
			return nil, err
		}
		switch {
		case len(evs) == followPage:
			continue
		case ended != nil:
			// The last read after the end: events written just before it.
			return ended, nil
		}
		e, err := m.GetExecution(ctx, executionID)
		if err != nil {
			return nil, err
		}
		if e.Status.Terminal() {
			ended = e
			continue
		}
		if err := m.waitEvents(ctx, executionID, afterSeq, wake); err != nil {
			return nil, err
		}
	}
}

// followDeleted calls fn for each kept event of the deleted execution x
// with Seq > afterSeq, then returns x. Events the store no longer has
// (expired, compacted) end it early: the end is what the follower needs.
func (m *Manager) followDeleted(ctx context.Context, x *store.Execution, afterSeq uint64, fn func(*store.Event) error) (*store.Execution, error) {
	for {
		evs, err := m.st.DeletedEvents(ctx, x.ID, afterSeq, followPage)
		if errors.Is(err, store.ErrNotFound) {
			return x, nil
		}
		if err != nil {
			return nil, err
		}
		if afterSeq, err = deliver(evs, afterSeq, fn); err != nil {
			return nil, err
		}
		if len(evs) < followPage {
			return x, nil
		}
	}
}

// deliver calls fn for each event in order and returns the last Seq it
// took (afterSeq when none).
func deliver(evs []*store.Event, afterSeq uint64, fn func(*store.Event) error) (uint64, error) {
	for _, ev := range evs {
		if err := fn(ev); err != nil {
			return afterSeq, err
		}
		afterSeq = ev.Seq
	}
	return afterSeq, nil
}

// WaitExecution returns the execution once it has ended (one whose gantry
// process died is reaped and returned failed; one deleted with its
// deployment is its tombstone, GetExecution), ctx.Err() if ctx ends
// first. Unlike FollowEvents it reads no events and is no follower: the
// engine keeps batching the execution's commits.
func (m *Manager) WaitExecution(ctx context.Context, executionID string) (*store.Execution, error) {
	for {
		wake := m.nextCommit(executionID) // before the read, as FollowEvents
		e, err := m.GetExecution(ctx, executionID)
		if err != nil {
			return nil, err
		}
		if e.Status.Terminal() {
			return e, nil
		}
		if err := m.waitEvents(ctx, executionID, noEvents, wake); err != nil {
			return nil, err
		}
	}
}

// noEvents is an afterSeq no event reaches: waitEvents then waits for a
// change of the execution's record only.
const noEvents = ^uint64(0)

// Followed reports whether anyone in this process follows the
// execution's events (FollowEvents): the engine then commits each event
// at once instead of batching them (workflow.Config.Followed).
func (m *Manager) Followed(executionID string) bool { return m.commits.followed(executionID) }

// nextCommit is closed at the next commit of an execution this process
// runs; nil (never) for others.
func (m *Manager) nextCommit(executionID string) <-chan struct{} {
	m.mu.Lock()
	_, mine := m.running[executionID]
	m.mu.Unlock()
	if !mine {
		return nil
	}
	return m.commits.next(executionID)
}

// waitEvents waits for the execution's next event or change: a watch
// where the store has them (etcd), bounded by followRecheck so that an
// execution whose process died is still noticed (reaped) on the next
// read; else a poll every followInterval, cut short by the commits of an
// execution this process runs.
func (m *Manager) waitEvents(ctx context.Context, executionID string, afterSeq uint64, wake <-chan struct{}) error {
	if w, ok := store.AsWatcher(m.st); ok {
		wctx, cancel := context.WithTimeout(ctx, followRecheck)
		defer cancel()
		err := w.WaitEvents(wctx, executionID, afterSeq)
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
			return nil
		}
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-wake: // run by this process: stored now
		return nil
	case <-time.After(followInterval):
		return nil
	}
}

// PutSecret stores a secret; ErrExists if it exists and not overwrite.
func (m *Manager) PutSecret(ctx context.Context, s *store.Secret, overwrite bool) error {
	return m.st.PutSecret(ctx, s, overwrite)
}

// GetSecret returns a secret with its value.
func (m *Manager) GetSecret(ctx context.Context, key string) (*store.Secret, error) {
	return m.st.GetSecret(ctx, key)
}

// ListSecrets returns secrets ordered by key, without their values.
func (m *Manager) ListSecrets(ctx context.Context) ([]*store.Secret, error) {
	return m.st.ListSecrets(ctx)
}

// DeleteSecret deletes a secret.
func (m *Manager) DeleteSecret(ctx context.Context, key string) error {
	return m.st.DeleteSecret(ctx, key)
}
