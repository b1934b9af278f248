package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/store"
)

func (v *view) CreateExecution(ctx context.Context, e *store.Execution) error {
	rec, err := store.PrepareExecution(e)
	if err != nil {
		return err
	}
	err = v.run(ctx, func(t *tx) error {
		if err := v.deploymentExists(ctx, t, rec.DeploymentID); err != nil {
			return fmt.Errorf("execution %q: %w", rec.ID, err)
		}
		if ok, err := t.exists(ctx, v.k.execution(rec.ID)); err != nil {
			return err
		} else if ok {
			return fmt.Errorf("execution %q: %w", rec.ID, store.ErrExists)
		}
		if old, err := v.getTombstone(ctx, t, rec.ID); err != nil {
			return err
		} else if old != nil {
			return store.TombstoneTaken(old, v.s.opts.DeletedExecutionTTL)
		}
		if err := store.CheckHeldStored(&rec, v.blueprintStored(ctx, t)); err != nil {
			return err
		}
		t.putRaw(v.k.depExec(rec.DeploymentID, rec.ID), nil)
		if rec.InQueue() {
			t.putRaw(v.k.queue(rec.ID), nil)
		}
		v.moveHeld(t, rec.ID, "", rec.HeldBlueprint())
		return t.put("execution", v.k.execution(rec.ID), &rec)
	})
	if err != nil {
		return err
	}
	*e = rec
	return nil
}

func (v *view) getExecution(ctx context.Context, t *tx, id string) (*store.Execution, error) {
	var e store.Execution
	ok, err := t.get(ctx, "execution", v.k.execution(id), &e)
	return v.foundExecution(id, &e, ok, err)
}

// executionDeployment returns the execution's deployment id, guarding
// only the execution's existence (its deployment never changes), so that
// the engine's writes do not conflict with a cancel request.
func (v *view) executionDeployment(ctx context.Context, t *tx, id string) (string, error) {
	var e store.Execution
	ok, err := t.getStable(ctx, "execution", v.k.execution(id), &e)
	if _, err := v.foundExecution(id, &e, ok, err); err != nil {
		return "", err
	}
	return e.DeploymentID, nil
}

func (v *view) foundExecution(id string, e *store.Execution, ok bool, err error) (*store.Execution, error) {
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("execution %q: %w", id, store.ErrNotFound)
	}
	return e, nil
}

// deploymentExecutions returns the deployment's executions via the index.
func (v *view) deploymentExecutions(ctx context.Context, t *tx, depID string) ([]*store.Execution, error) {
	p := v.k.under(kindDepExec, depID)
	idx, err := t.scan(ctx, p, true)
	if err != nil {
		return nil, err
	}
	out := make([]*store.Execution, 0, len(idx))
	for _, x := range idx {
		e, err := v.getExecution(ctx, t, x.key[len(p):])
		if err != nil {
			return nil, fmt.Errorf("executions index of deployment %q: %w", depID, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (v *view) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, err
	}
	var e *store.Execution
	err := v.run(ctx, func(t *tx) (err error) {
		e, err = v.getExecution(ctx, t, id)
		return err
	})
	return e, err
}

func (v *view) ListExecutions(ctx context.Context, depID string) ([]*store.Execution, error) {
	var out []*store.Execution
	err := v.run(ctx, func(t *tx) (err error) {
		if depID == "" {
			return listJSON(ctx, t, "execution", v.k.all(kindExec), &out)
		}
		if err := v.deploymentExists(ctx, t, depID); err != nil {
			return err
		}
		out, err = v.deploymentExecutions(ctx, t, depID)
		return err
	})
	store.SortExecutions(out)
	return out, err
}

func (v *view) UpdateExecution(ctx context.Context, id string, fn func(*store.Execution) error) (*store.Execution, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, err
	}
	var out *store.Execution
	err := v.run(ctx, func(t *tx) error {
		e, err := v.getExecution(ctx, t, id)
		if err != nil {
			return err
		}
		wasQueued, held := e.InQueue(), e.HeldBlueprint()
		if err := store.ApplyExecutionUpdate(id, e, fn); err != nil {
			return err
		}
		if held == "" {
			if err := store.CheckHeldStored(e, v.blueprintStored(ctx, t)); err != nil {
				return err
			}
		}
		v.moveHeld(t, id, held, e.HeldBlueprint())
		switch queued := e.InQueue(); {
		case queued && !wasQueued:
			t.putRaw(v.k.queue(id), nil)
		case !queued && wasQueued:
			t.del(v.k.queue(id))
		}
		out = e
		return t.put("execution", v.k.execution(id), e)
	})
	return out, err
}

// blueprintStored reports, in t, whether a blueprint is stored.
func (v *view) blueprintStored(ctx context.Context, t *tx) func(id string) (bool, error) {
	return func(id string) (bool, error) { return t.exists(ctx, v.k.blueprint(id)) }
}

// moveHeld moves execution id's entry in the bpexec index from the
// blueprint it held (was) to the one it holds (now); "" is none.
func (v *view) moveHeld(t *tx, id, was, now string) {
	if was == now {
		return
	}
	if was != "" {
		t.del(v.k.bpExec(was, id))
	}
	if now != "" {
		t.putRaw(v.k.bpExec(now, id), nil)
	}
}

// RequestCancel ends at once a queued execution that no worker claimed
// and none started (the claim's absence is read in the transaction, so a
// worker claiming it meanwhile makes it run again); otherwise it marks
// it cancelling for the process that runs it.
func (v *view) RequestCancel(ctx context.Context, id string, force bool) (*store.Execution, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, err
	}
	var out *store.Execution
	err := v.Batch(ctx, func(b store.Store) error {
		bv := b.(*view)
		claimed, err := bv.t.exists(ctx, v.k.claim(id))
		if err != nil {
			return err
		}
		out, err = bv.UpdateExecution(ctx, id, func(e *store.Execution) error {
			if err := store.CancelUpdate(id, force)(e); err != nil {
				return err
			}
			if !claimed && e.EndsAtCancel() {
				e.Status, e.EndedAt, e.Error = store.ExecutionCancelled, store.Now(), store.UnstartedCancel
			}
			return nil
		})
		return err
	})
	return out, err
}

func (v *view) PutTasks(ctx context.Context, execID string, tasks []*store.Task) error {
	if err := store.CheckID("execution", execID); err != nil {
		return err
	}
	if err := store.CheckTasks(execID, tasks); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		depID, err := v.executionDeployment(ctx, t, execID)
		if err != nil {
			return err
		}
		ts := store.Now()
		for _, task := range tasks {
			rec := *task
			rec.ExecutionID = execID
			if rec.UpdatedAt.IsZero() {
				rec.UpdatedAt = ts
			}
			if err := t.put("task", v.k.task(depID, execID, rec.ID), &rec); err != nil {
				return err
			}
		}
		return nil
	})
}

func (v *view) GetTask(ctx context.Context, execID, taskID string) (*store.Task, error) {
	if err := store.CheckID("execution", execID); err != nil {
		return nil, err
	}
	if err := store.CheckID("task", taskID); err != nil {
		return nil, err
	}
	var task store.Task
	err := v.run(ctx, func(t *tx) error {
		depID, err := v.executionDeployment(ctx, t, execID)
		if err != nil {
			return err
		}
		ok, err := t.get(ctx, "task", v.k.task(depID, execID, taskID), &task)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("task %q of execution %q: %w", taskID, execID, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &task, nil
}

func (v *view) ListTasks(ctx context.Context, execID string) ([]*store.Task, error) {
	if err := store.CheckID("execution", execID); err != nil {
		return nil, err
	}
	var out []*store.Task
	err := v.run(ctx, func(t *tx) error {
		depID, err := v.executionDeployment(ctx, t, execID)
		if err != nil {
			return err
		}
		return listJSON(ctx, t, "task", v.k.under(kindTask, depID, execID), &out)
	})
	return out, err
}

func (v *view) AppendEvents(ctx context.Context, execID string, evs []*store.Event) error {
	if err := store.CheckEvents(execID, evs); err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	return v.run(ctx, func(t *tx) error {
		depID, err := v.executionDeployment(ctx, t, execID)
		if err != nil {
			return err
		}
		seqKey := v.k.eventSeq(depID, execID)
		last, err := v.lastSeq(ctx, t, seqKey)
		if err != nil {
			return err
		}
		ts := store.Now()
		recs := make([]store.Event, len(evs))
		for i, ev := range evs {
			rec := *ev
			rec.Seq, rec.ExecutionID, rec.DeploymentID = last+uint64(i)+1, execID, depID
			if rec.Timestamp.IsZero() {
				rec.Timestamp = ts
			}
			if err := t.put("event", v.k.event(depID, execID, rec.Seq), &rec); err != nil {
				return err
			}
			// The counter follows every event: within one etcd
			// transaction the writes of a key collapse into one, so
			// whichever transaction an event lands in (see doc.go) also
			// moves the counter past it. A number is never handed out
			// twice and never skipped.
			t.putRaw(seqKey, []byte(strconv.FormatUint(rec.Seq, 10)))
			recs[i] = rec
		}
		for i, ev := range evs {
			*ev = recs[i]
		}
		return nil
	})
}

// lastSeq reads an execution's event counter (0 when it has no events).
func (v *view) lastSeq(ctx context.Context, t *tx, seqKey string) (uint64, error) {
	raw, ok, err := t.getRaw(ctx, seqKey)
	if err != nil || !ok {
		return 0, err
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event counter %q: %q is not a number", seqKey, raw)
	}
	return n, nil
}

func (v *view) Events(ctx context.Context, execID string, afterSeq uint64, limit int) ([]*store.Event, error) {
	if err := store.CheckID("execution", execID); err != nil {
		return nil, err
	}
	var out []*store.Event
	err := v.run(ctx, func(t *tx) error {
		out = nil
		depID, err := v.executionDeployment(ctx, t, execID)
		if err != nil {
			return err
		}
		if afterSeq == ^uint64(0) {
			return nil
		}
		return v.scanEvents(ctx, t, depID, execID, afterSeq, limit, &out)
	})
	return out, err
}

// scanEvents reads up to limit events after afterSeq, in order.
func (v *view) scanEvents(ctx context.Context, t *tx, depID, execID string, afterSeq uint64, limit int, out *[]*store.Event) error {
	kvs, err := t.scanFrom(ctx, v.k.under(kindEvent, depID, execID), v.k.event(depID, execID, afterSeq+1), limit, false)
	if err != nil {
		return err
	}
	return decodeAll("event", kvs, out)
}
