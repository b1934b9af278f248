package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// CheckAuditRecord validates an audit record before it is appended.
// Backends call it from AppendAudit.
func CheckAuditRecord(r *AuditRecord) error {
	switch {
	case r == nil:
		return fmt.Errorf("append audit record: nil: %w", ErrInvalid)
	case r.Action == "":
		return fmt.Errorf("append audit record: action is empty: %w", ErrInvalid)
	case r.Principal == "":
		return fmt.Errorf("append audit record %q: principal is empty: %w", r.Action, ErrInvalid)
	}
	return nil
}

func (v *boltView) AppendAudit(ctx context.Context, r *AuditRecord) error {
	if err := CheckAuditRecord(r); err != nil {
		return err
	}
	rec := *r
	err := v.run(ctx, true, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktAudit)
		if err != nil {
			return err
		}
		seq, err := b.NextSequence()
		if err != nil {
			return fmt.Errorf("audit sequence: %w", err)
		}
		rec.Seq = seq
		if rec.Time.IsZero() {
			rec.Time = now()
		}
		return putJSON(b, "audit record", seqKey(seq), &rec)
	})
	if err != nil {
		return err
	}
	*r = rec
	return nil
}

func (v *boltView) ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*AuditRecord, error) {
	var out []*AuditRecord
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktAudit)
		if err != nil {
			return err
		}
		out, err = scanSeq[AuditRecord](b, "audit record", afterSeq, limit)
		return err
	})
	return out, err
}
