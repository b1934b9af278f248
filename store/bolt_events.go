package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func (v *boltView) AppendEvents(ctx context.Context, execID string, evs []*Event) error {
	if err := CheckEvents(execID, evs); err != nil {
		return err
	}
	if len(evs) == 0 {
		return nil
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		e, err := getExecution(tx, execID)
		if err != nil {
			return err
		}
		parent, err := bucket(tx, bktEvents)
		if err != nil {
			return err
		}
		b, err := parent.CreateBucketIfNotExists([]byte(execID))
		if err != nil {
			return fmt.Errorf("execution %q: %w", execID, err)
		}
		// Keys only grow: full pages, not bbolt's half-full default,
		// halve the bytes per event.
		b.FillPercent = 1.0
		ts := now()
		recs := make([]Event, len(evs))
		for i, ev := range evs {
			rec := *ev
			seq, err := b.NextSequence()
			if err != nil {
				return fmt.Errorf("execution %q: event sequence: %w", execID, err)
			}
			rec.Seq, rec.ExecutionID, rec.DeploymentID = seq, execID, e.DeploymentID
			if rec.Timestamp.IsZero() {
				rec.Timestamp = ts
			}
			if err := putJSON(b, "event", seqKey(seq), storedEvent(&rec)); err != nil {
				return err
			}
			recs[i] = rec
		}
		if err := v.s.trimEvents(b); err != nil {
			return fmt.Errorf("execution %q: %w", execID, err)
		}
		// Written back only once every event is in: inside a Batch a
		// failure must leave the caller's events untouched.
		for i, ev := range evs {
			*ev = recs[i]
		}
		return nil
	})
}

func (v *boltView) Events(ctx context.Context, execID string, afterSeq uint64, limit int) ([]*Event, error) {
	if err := checkID("execution", execID); err != nil {
		return nil, err
	}
	var out []*Event
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		e, err := getExecution(tx, execID)
		if err != nil {
			return err
		}
		parent, err := bucket(tx, bktEvents)
		if err != nil {
			return err
		}
		b := parent.Bucket([]byte(execID))
		if b == nil {
			return nil
		}
		out, err = scanSeq[Event](b, fmt.Sprintf("event of execution %q", execID), afterSeq, limit)
		for _, ev := range out {
			restoreEvent(ev, e)
		}
		return err
	})
	return out, err
}

// eventRecord is an event as stored: without what its key (seq), its
// bucket (execution) and its execution's record (deployment) say. The
// outer fields hide the event's own, and are left empty. Records of
// earlier versions that have them decode the same.
type eventRecord struct {
	*Event
	Seq          uint64 `json:"seq,omitempty"`
	ExecutionID  string `json:"execution_id,omitempty"`
	DeploymentID string `json:"deployment_id,omitempty"`
}

func storedEvent(ev *Event) *eventRecord { return &eventRecord{Event: ev} }

// restoreEvent fills in what the stored record leaves out.
func restoreEvent(ev *Event, e *Execution) {
	ev.ExecutionID, ev.DeploymentID = e.ID, e.DeploymentID
}

// setSeq sets the sequence number from the record's key (scanSeq).
func (ev *Event) setSeq(seq uint64) { ev.Seq = seq }
