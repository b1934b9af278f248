package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/workflow"
)

// Queued executions: with ExecOptions.Queue (`executions start --detach`)
// or Config.QueueExecutions (a server that runs none itself) an execution
// is stored queued and a worker (worker.go) runs it.

// queues reports whether an execution started with opts is queued for
// workers rather than run here.
func (m *Manager) queues(opts ExecOptions) bool { return opts.Queue || m.cfg.QueueExecutions }

// CheckQueue refuses to queue where no worker can take it: workers need
// a store that several processes share with claims and watches (etcd).
func (m *Manager) CheckQueue() error {
	if _, ok := store.AsQueue(m.st); !ok {
		return fmt.Errorf("%w: queued executions and workers need a store that several processes share (--store etcd://...); this one is %s", ErrInvalid, m.cfg.StorePath)
	}
	return nil
}

// enqueue stores the execution of req (under its id when set: a scale
// or an update planned with it as the seed of new instances) queued with
// the engine settings of opts; after names what the worker does once the
// workflow succeeded (force: even though other deployments depend on it).
func (m *Manager) enqueue(ctx context.Context, req workflow.Request, opts ExecOptions, after string, force bool) (*queuedRun, error) {
	if req.ExecutionID == "" {
		req.ExecutionID = newID()
	}
	e := executionRecord(req, opts)
	e.Queued, e.After, e.AfterForce, e.Engine = true, after, force && after != store.AfterNothing, engineSettings(opts)
	if err := m.st.CreateExecution(ctx, e); err != nil {
		return nil, err
	}
	if err := m.settleRace(ctx, e, false); err != nil {
		return nil, err
	}
	return newQueuedRun(m, e), nil
}

// requeue resumes a failed or cancelled execution through the queue
// (`executions resume --detach`, a queueing server): it is reopened and
// queued again, with the engine settings of opts when they set any. The
// worker that claims it runs it as a takeover: tasks recorded done are
// skipped, a modification is planned again as it was (prepareQueued),
// and what was to follow it (an uninstall's deletion) still does.
func (m *Manager) requeue(ctx context.Context, e *store.Execution, opts ExecOptions) (api.Run, error) {
	if err := m.CheckQueue(); err != nil {
		return nil, err
	}
	es := engineSettings(opts)
	e, err := m.st.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
		if err := reopen(x); err != nil {
			return err
		}
		x.Queued, x.PID, x.PIDStart, x.Host = true, 0, 0, ""
		if es != nil {
			x.Engine = es
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := m.settleRace(ctx, e, true); err != nil {
		return nil, err
	}
	return newQueuedRun(m, e), nil
}

func newQueuedRun(m *Manager, e *store.Execution) *queuedRun {
	return &queuedRun{m: m, exec: e, start: time.Now(), done: make(chan struct{})}
}

// engineSettings keeps the engine flags of opts for the worker (nil when
// none is set).
func engineSettings(opts ExecOptions) *store.EngineSettings {
	if opts.Parallelism <= 0 && opts.TaskRetries == nil && opts.TaskRetryInterval <= 0 {
		return nil
	}
	es := &store.EngineSettings{Parallelism: max(opts.Parallelism, 0), TaskRetryInterval: max(opts.TaskRetryInterval, 0)}
	if opts.TaskRetries != nil {
		n := *opts.TaskRetries
		es.TaskRetries = &n
	}
	return es
}

// queuedRun is the api.Run of a queued execution: it follows the stored
// record (the worker running it may be any process).
type queuedRun struct {
	m     *Manager
	exec  *store.Execution
	start time.Time

	once  sync.Once
	done  chan struct{}
	final *store.Execution
	err   error
}

var _ api.Run = (*queuedRun)(nil)

func (r *queuedRun) Execution() *api.Execution { return r.exec }

// Progress tells only the time since it was queued: the counts live in
// the worker.
func (r *queuedRun) Progress() api.Progress { return api.Progress{Elapsed: time.Since(r.start)} }

func (r *queuedRun) Cancel(force bool) {
	_, _ = r.m.Cancel(context.Background(), r.exec.ID, force)
}

func (r *queuedRun) Done() <-chan struct{} {
	r.once.Do(func() { go r.follow() })
	return r.done
}

func (r *queuedRun) Wait(ctx context.Context) (*api.Execution, error) {
	select {
	case <-r.Done():
		return r.final, r.err
	case <-ctx.Done():
		return r.exec, ctx.Err()
	}
}

// follow waits for the end of the execution. A queued uninstall deletes
// its deployment, the execution with it: its tombstone (DeletedAt set) is
// then its end; gone after it was queued (the tombstone expired too) is
// its success.
func (r *queuedRun) follow() {
	defer close(r.done)
	ctx := context.Background()
	e, err := r.m.WaitExecution(ctx, r.exec.ID)
	if err == nil && e.DeletedAt.IsZero() && e.Status == store.ExecutionTerminated && r.exec.After != store.AfterNothing {
		e, err = r.m.waitAfter(ctx, e)
	}
	switch {
	case err == nil:
		r.final = e
	case errors.Is(err, store.ErrNotFound) && r.exec.After != store.AfterNothing:
		c := *r.exec
		setStatus(&c, store.ExecutionTerminated, "")
		r.final = &c
	default:
		r.final, r.err = r.exec, err
	}
}

// waitAfter waits for what follows a queued workflow that succeeded: the
// worker deletes the deployment (the execution with it), or records why
// it could not in the execution's Error.
func (m *Manager) waitAfter(ctx context.Context, e *store.Execution) (*store.Execution, error) {
	w, ok := store.AsWatcher(m.st)
	if !ok {
		return e, nil
	}
	ctx, cancel := context.WithTimeout(ctx, afterWait)
	defer cancel()
	ch, err := w.WatchExecution(ctx, e.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	if err != nil {
		return e, err
	}
	for x := range ch {
		if x.Error != "" {
			return x, fmt.Errorf("execution %s succeeded, then: %s", x.ID, x.Error)
		}
	}
	if err := ctx.Err(); err != nil {
		return e, fmt.Errorf("execution %s succeeded; waiting for its worker to delete the deployment: %w", e.ID, err)
	}
	return nil, fmt.Errorf("execution %s: %w", e.ID, store.ErrNotFound)
}

// afterWait bounds how long a queued run waits for what follows it.
const afterWait = 5 * time.Minute

// runClaimed runs a queued execution this process claimed: a fresh run,
// or a takeover of one whose worker's claim ended (resumed: recorded-done
// tasks are skipped, operations that were in flight run again). It
// returns when the run ends; the claim is released (or lost) by then.
// The reads and the write before the engine starts are tried again while
// the store does not answer (untilAnswered), for as long as the claim
// holds: a passing failure neither fails the execution nor leaves it
// claimed by nobody running it. worker names the claim's holder in the
// lines it logs.
func (m *Manager) runClaimed(ctx context.Context, cl store.Claim, worker string, log func(string)) error {
	release := func() { _ = cl.Release(context.WithoutCancel(ctx)) }
	answered := func(fn func(context.Context) error) error { return untilAnswered(ctx, cl, worker, log, fn) }
	var e *store.Execution
	err := answered(func(ctx context.Context) (err error) {
		e, err = m.st.GetExecution(ctx, cl.ExecutionID())
		return err
	})
	if err != nil {
		release()
		return err
	}
	if !e.InQueue() {
		release()
		return nil
	}
	w := cl.Writer()
	endNow := func(status store.ExecutionStatus, msg string) error {
		defer release()
		_, err := w.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
			setStatus(x, status, msg)
			return nil
		})
		return err
	}
	if e.EndsAtCancel() {
		return endNow(store.ExecutionCancelled, store.UnstartedCancel)
	}
	var d *store.Deployment
	err = answered(func(ctx context.Context) (err error) {
		d, err = m.loadDeployment(ctx, e.DeploymentID)
		return err
	})
	if errors.Is(err, store.ErrClaimLost) {
		return err
	}
	if err != nil {
		return errors.Join(err, endNow(store.ExecutionFailed, err.Error()))
	}
	takeover := !e.StartedAt.IsZero()
	err = answered(func(ctx context.Context) error {
		x, err := w.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
			x.PID, x.PIDStart, x.Host = os.Getpid(), selfStart, selfHost
			return nil
		})
		if err == nil {
			e = x
		}
		return err
	})
	if err != nil {
		release()
		return err
	}
	if takeover {
		// Scripts a dead worker of this machine left must be gone before
		// operations re-run (their guards end them with their gantry).
		if err := m.scripts.Reap(e.ID); err != nil {
			return errors.Join(err, endNow(store.ExecutionFailed, err.Error()))
		}
	}
	req := workflow.Request{DeploymentID: e.DeploymentID, BlueprintID: d.BlueprintID, ExecutionID: e.ID, Workflow: e.WorkflowID,
		Params: e.Parameters, Plan: d.Plan, DryRun: e.DryRun, Resume: takeover, AllowCustomParameters: true}
	var rollback afterFunc
	var apply switchFunc
	if modifies(e.WorkflowID) {
		err = answered(func(ctx context.Context) (err error) {
			apply, rollback, err = m.prepareQueued(ctx, w, e, d, &req)
			return err
		})
		if errors.Is(err, store.ErrClaimLost) {
			return err
		}
		if err != nil {
			return errors.Join(err, endNow(store.ExecutionFailed, err.Error()))
		}
	}
	r, err := m.start(ctx, e, req, engineOptions(e.Engine), cl, m.afterQueued(e, d), rollback, apply)
	if err != nil {
		return err
	}
	final, err := r.Wait(context.WithoutCancel(ctx))
	if err != nil && !errors.Is(err, store.ErrClaimLost) && final != nil && final.Status == store.ExecutionTerminated {
		// What followed the workflow failed: tell whoever waits for it.
		_, _ = m.st.UpdateExecution(context.WithoutCancel(ctx), e.ID, func(x *store.Execution) error {
			x.Error = err.Error()
			return nil
		})
	}
	return err
}

// afterQueued is what follows a queued workflow that succeeded.
func (m *Manager) afterQueued(e *store.Execution, d *store.Deployment) afterFunc {
	switch e.After {
	case store.AfterDeleteDeployment:
		return m.afterUninstall(d, e.AfterForce, true, e.DryRun)
	case store.AfterDeleteDeploymentAndBlueprint:
		return m.afterUninstall(d, e.AfterForce, false, e.DryRun)
	}
	return nil
}

// engineOptions are the ExecOptions of a queued execution's settings (none
// for nil: the worker's own).
func engineOptions(es *store.EngineSettings) ExecOptions {
	if es == nil {
		return ExecOptions{}
	}
	return ExecOptions{Parallelism: es.Parallelism, TaskRetries: es.TaskRetries, TaskRetryInterval: es.TaskRetryInterval}
}

// prepareQueued plans the modification a queued scale or deployment
// update makes, in the worker that runs it, as a resume plans one: the
// new instances' ids come from the execution's seed, and those an earlier
// run stored are left out of the plan it modifies. Their ids are recorded
// in the execution (through w, the claim's writer) before they are
// stored (all of it through w: a worker that lost its claim writes
// nothing), so a worker that takes over after this one died plans the
// same change. It may run again after a store that did not answer.
func (m *Manager) prepareQueued(ctx context.Context, w store.Store, e *store.Execution, d *store.Deployment, req *workflow.Request) (apply switchFunc, rollback afterFunc, err error) {
	if e.WorkflowID == workflow.WorkflowUpdate {
		u, err := m.planUpdate(ctx, d, resumedUpdate(e), e.ID)
		if err != nil {
			return nil, nil, err
		}
		req.BlueprintID, req.Plan, req.Update = u.bp.ID, u.execPlan, u.change
		if e.DryRun {
			return nil, nil, nil
		}
		if err := recordAdded(ctx, w, e, u.mod.Added); err != nil {
			return nil, nil, err
		}
		return m.storeUpdate(ctx, w, u, true)
	}
	run := scaleRun{executionID: e.ID, resume: true, added: e.ScaleAdded, dryRun: e.DryRun, w: w,
		record: func(ctx context.Context, added []*tosca.NodeInstance) error { return recordAdded(ctx, w, e, added) }}
	req.Scale, apply, rollback, err = m.prepareScale(ctx, d, e.Parameters, run)
	return apply, rollback, err
}

// recordAdded records, through w, the instances a modification adds in
// its execution (Execution.ScaleAdded), unless it says so already.
func recordAdded(ctx context.Context, w store.Store, e *store.Execution, added []*tosca.NodeInstance) error {
	ids := addedIDs(added)
	if slices.Equal(ids, e.ScaleAdded) {
		return nil
	}
	x, err := w.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
		x.ScaleAdded = ids
		return nil
	})
	if err != nil {
		return fmt.Errorf("record the instances execution %s adds: %w", e.ID, err)
	}
	e.ScaleAdded = x.ScaleAdded
	return nil
}

// addedIDs is the ids of instances, in their order.
func addedIDs(l []*tosca.NodeInstance) []string {
	out := make([]string, len(l))
	for i, ni := range l {
		out[i] = ni.ID
	}
	return out
}
