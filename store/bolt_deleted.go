package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Tombstones of executions deleted with their deployment: the record in
// bktDeleted, and an index by deletion time in bktDeletedByTime so that
// each DeleteDeployment prunes the expired ones from its front (one
// delete per tombstone dropped; nothing scans the live ones).

// deletedKey is the index key of a tombstone: when, then which.
func deletedKey(e *Execution) []byte {
	k := make([]byte, 8, 8+1+len(e.ID))
	binary.BigEndian.PutUint64(k, uint64(e.DeletedAt.UnixNano()))
	k = append(k, 0)
	return append(k, e.ID...)
}

// putTombstones keeps a tombstone of each execution DeleteDeployment
// deletes at at, after dropping those expired by then.
func putTombstones(tx *bolt.Tx, execs []*Execution, at time.Time, ttl time.Duration) error {
	recs, err := tx.CreateBucketIfNotExists(bktDeleted)
	if err != nil {
		return err
	}
	idx, err := tx.CreateBucketIfNotExists(bktDeletedByTime)
	if err != nil {
		return err
	}
	if err := pruneTombstones(recs, idx, at.Add(-ttl)); err != nil {
		return err
	}
	for _, e := range execs {
		var old Execution
		if ok, err := getJSON(recs, "deleted execution", []byte(e.ID), &old); err != nil {
			return err
		} else if ok {
			if err := idx.Delete(deletedKey(&old)); err != nil {
				return err
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

// pruneTombstones deletes the tombstones deleted before cutoff.
func pruneTombstones(recs, idx *bolt.Bucket, cutoff time.Time) error {
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

// checkTombstones reports tombstones without their index entry or
// whose record says another id (Check).
func (c *checker) checkTombstones() {
	recs, idx := c.tx.Bucket(bktDeleted), c.tx.Bucket(bktDeletedByTime)
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
