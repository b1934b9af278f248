package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func (v *boltView) CreateExecution(ctx context.Context, e *Execution) error {
	rec, err := PrepareExecution(e)
	if err != nil {
		return err
	}
	err = v.run(ctx, true, func(tx *bolt.Tx) error {
		if _, err := getDeployment(tx, rec.DeploymentID, false); err != nil {
			return fmt.Errorf("execution %q: %w", rec.ID, err)
		}
		execs, err := bucket(tx, bktExecutions)
		if err != nil {
			return err
		}
		if execs.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("execution %q: %w", rec.ID, ErrExists)
		}
		if old, err := getTombstone(tx, rec.ID, v.s.opts.DeletedExecutionTTL); err != nil {
			return err
		} else if old != nil {
			return TombstoneTaken(old, v.s.opts.DeletedExecutionTTL)
		}
		if err := CheckHeldStored(&rec, blueprintStored(tx)); err != nil {
			return err
		}
		if err := putJSON(execs, "execution", []byte(rec.ID), &rec); err != nil {
			return err
		}
		if err := moveHeld(tx, rec.ID, "", rec.HeldBlueprint()); err != nil {
			return err
		}
		idx, err := bucket(tx, bktDepExecutions)
		if err != nil {
			return err
		}
		return idx.Put(key(rec.DeploymentID, rec.ID), empty)
	})
	if err != nil {
		return err
	}
	*e = rec
	return nil
}

func getExecution(tx *bolt.Tx, id string) (*Execution, error) {
	execs, err := bucket(tx, bktExecutions)
	if err != nil {
		return nil, err
	}
	var e Execution
	ok, err := getJSON(execs, "execution", []byte(id), &e)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("execution %q: %w", id, ErrNotFound)
	}
	return &e, nil
}

// deploymentExecutions returns the deployment's executions via the index.
func deploymentExecutions(tx *bolt.Tx, depID string) ([]*Execution, error) {
	idx, err := bucket(tx, bktDepExecutions)
	if err != nil {
		return nil, err
	}
	var out []*Execution
	p := prefix(depID)
	err = scanPrefix(idx, p, func(k, _ []byte) error {
		e, err := getExecution(tx, string(k[len(p):]))
		if err != nil {
			return fmt.Errorf("executions index of deployment %q: %w", depID, err)
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// blueprintStored reports, in tx, whether a blueprint is stored.
func blueprintStored(tx *bolt.Tx) func(id string) (bool, error) {
	return func(id string) (bool, error) {
		bps, err := bucket(tx, bktBlueprints)
		if err != nil {
			return false, err
		}
		return bps.Get([]byte(id)) != nil, nil
	}
}

// moveHeld moves execution id's entry in the blueprint_executions index
// from the blueprint it held (was) to the one it holds (now); "" is none.
func moveHeld(tx *bolt.Tx, id, was, now string) error {
	if was == now {
		return nil
	}
	if was != "" {
		if err := delEntry(tx, bktBPExecutions, key(was, id)); err != nil {
			return err
		}
	}
	if now != "" {
		return putEntry(tx, bktBPExecutions, key(now, id))
	}
	return nil
}

// deleteExecution removes an execution with its tasks, events and index entry.
func deleteExecution(tx *bolt.Tx, e *Execution) error {
	execs, err := bucket(tx, bktExecutions)
	if err != nil {
		return err
	}
	if err := execs.Delete([]byte(e.ID)); err != nil {
		return err
	}
	idx, err := bucket(tx, bktDepExecutions)
	if err != nil {
		return err
	}
	if err := idx.Delete(key(e.DeploymentID, e.ID)); err != nil {
		return err
	}
	if err := moveHeld(tx, e.ID, e.HeldBlueprint(), ""); err != nil {
		return err
	}
	for _, name := range [][]byte{bktTasks, bktEvents} {
		parent, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if parent.Bucket([]byte(e.ID)) != nil {
			if err := parent.DeleteBucket([]byte(e.ID)); err != nil {
				return fmt.Errorf("execution %q: %w", e.ID, err)
			}
		}
	}
	return nil
}

func (v *boltView) GetExecution(ctx context.Context, id string) (*Execution, error) {
	if err := checkID("execution", id); err != nil {
		return nil, err
	}
	var e *Execution
	err := v.run(ctx, false, func(tx *bolt.Tx) (err error) {
		e, err = getExecution(tx, id)
		return err
	})
	return e, err
}

func (v *boltView) ListExecutions(ctx context.Context, depID string) ([]*Execution, error) {
	var out []*Execution
	err := v.run(ctx, false, func(tx *bolt.Tx) (err error) {
		if depID != "" {
			if _, err := getDeployment(tx, depID, false); err != nil {
				return err
			}
			out, err = deploymentExecutions(tx, depID)
			return err
		}
		execs, err := bucket(tx, bktExecutions)
		if err != nil {
			return err
		}
		return execs.ForEach(func(k, _ []byte) error {
			var e Execution
			if _, err := getJSON(execs, "execution", k, &e); err != nil {
				return err
			}
			out = append(out, &e)
			return nil
		})
	})
	SortExecutions(out)
	return out, err
}

func (v *boltView) UpdateExecution(ctx context.Context, id string, fn func(*Execution) error) (*Execution, error) {
	if err := checkID("execution", id); err != nil {
		return nil, err
	}
	var out *Execution
	err := v.run(ctx, true, func(tx *bolt.Tx) error {
		e, err := getExecution(tx, id)
		if err != nil {
			return err
		}
		held := e.HeldBlueprint()
		if err := ApplyExecutionUpdate(id, e, fn); err != nil {
			return err
		}
		if held == "" {
			if err := CheckHeldStored(e, blueprintStored(tx)); err != nil {
				return err
			}
		}
		execs, err := bucket(tx, bktExecutions)
		if err != nil {
			return err
		}
		if err := putJSON(execs, "execution", []byte(id), e); err != nil {
			return err
		}
		if err := moveHeld(tx, id, held, e.HeldBlueprint()); err != nil {
			return err
		}
		out = e
		return nil
	})
	return out, err
}

func (v *boltView) RequestCancel(ctx context.Context, id string, force bool) (*Execution, error) {
	return v.UpdateExecution(ctx, id, CancelUpdate(id, force))
}

func (v *boltView) PutTasks(ctx context.Context, execID string, tasks []*Task) error {
	if err := checkID("execution", execID); err != nil {
		return err
	}
	if err := CheckTasks(execID, tasks); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		if _, err := getExecution(tx, execID); err != nil {
			return err
		}
		parent, err := bucket(tx, bktTasks)
		if err != nil {
			return err
		}
		b, err := parent.CreateBucketIfNotExists([]byte(execID))
		if err != nil {
			return fmt.Errorf("execution %q: %w", execID, err)
		}
		ts := now()
		for _, t := range tasks {
			rec := *t
			rec.ExecutionID = execID
			if rec.UpdatedAt.IsZero() {
				rec.UpdatedAt = ts
			}
			if err := putJSON(b, "task", []byte(rec.ID), &rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// taskBucket returns the execution's task bucket (nil if it has none yet),
// or ErrNotFound if the execution does not exist.
func taskBucket(tx *bolt.Tx, execID string) (*bolt.Bucket, error) {
	if _, err := getExecution(tx, execID); err != nil {
		return nil, err
	}
	parent, err := bucket(tx, bktTasks)
	if err != nil {
		return nil, err
	}
	return parent.Bucket([]byte(execID)), nil
}

func (v *boltView) GetTask(ctx context.Context, execID, taskID string) (*Task, error) {
	if err := checkID("execution", execID); err != nil {
		return nil, err
	}
	if err := checkID("task", taskID); err != nil {
		return nil, err
	}
	var t Task
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, err := taskBucket(tx, execID)
		if err != nil {
			return err
		}
		ok := false
		if b != nil {
			if ok, err = getJSON(b, "task", []byte(taskID), &t); err != nil {
				return err
			}
		}
		if !ok {
			return fmt.Errorf("task %q of execution %q: %w", taskID, execID, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func (v *boltView) ListTasks(ctx context.Context, execID string) ([]*Task, error) {
	if err := checkID("execution", execID); err != nil {
		return nil, err
	}
	var out []*Task
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, err := taskBucket(tx, execID)
		if err != nil || b == nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			var t Task
			if _, err := getJSON(b, "task", k, &t); err != nil {
				return err
			}
			out = append(out, &t)
			return nil
		})
	})
	return out, err
}
