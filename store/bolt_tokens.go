package store

import (
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// maxTokenName bounds a token's name and role.
const maxTokenName = 256

// CheckToken validates a token record before it is stored: an id, a name,
// a role and a hash that is 64 lowercase hex digits (a SHA-256, so that a
// secret passed by mistake is refused rather than stored). Errors never
// show the hash. Backends call it from CreateToken.
func CheckToken(t *Token) error {
	if t == nil {
		return fmt.Errorf("create token: nil: %w", ErrInvalid)
	}
	if err := checkID("token", t.ID); err != nil {
		return err
	}
	switch {
	case t.Name == "" || len(t.Name) > maxTokenName:
		return fmt.Errorf("token %q: name must be 1 to %d bytes: %w", t.ID, maxTokenName, ErrInvalid)
	case t.Role == "" || len(t.Role) > maxTokenName:
		return fmt.Errorf("token %q: role must be 1 to %d bytes: %w", t.ID, maxTokenName, ErrInvalid)
	case !isSHA256Hex(t.Hash):
		return fmt.Errorf("token %q: hash is not a hex SHA-256 (64 lowercase hex digits; the store never takes a secret): %w", t.ID, ErrInvalid)
	}
	return nil
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (v *boltView) CreateToken(ctx context.Context, t *Token) error {
	if err := CheckToken(t); err != nil {
		return err
	}
	rec := *t
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = now()
	}
	err := v.run(ctx, true, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktTokens)
		if err != nil {
			return err
		}
		if b.Get([]byte(rec.ID)) != nil {
			return fmt.Errorf("token %q: %w", rec.ID, ErrExists)
		}
		return putJSON(b, "token", []byte(rec.ID), &rec)
	})
	if err != nil {
		return err
	}
	*t = rec
	return nil
}

// getToken reads a token record in tx.
func getToken(tx *bolt.Tx, id string) (*Token, *bolt.Bucket, error) {
	b, err := bucket(tx, bktTokens)
	if err != nil {
		return nil, nil, err
	}
	var t Token
	ok, err := getJSON(b, "token", []byte(id), &t)
	if err != nil {
		return nil, nil, err
	}
	if !ok {
		return nil, nil, fmt.Errorf("token %q: %w", id, ErrNotFound)
	}
	return &t, b, nil
}

func (v *boltView) GetToken(ctx context.Context, id string) (*Token, error) {
	if err := checkID("token", id); err != nil {
		return nil, err
	}
	var out *Token
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		t, _, err := getToken(tx, id)
		out = t
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (v *boltView) ListTokens(ctx context.Context) ([]*Token, error) {
	var out []*Token
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, err := bucket(tx, bktTokens)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, _ []byte) error {
			var t Token
			if _, err := getJSON(b, "token", k, &t); err != nil {
				return err
			}
			t.Hash = ""
			out = append(out, &t)
			return nil
		})
	})
	return out, err
}

func (v *boltView) RevokeToken(ctx context.Context, id string) (*Token, error) {
	if err := checkID("token", id); err != nil {
		return nil, err
	}
	var out *Token
	err := v.run(ctx, true, func(tx *bolt.Tx) error {
		t, b, err := getToken(tx, id)
		if err != nil {
			return err
		}
		if t.RevokedAt.IsZero() {
			t.RevokedAt = now()
			if err := putJSON(b, "token", []byte(id), t); err != nil {
				return err
			}
		}
		out = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.Hash = ""
	return out, nil
}

func (v *boltView) DeleteToken(ctx context.Context, id string) error {
	if err := checkID("token", id); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		_, b, err := getToken(tx, id)
		if err != nil {
			return err
		}
		return b.Delete([]byte(id))
	})
}
