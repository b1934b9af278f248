package store

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// CheckSession validates a session record before it is stored: a key that
// is a hex SHA-256 (so that a session id passed by mistake is refused
// rather than stored), a token id and a creation time. Errors never show
// the key. Backends call it from PutSession.
func CheckSession(s *Session) error {
	switch {
	case s == nil:
		return fmt.Errorf("put session: nil: %w", ErrInvalid)
	case !isSHA256Hex(s.Key):
		return fmt.Errorf("session: key is not a hex SHA-256 (64 lowercase hex digits; the store never takes a session id): %w", ErrInvalid)
	case s.CreatedAt.IsZero():
		return fmt.Errorf("session of token %q: no creation time: %w", s.TokenID, ErrInvalid)
	}
	return checkID("session's token", s.TokenID)
}

// sessionsBucket is the sessions bucket; a store file made before sessions
// were kept gets it at its next write open, and reads nil until then.
func sessionsBucket(tx *bolt.Tx, write bool) (*bolt.Bucket, error) {
	if write {
		return tx.CreateBucketIfNotExists(bktSessions)
	}
	return tx.Bucket(bktSessions), nil
}

func (v *boltView) PutSession(ctx context.Context, s *Session) error {
	if err := CheckSession(s); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		b, err := sessionsBucket(tx, true)
		if err != nil {
			return err
		}
		return putJSON(b, "session", []byte(s.Key), s)
	})
}

func (v *boltView) GetSession(ctx context.Context, key string) (*Session, error) {
	if !isSHA256Hex(key) {
		return nil, fmt.Errorf("session: key is not a hex SHA-256: %w", ErrInvalid)
	}
	var out Session
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		b, _ := sessionsBucket(tx, false)
		ok := false
		if b != nil {
			var err error
			if ok, err = getJSON(b, "session", []byte(key), &out); err != nil {
				return err
			}
		}
		if !ok {
			return fmt.Errorf("session: %w", ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (v *boltView) ListSessions(ctx context.Context) ([]*Session, error) {
	var out []*Session
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		out = nil
		b, _ := sessionsBucket(tx, false)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, _ []byte) error {
			var s Session
			if _, err := getJSON(b, "session", k, &s); err != nil {
				return err
			}
			out = append(out, &s)
			return nil
		})
	})
	return out, err
}

func (v *boltView) DeleteSessions(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		b, err := sessionsBucket(tx, true)
		if err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (c *checker) checkSessions() {
	b := c.tx.Bucket(bktSessions)
	if b == nil {
		return
	}
	_ = b.ForEach(func(k, v []byte) error {
		var s Session
		if err := json.Unmarshal(v, &s); err != nil || s.Key != string(k) {
			c.addf("session: undecodable or mismatched key") // never the key
		} else if err := CheckSession(&s); err != nil {
			c.addf("%v", err)
		}
		return nil
	})
}
