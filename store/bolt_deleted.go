package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tombstones of executions deleted with their deployment: the record in
// bktDeleted, its events' bucket moved (not copied) from bktEvents to
// bktDeletedEvents, and an index by deletion time in bktDeletedByTime so
// that each DeleteDeployment prunes the expired ones from its front (one
// delete per tombstone dropped; nothing scans the live ones).

// deletedKey is the index key of a tombstone: when, then which.
func deletedKey(e *Execution) []byte {
	k := make([]byte, 8, 8+1+len(e.ID))
	binary.BigEndian.PutUint64(k, uint64(e.DeletedAt.UnixNano()))
	k = append(k, 0)
	return append(k, e.ID...)
}

// tombstoneBuckets are the buckets of the tombstones.
type tombstoneBuckets struct{ recs, idx, events *bolt.Bucket }

// putTombstones keeps a tombstone of each execution DeleteDeployment
// deletes at at, with its events, after dropping those expired by then.
// It runs before deleteExecution, which then finds no events to delete.
func putTombstones(tx *bolt.Tx, execs []*Execution, at time.Time, ttl time.Duration) error {
	var tb tombstoneBuckets
	for _, x := range []struct {
		b    **bolt.Bucket
		name []byte
	}{{&tb.recs, bktDeleted}, {&tb.idx, bktDeletedByTime}, {&tb.events, bktDeletedEvents}} {
		b, err := tx.CreateBucketIfNotExists(x.name)
		if err != nil {
			return err
		}
		*x.b = b
	}
	if err := tb.prune(at.Add(-ttl)); err != nil {
		return err
	}
	events, err := bucket(tx, bktEvents)
	if err != nil {
		return err
	}
	recs, idx := tb.recs, tb.idx
	for _, e := range execs {
		var old Execution
		if ok, err := getJSON(recs, "deleted execution", []byte(e.ID), &old); err != nil {
			return err
		} else if ok {
			if err := idx.Delete(deletedKey(&old)); err != nil {
				return err
			}
		}
		if err := tb.dropEvents([]byte(e.ID)); err != nil {
			return err
		}
		if events.Bucket([]byte(e.ID)) != nil {
			if err := tx.MoveBucket([]byte(e.ID), events, tb.events); err != nil {
				return fmt.Errorf("execution %q: keep its events: %w", e.ID, err)
			}
		}
		rec := Tombstone(e, at)
		if err := putJSON(recs, "deleted execution", []byte(e.ID), &rec); err != nil {
			return err
		}
		if err := idx.Put(deletedKey(&rec), empty); err != nil {
			return err
		}
	}
	return nil
}

// dropEvents deletes the kept events of the tombstone of id, if any.
func (tb *tombstoneBuckets) dropEvents(id []byte) error {
	if tb.events.Bucket(id) == nil {
		return nil
	}
	if err := tb.events.DeleteBucket(id); err != nil {
		return fmt.Errorf("deleted execution %q: drop its events: %w", id, err)
	}
	return nil
}

// prune deletes the tombstones deleted before cutoff, with their events.
func (tb *tombstoneBuckets) prune(cutoff time.Time) error {
	recs, idx := tb.recs, tb.idx
	end := seqKey(uint64(cutoff.UnixNano()))
	c := idx.Cursor()
	var drop [][]byte
	for k, _ := c.First(); k != nil && bytes.Compare(k[:min(8, len(k))], end) < 0; k, _ = c.Next() {
		drop = append(drop, bytes.Clone(k))
	}
	for _, k := range drop {
		if err := idx.Delete(k); err != nil {
			return err
		}
		if len(k) > 9 {
			if err := recs.Delete(k[9:]); err != nil {
				return err
			}
			if err := tb.dropEvents(k[9:]); err != nil {
				return err
			}
		}
	}
	return nil
}

// getTombstone returns the kept tombstone of id, or nil.
func getTombstone(tx *bolt.Tx, id string, ttl time.Duration) (*Execution, error) {
	b := tx.Bucket(bktDeleted)
	if b == nil {
		return nil, nil
	}
	var e Execution
	ok, err := getJSON(b, "deleted execution", []byte(id), &e)
	if err != nil || !ok || !TombstoneLive(&e, ttl, now()) {
		return nil, err
	}
	return &e, nil
}

func (v *boltView) GetDeletedExecution(ctx context.Context, id string) (*Execution, error) {
	if err := checkID("execution", id); err != nil {
		return nil, err
	}
	var e *Execution
	err := v.run(ctx, false, func(tx *bolt.Tx) (err error) {
		e, err = getTombstone(tx, id, v.s.opts.DeletedExecutionTTL)
		if err == nil && e == nil {
			err = TombstoneNotFound(id)
		}
		return err
	})
	return e, err
}

func (v *boltView) DeletedEvents(ctx context.Context, id string, afterSeq uint64, limit int) ([]*Event, error) {
	if err := checkID("execution", id); err != nil {
		return nil, err
	}
	var out []*Event
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		e, err := getTombstone(tx, id, v.s.opts.DeletedExecutionTTL)
		if err != nil {
			return err
		}
		if e == nil {
			return TombstoneNotFound(id)
		}
		var b *bolt.Bucket
		if parent := tx.Bucket(bktDeletedEvents); parent != nil {
			b = parent.Bucket([]byte(id))
		}
		if b == nil {
			// No event, or deleted by a version that did not keep them.
			out = nil
			return nil
		}
		out, err = scanSeq[Event](b, fmt.Sprintf("event of deleted execution %q", id), afterSeq, limit)
		for _, ev := range out {
			restoreEvent(ev, e)
		}
		return err
	})
	return out, err
}

// checkTombstones reports tombstones without their index entry or
// whose record says another id, and kept events without a tombstone or
// damaged (Check).
func (c *checker) checkTombstones() {
	recs, idx := c.tx.Bucket(bktDeleted), c.tx.Bucket(bktDeletedByTime)
	if events := c.tx.Bucket(bktDeletedEvents); events != nil {
		_ = events.ForEachBucket(func(exec []byte) error {
			if recs == nil || recs.Get(exec) == nil {
				c.addf("kept events of deleted execution %q: no tombstone", exec)
				return nil
			}
			c.checkEvents("deleted execution", exec, events.Bucket(exec))
			return nil
		})
	}
	if recs == nil || idx == nil {
		return
	}
	_ = recs.ForEach(func(k, v []byte) error {
		var e Execution
		switch {
		case json.Unmarshal(v, &e) != nil || e.ID != string(k):
			c.addf("deleted execution %q: undecodable or mismatched id", k)
		case idx.Get(deletedKey(&e)) == nil:
			c.addf("deleted execution %q: missing from %s", k, bktDeletedByTime)
		}
		return nil
	})
}
