package manager

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// The switch of a modification (a scale or a deployment update): the
// writes that make the deployment take what the execution did (removed
// instance records deleted, intact instances' relationships, the
// deployment record with its blueprint, inputs, plan and ModifiedBy
// marker). They happen in the store transaction that records the
// execution `terminated`, so a process killed at any point leaves either
// both or neither: never an ended execution over an unswitched deployment.
//
// A store that commits a big transaction in parts (store/etcd beyond its
// per-transaction limits) writes them in call order; the deployment
// record, with its marker, comes right before the execution's status. A
// reader that finds the execution unfinished, its process gone and the
// marker naming it (reap) marks it terminated: the switch is applied
// once, and the execution ends once.

// switchFunc writes a modification's switch through tx (the transaction
// that ends the execution); it may run more than once (a store retries a
// transaction whose reads went stale) and acts only through tx.
type switchFunc func(ctx context.Context, tx store.Store) error

// Kill points (killpoint*.go) of the crash tests.
const (
	// killBeforeSwitch: the workflow ended, nothing of its end written.
	killBeforeSwitch = "before-switch"
	// killAfterSwitch: the switch committed on its own, the execution's
	// status not (what a store committing in parts may leave).
	killAfterSwitch = "after-switch"
)

// switcher ends a modification's execution: its SetExecutionStatus of a
// success writes the switch in the same transaction.
type switcher struct {
	apply switchFunc
	// err is a switch that failed (the execution is then recorded
	// failed, resumable): the Run's error.
	err error
}

// after reports the switch's failure as what followed the workflow.
func (sw *switcher) after(context.Context) error { return sw.err }

// end writes the switch and the execution's `terminated` in one
// transaction through w. When that fails, the execution is recorded
// failed with the reason (a resume plans the same switch again), unless
// the deployment shows the switch applied (a store that committed part of
// the transaction): then it is recorded terminated.
func (sw *switcher) end(ctx context.Context, st, w store.Store, deploymentID, executionID string) error {
	if killPoint(killBeforeSwitch) {
		killSelf()
	}
	if killPoint(killAfterSwitch) {
		_ = w.Batch(ctx, func(tx store.Store) error { return sw.apply(ctx, tx) })
		killSelf()
	}
	err := w.Batch(ctx, func(tx store.Store) error {
		if err := sw.apply(ctx, tx); err != nil {
			return err
		}
		_, err := tx.UpdateExecution(ctx, executionID, func(e *store.Execution) error {
			setStatus(e, store.ExecutionTerminated, "")
			return nil
		})
		return err
	})
	if err == nil {
		return nil
	}
	status, msg := store.ExecutionFailed, fmt.Sprintf("the workflow succeeded but switching deployment %s failed: %v; resume it with `gantry executions resume %s`", deploymentID, err, executionID)
	if switchedBy(ctx, st, deploymentID, executionID) {
		status, msg = store.ExecutionTerminated, ""
	} else {
		sw.err = fmt.Errorf("execution %s: %w", executionID, err)
	}
	_, werr := w.UpdateExecution(ctx, executionID, func(e *store.Execution) error {
		setStatus(e, status, msg)
		return nil
	})
	if werr != nil && sw.err == nil {
		sw.err = werr
	}
	return nil
}

// switchedBy reports whether deploymentID's plan took executionID's
// modification (its ModifiedBy marker).
func switchedBy(ctx context.Context, st store.Store, deploymentID, executionID string) bool {
	rec, err := st.GetDeploymentRecord(ctx, deploymentID)
	return err == nil && rec.ModifiedBy == executionID
}

// modifies reports whether an execution of workflow wf switches its
// deployment when it succeeds.
func modifies(wf string) bool {
	return wf == workflowScale || wf == workflow.WorkflowUpdate
}
