package etcdstore

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/store"
)

// Errors here name the key only, never the value.

func (v *view) PutSecret(ctx context.Context, sec *store.Secret, overwrite bool) error {
	rec, err := store.PrepareSecret(sec)
	if err != nil {
		return err
	}
	err = v.run(ctx, func(t *tx) error {
		old := new(store.Secret)
		exists, err := t.get(ctx, "secret", v.k.secret(rec.Key), old)
		if err != nil {
			return err
		}
		if !exists {
			old = nil
		}
		if err := store.ApplySecretPut(&rec, old, overwrite); err != nil {
			return err
		}
		return t.put("secret", v.k.secret(rec.Key), &rec)
	})
	if err != nil {
		return err
	}
	*sec = rec
	return nil
}

func (v *view) GetSecret(ctx context.Context, key string) (*store.Secret, error) {
	if err := store.CheckID("secret", key); err != nil {
		return nil, err
	}
	var sec store.Secret
	err := v.run(ctx, func(t *tx) error {
		ok, err := t.get(ctx, "secret", v.k.secret(key), &sec)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("secret %q: %w", key, store.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sec, nil
}

func (v *view) ListSecrets(ctx context.Context) ([]*store.Secret, error) {
	var out []*store.Secret
	err := v.run(ctx, func(t *tx) error {
		if err := listJSON(ctx, t, "secret", v.k.all(kindSecret), &out); err != nil {
			return err
		}
		for _, s := range out {
			s.Value = ""
		}
		return nil
	})
	return out, err
}

func (v *view) DeleteSecret(ctx context.Context, key string) error {
	if err := store.CheckID("secret", key); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		ok, err := t.exists(ctx, v.k.secret(key))
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("secret %q: %w", key, store.ErrNotFound)
		}
		t.del(v.k.secret(key))
		return nil
	})
}
