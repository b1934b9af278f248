package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

func checkVisibility(vis string) error {
	switch vis {
	case VisibilityPrivate, VisibilityTenant, VisibilityGlobal:
		return nil
	}
	return fmt.Errorf("visibility %q is not one of private, tenant, global: %w", vis, ErrInvalid)
}

// Errors here name the key only, never the value.

func (v *boltView) PutSecret(ctx context.Context, sec *Secret, overwrite bool) error {
	rec, err := PrepareSecret(sec)
	if err != nil {
		return err
	}
	err = v.run(ctx, true, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktSecrets)
		if err != nil {
			return err
		}
		var old Secret
		exists, err := getJSON(b, "secret", []byte(rec.Key), &old)
		if err != nil {
			return err
		}
		prev := &old
		if !exists {
			prev = nil
		}
		if err := ApplySecretPut(&rec, prev, overwrite); err != nil {
			return err
		}
		return putJSON(b, "secret", []byte(rec.Key), &rec)
	})
	if err != nil {
		return err
	}
	*sec = rec
	return nil
}

func (v *boltView) GetSecret(ctx context.Context, k string) (*Secret, error) {
	if err := checkID("secret", k); err != nil {
		return nil, err
	}
	var sec Secret
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktSecrets)
		if err != nil {
			return err
		}
		ok, err := getJSON(b, "secret", []byte(k), &sec)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("secret %q: %w", k, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sec, nil
}

func (v *boltView) ListSecrets(ctx context.Context) ([]*Secret, error) {
	var out []*Secret
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktSecrets)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			var sec Secret
			if _, err := getJSON(b, "secret", k, &sec); err != nil {
				return err
			}
			sec.Value = ""
			out = append(out, &sec)
			return nil
		})
	})
	return out, err
}

func (v *boltView) DeleteSecret(ctx context.Context, k string) error {
	if err := checkID("secret", k); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktSecrets)
		if err != nil {
			return err
		}
		if b.Get([]byte(k)) == nil {
			return fmt.Errorf("secret %q: %w", k, ErrNotFound)
		}
		return b.Delete([]byte(k))
	})
}
