package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

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
		e, b, err := eventsOf(tx, execID)
		if err != nil {
			return err
		}
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

var _ EventsJSONReader = (*boltView)(nil)

// EventsJSON implements EventsJSONReader: each stored record is spliced
// with what its key (seq), bucket (execution) and execution's record
// (deployment) say, in the place json.Marshal puts them (first), without
// decoding it. A record of an earlier version that holds those fields
// itself is decoded and encoded instead.
func (v *boltView) EventsJSON(ctx context.Context, execID string, afterSeq uint64, limit int, dst []byte) ([]byte, int, error) {
	if err := checkID("execution", execID); err != nil {
		return dst, 0, err
	}
	start, n := len(dst), 0
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		dst, n = append(dst[:start], '['), 0
		e, b, err := eventsOf(tx, execID)
		if err != nil {
			return err
		}
		if b == nil || afterSeq == ^uint64(0) {
			return nil
		}
		execJSON, err := json.Marshal(e.ID)
		if err != nil {
			return err
		}
		depJSON, err := json.Marshal(e.DeploymentID)
		if err != nil {
			return err
		}
		kind := fmt.Sprintf("event of execution %q", execID)
		c := b.Cursor()
		for k, val := c.Seek(seqKey(afterSeq + 1)); k != nil && (limit <= 0 || n < limit); k, val = c.Next() {
			if n > 0 {
				dst = append(dst, ',')
			} else if limit > 0 {
				// Room for the page, guessed from its first record.
				dst = slices.Grow(dst, min(limit, maxGrowEvents)*(len(val)+eventHeaderLen))
			}
			n++
			seq := binary.BigEndian.Uint64(k)
			if len(val) < 2 || val[0] != '{' || val[len(val)-1] != '}' {
				return damagedError(tx.DB().Path(), fmt.Sprintf("%s %q is not a JSON object", kind, k))
			}
			if bytes.HasPrefix(val, ownIDsPrefix) {
				var ev Event
				if err := decodeJSON(b, kind, k, val, &ev); err != nil {
					return err
				}
				ev.Seq = seq
				restoreEvent(&ev, e)
				one, err := json.Marshal(&ev)
				if err != nil {
					return err
				}
				dst = append(dst, one...)
				continue
			}
			dst = append(dst, `{"seq":`...)
			dst = strconv.AppendUint(dst, seq, 10)
			dst = append(dst, `,"execution_id":`...)
			dst = append(dst, execJSON...)
			dst = append(dst, `,"deployment_id":`...)
			dst = append(dst, depJSON...)
			if len(val) > 2 {
				dst = append(dst, ',')
			}
			dst = append(dst, val[1:]...)
		}
		return nil
	})
	if err != nil {
		return dst[:start], 0, err
	}
	return append(dst, ']'), n, nil
}

// ownIDsPrefix starts a stored event record of an earlier version, which
// holds what its key, bucket and execution give: json.Marshal of an Event
// writes seq first, and a record of this version starts with timestamp.
var ownIDsPrefix = []byte(`{"seq":`)

// Growing a page's buffer: at most this many events' room at once, each
// with room for what EventsJSON adds (seq and ids).
const (
	maxGrowEvents  = 1000
	eventHeaderLen = 96
)

// eventsOf returns the part of an execution's record its events need (id
// and deployment: a small decode) and its events' bucket (nil: none yet).
func eventsOf(tx *bolt.Tx, id string) (*Execution, *bolt.Bucket, error) {
	execs, err := bucket(tx, bktExecutions)
	if err != nil {
		return nil, nil, err
	}
	raw := execs.Get([]byte(id))
	if raw == nil {
		return nil, nil, fmt.Errorf("execution %q: %w", id, ErrNotFound)
	}
	var rec struct {
		DeploymentID string `json:"deployment_id"`
	}
	if err := decodeJSON(execs, "execution", []byte(id), raw, &rec); err != nil {
		return nil, nil, err
	}
	parent, err := bucket(tx, bktEvents)
	if err != nil {
		return nil, nil, err
	}
	return &Execution{ID: id, DeploymentID: rec.DeploymentID}, parent.Bucket([]byte(id)), nil
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
