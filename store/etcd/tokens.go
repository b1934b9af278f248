package etcdstore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/store"
)

func (v *view) CreateToken(ctx context.Context, tok *store.Token) error {
	if err := store.CheckToken(tok); err != nil {
		return err
	}
	rec := *tok
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = store.Now()
	}
	err := v.run(ctx, func(t *tx) error {
		ok, err := t.exists(ctx, v.k.token(rec.ID))
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("token %q: %w", rec.ID, store.ErrExists)
		}
		return t.put("token", v.k.token(rec.ID), &rec)
	})
	if err != nil {
		return err
	}
	*tok = rec
	return nil
}

func (v *view) getToken(ctx context.Context, t *tx, id string) (*store.Token, error) {
	var tok store.Token
	ok, err := t.get(ctx, "token", v.k.token(id), &tok)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("token %q: %w", id, store.ErrNotFound)
	}
	return &tok, nil
}

func (v *view) GetToken(ctx context.Context, id string) (*store.Token, error) {
	if err := store.CheckID("token", id); err != nil {
		return nil, err
	}
	var out *store.Token
	err := v.run(ctx, func(t *tx) (err error) {
		out, err = v.getToken(ctx, t, id)
		return err
	})
	return out, err
}

func (v *view) ListTokens(ctx context.Context) ([]*store.Token, error) {
	var out []*store.Token
	err := v.run(ctx, func(t *tx) error {
		if err := listJSON(ctx, t, "token", v.k.all(kindToken), &out); err != nil {
			return err
		}
		for _, tok := range out {
			tok.Hash = ""
		}
		return nil
	})
	return out, err
}

func (v *view) RevokeToken(ctx context.Context, id string) (*store.Token, error) {
	if err := store.CheckID("token", id); err != nil {
		return nil, err
	}
	var out *store.Token
	err := v.run(ctx, func(t *tx) error {
		tok, err := v.getToken(ctx, t, id)
		if err != nil {
			return err
		}
		out = tok
		if !tok.RevokedAt.IsZero() {
			return nil
		}
		tok.RevokedAt = store.Now()
		return t.put("token", v.k.token(id), tok)
	})
	if err != nil {
		return nil, err
	}
	out.Hash = ""
	return out, nil
}

func (v *view) DeleteToken(ctx context.Context, id string) error {
	if err := store.CheckID("token", id); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		ok, err := t.exists(ctx, v.k.token(id))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("token %q: %w", id, store.ErrNotFound)
		}
		t.del(v.k.token(id))
		return nil
	})
}

// AppendAudit appends one record; its number comes from a counter key
// written in the same transaction (as events' numbers do).
func (v *view) AppendAudit(ctx context.Context, r *store.AuditRecord) error {
	if err := store.CheckAuditRecord(r); err != nil {
		return err
	}
	rec := *r
	err := v.run(ctx, func(t *tx) error {
		last, err := v.lastSeq(ctx, t, v.k.auditSeq())
		if err != nil {
			return err
		}
		rec.Seq = last + 1
		if rec.Time.IsZero() {
			rec.Time = store.Now()
		}
		t.putRaw(v.k.auditSeq(), []byte(strconv.FormatUint(rec.Seq, 10)))
		return t.put("audit record", v.k.audit(rec.Seq), &rec)
	})
	if err != nil {
		return err
	}
	*r = rec
	return nil
}

func (v *view) ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*store.AuditRecord, error) {
	var out []*store.AuditRecord
	err := v.run(ctx, func(t *tx) error {
		out = nil
		if afterSeq == ^uint64(0) {
			return nil
		}
		kvs, err := t.scanFrom(ctx, v.k.all(kindAudit), v.k.audit(afterSeq+1), limit, false)
		if err != nil {
			return err
		}
		return decodeAll("audit record", kvs, &out)
	})
	return out, err
}
