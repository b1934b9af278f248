package manager

import (
	"context"
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// storeState is the engine's State over the store. Each engine batch is
// one store transaction. Reads and watches go to st, writes to w: the
// Writer of the execution's claim, which refuses them once the claim is
// lost (store.ErrClaimLost).
type storeState struct {
	st store.Store
	w  store.Store
	// commits, when set, hears of every commit (see commits).
	commits *commits
	// sw, when set, writes a modification's switch with the execution's
	// success (switch.go).
	sw *switcher
	// deploymentID is the execution's deployment (for sw).
	deploymentID string
}

// notify tells the execution's followers that it changed.
func (s *storeState) notify(executionID string, err error) error {
	if err == nil && s.commits != nil {
		s.commits.committed(executionID)
	}
	return err
}

var (
	_ workflow.State         = (*storeState)(nil)
	_ workflow.CancelWatcher = (*storeState)(nil)
)

func (s *storeState) Instances(ctx context.Context, deploymentID string) ([]workflow.InstanceRecord, error) {
	insts, err := s.st.ListNodeInstances(ctx, deploymentID, "")
	if err != nil {
		return nil, err
	}
	out := make([]workflow.InstanceRecord, len(insts))
	for i, ni := range insts {
		out[i] = workflow.InstanceRecord{ID: ni.ID, State: string(ni.State), RuntimeProperties: ni.RuntimeProperties, Version: int64(ni.Version)}
	}
	return out, nil
}

func (s *storeState) TaskRecords(ctx context.Context, executionID string) ([]workflow.TaskRecord, error) {
	tasks, err := s.st.ListTasks(ctx, executionID)
	if err != nil {
		return nil, err
	}
	out := make([]workflow.TaskRecord, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, workflow.TaskRecord{ID: t.ID, Status: workflow.TaskStatus(t.Status), Attempts: t.Attempts, Result: t.Result, Time: t.UpdatedAt})
	}
	return out, nil
}

func (s *storeState) Commit(ctx context.Context, b *workflow.Batch) error {
	return s.notify(b.ExecutionID, s.commit(ctx, b))
}

func (s *storeState) commit(ctx context.Context, b *workflow.Batch) error {
	return s.w.Batch(ctx, func(tx store.Store) error {
		for _, rec := range b.Instances {
			rec := rec
			_, err := tx.UpdateNodeInstance(ctx, b.DeploymentID, rec.ID, int(rec.Version), func(ni *store.NodeInstance) error {
				ni.State = store.State(rec.State)
				ni.RuntimeProperties = rec.RuntimeProperties
				return nil
			})
			if errors.Is(err, store.ErrConflict) {
				return fmt.Errorf("node instance %s: %w", rec.ID, workflow.ErrVersionConflict)
			}
			if err != nil {
				return err
			}
		}
		if len(b.Tasks) > 0 {
			tasks := make([]*store.Task, len(b.Tasks))
			for i, t := range b.Tasks {
				tasks[i] = &store.Task{ID: t.ID, Status: store.TaskStatus(t.Status), Attempts: t.Attempts, Result: t.Result, UpdatedAt: t.Time}
			}
			if err := tx.PutTasks(ctx, b.ExecutionID, tasks); err != nil {
				return err
			}
		}
		if len(b.Events) > 0 {
			evs := make([]*store.Event, len(b.Events))
			for i := range b.Events {
				evs[i] = toStoreEvent(&b.Events[i])
			}
			if err := tx.AppendEvents(ctx, b.ExecutionID, evs); err != nil {
				return err
			}
		}
		return nil
	})
}

func (s *storeState) SetExecutionStatus(ctx context.Context, executionID string, status workflow.ExecStatus, errMsg string) error {
	if status == workflow.StatusTerminated && s.sw != nil {
		return s.notify(executionID, s.sw.end(ctx, s.st, s.w, s.deploymentID, executionID))
	}
	_, err := s.w.UpdateExecution(ctx, executionID, func(e *store.Execution) error {
		setStatus(e, store.ExecutionStatus(status), errMsg)
		return nil
	})
	return s.notify(executionID, err)
}

func (s *storeState) CancelRequested(ctx context.Context, executionID string) (workflow.CancelMode, error) {
	e, err := s.st.GetExecution(ctx, executionID)
	if err != nil {
		return workflow.CancelNone, err
	}
	return requestedCancel(e), nil
}

func requestedCancel(e *store.Execution) workflow.CancelMode {
	switch {
	case e.ForceCancel:
		return workflow.CancelForce
	case e.CancelRequested:
		return workflow.CancelGraceful
	}
	return workflow.CancelNone
}

// WatchCancel pushes cancel requests when the store can watch (etcd);
// otherwise it returns no channel and the engine polls CancelRequested.
func (s *storeState) WatchCancel(ctx context.Context, executionID string) (<-chan workflow.CancelMode, error) {
	w, ok := store.AsWatcher(s.st)
	if !ok {
		return nil, nil
	}
	execs, err := w.WatchExecution(ctx, executionID)
	if err != nil {
		return nil, err
	}
	out := make(chan workflow.CancelMode, 1)
	go func() {
		defer close(out)
		last := workflow.CancelNone
		for e := range execs {
			if m := requestedCancel(e); m != last {
				last = m
				select {
				case out <- m:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// toStoreEvent flattens an engine event into the store's record. The
// store's Message carries the error of failed tasks.
func toStoreEvent(ev *workflow.Event) *store.Event {
	msg := ev.Message
	if ev.State != "" && msg == "" {
		msg = ev.State
	}
	return &store.Event{
		ExecutionID:    ev.ExecutionID,
		DeploymentID:   ev.DeploymentID,
		Error:          ev.Error,
		Timestamp:      ev.Time,
		Type:           string(ev.Type),
		Level:          ev.Level,
		NodeID:         ev.NodeID,
		NodeInstanceID: ev.NodeInstanceID,
		Operation:      ev.Operation,
		TaskID:         ev.TaskID,
		Message:        msg,
	}
}
