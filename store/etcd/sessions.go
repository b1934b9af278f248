package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/gantryhq/gantry/store"
)

func (v *view) PutSession(ctx context.Context, s *store.Session) error {
	if err := store.CheckSession(s); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error { return t.put("session", v.k.session(s.Key), s) })
}

func (v *view) GetSession(ctx context.Context, key string) (*store.Session, error) {
	if err := checkSessionKey(key); err != nil {
		return nil, err
	}
	var out store.Session
	err := v.run(ctx, func(t *tx) error {
		ok, err := t.get(ctx, "session", v.k.session(key), &out)
		if err == nil && !ok {
			err = fmt.Errorf("session: %w", store.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (v *view) ListSessions(ctx context.Context) ([]*store.Session, error) {
	var out []*store.Session
	err := v.run(ctx, func(t *tx) error { return listJSON(ctx, t, "session", v.k.all(kindSession), &out) })
	return out, err
}

func (v *view) DeleteSessions(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	return v.run(ctx, func(t *tx) error {
		for _, k := range keys {
			t.del(v.k.session(k))
		}
		return nil
	})
}

// checkSessionKey refuses a key that is not a hex SHA-256 before it is read.
func checkSessionKey(key string) error {
	return store.CheckSession(&store.Session{Key: key, TokenID: "x", CreatedAt: store.Now()})
}

func (c *checker) checkSessions() {
	for k, v := range c.by[kindSession] {
		var s store.Session
		if err := json.Unmarshal(v, &s); err != nil || s.Key != k {
			c.addf("session: undecodable or mismatched key") // never the key
		} else if err := store.CheckSession(&s); err != nil {
			c.addf("%v", err)
		}
	}
}
