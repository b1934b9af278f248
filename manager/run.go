package manager

import (
	"context"
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// Running is an execution this process runs: the api.Run of the in-process
// Service. A goroutine follows the engine to its end, refreshes the record
// and runs what follows a successful workflow (applying a scale, deleting
// after uninstall), whoever waits and even if nobody does.
type Running struct {
	exec   *store.Execution
	engine *workflow.Execution
	// claim is the execution's claim, released when the run ends; when it
	// is lost the run is force-cancelled and nothing follows it.
	claim store.Claim
	done  chan struct{}
	// cleanup removes the execution's copy of the blueprint's files.
	cleanup func()

	// Set before done is closed.
	final *store.Execution
	res   *workflow.Result
	err   error
}

var _ api.Run = (*Running)(nil)

// afterFunc runs after a workflow that succeeded (or, as a rollback, after
// one that failed or was cancelled); its error is the Run's.
type afterFunc func(ctx context.Context) error

// follow waits for the engine, then settles the run. A lost claim
// force-cancels the engine (its operations are stopped, remote ones too)
// and the run ends there: the process that holds the claim now runs the
// execution, so nothing follows here (no deletion after uninstall, no
// rollback).
func (r *Running) follow(ctx context.Context, m *Manager, after, rollback afterFunc) {
	defer close(r.done)
	ended := make(chan struct{})
	lost := make(chan struct{})
	go func() {
		select {
		case <-r.claim.Lost():
			close(lost)
			r.engine.Cancel(workflow.CancelForce)
		case <-ended:
		}
	}()
	res, err := r.engine.Wait()
	close(ended)
	r.cleanup()
	m.mu.Lock()
	delete(m.running, r.exec.ID)
	m.mu.Unlock()
	m.commits.ended(r.exec.ID)
	r.res = res
	select {
	case <-lost:
	case <-r.claim.Lost():
	default:
		defer func() { _ = r.claim.Release(ctx) }()
		r.settle(ctx, m, res, err, after, rollback)
		return
	}
	// No read either: a process cut off from the store would hang in it.
	final := *r.exec
	r.final = &final
	r.err = fmt.Errorf("execution %s: stopped here, another process runs it now: %w", r.exec.ID, store.ErrClaimLost)
}

// settle records the end of a run that kept its claim and runs what
// follows it.
func (r *Running) settle(ctx context.Context, m *Manager, res *workflow.Result, err error, after, rollback afterFunc) {
	// The record first: a deletion after uninstall takes it with it.
	r.final = m.finalRecord(ctx, r.exec, res)
	switch {
	case res == nil:
		r.err = err
		if rollback != nil {
			r.err = errors.Join(err, rollback(ctx))
		}
	case err == nil && after != nil && res.Status == workflow.StatusTerminated:
		r.err = after(ctx)
	case rollback != nil && res.Status != workflow.StatusTerminated:
		r.err = rollback(ctx)
		r.final = m.finalRecord(ctx, r.exec, res) // as the rollback left it
	}
}

// finalRecord reads the ended execution back; when the store could not
// record the end, the engine's result tells it.
func (m *Manager) finalRecord(ctx context.Context, started *store.Execution, res *workflow.Result) *store.Execution {
	e, err := m.st.GetExecution(ctx, started.ID)
	if err == nil && e.Status.Terminal() {
		return e
	}
	c := *started
	if err == nil {
		c = *e
	}
	if res != nil {
		msg := ""
		if res.Err != nil {
			msg = res.Err.Error()
		}
		setStatus(&c, store.ExecutionStatus(res.Status), msg)
	}
	return &c
}

// Execution is the record as it was when the run started.
func (r *Running) Execution() *api.Execution { return r.exec }

// Progress is a snapshot for live displays.
func (r *Running) Progress() api.Progress {
	p := r.engine.Progress()
	return api.Progress{Operations: p.Operations, Done: p.Done, Running: p.Running, Failed: p.Failed, Elapsed: p.Elapsed}
}

// Cancel asks the engine to stop: gracefully, or with force.
func (r *Running) Cancel(force bool) { r.engine.Cancel(cancelMode(force)) }

// Done is closed when the execution and what follows it have ended.
func (r *Running) Done() <-chan struct{} { return r.done }

// Wait waits for the end and returns the final record; the error is for
// an execution that could not run or a failure after a successful
// workflow (see api.Run).
func (r *Running) Wait(ctx context.Context) (*api.Execution, error) {
	select {
	case <-r.done:
		return r.final, r.err
	case <-ctx.Done():
		return r.exec, ctx.Err()
	}
}

// Result is the engine's result once Done (nil before): task counts for
// in-process callers and tests.
func (r *Running) Result() *workflow.Result {
	select {
	case <-r.done:
		return r.res
	default:
		return nil
	}
}

func cancelMode(force bool) workflow.CancelMode {
	if force {
		return workflow.CancelForce
	}
	return workflow.CancelGraceful
}

// eventSink turns the engine's events into the boundary's form (the
// stored one) for the manager-wide and the run's observers; nil when
// nobody observes. Like the engine's hook, it is called from the engine's
// goroutines, concurrently: observers synchronise themselves.
func (m *Manager) eventSink(onRun func(*api.Event)) func(workflow.Event) {
	onAll := m.cfg.OnEvent
	if onAll == nil && onRun == nil {
		return nil
	}
	return func(ev workflow.Event) {
		e := toStoreEvent(&ev)
		if onAll != nil {
			onAll(e)
		}
		if onRun != nil {
			onRun(e)
		}
	}
}
