package storetest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// testSessions: console sessions are stored under the hash of their id,
// replaced, listed in key order, deleted in one call (unknown keys
// ignored); an id, or anything not shaped like a SHA-256, is refused.
func testSessions(t *testing.T, s store.Store) {
	ctx := context.Background()
	at := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	a, b := hashOf("session-a"), hashOf("session-b")
	for _, k := range []string{b, a} {
		require.NoError(t, s.PutSession(ctx, &store.Session{Key: k, TokenID: "t1", CreatedAt: at, UsedAt: at}))
	}
	got, err := s.GetSession(ctx, a)
	require.NoError(t, err)
	assert.Equal(t, "t1", got.TokenID)
	assert.True(t, got.CreatedAt.Equal(at))

	later := at.Add(time.Hour)
	got.UsedAt = later
	require.NoError(t, s.PutSession(ctx, got), "replace")
	got, err = s.GetSession(ctx, a)
	require.NoError(t, err)
	assert.True(t, got.UsedAt.Equal(later), "used_at replaced")

	list, err := s.ListSessions(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, min(a, b), list[0].Key, "ordered by key")
	requireClean(t, s)

	require.NoError(t, s.DeleteSessions(ctx, a, hashOf("unknown")))
	_, err = s.GetSession(ctx, a)
	assert.ErrorIs(t, err, store.ErrNotFound)
	list, err = s.ListSessions(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, b, list[0].Key)

	for name, bad := range map[string]*store.Session{
		"a session id, not its hash": {Key: strings.Repeat("z", 64), TokenID: "t1", CreatedAt: at},
		"uppercase hex":              {Key: strings.ToUpper(a), TokenID: "t1", CreatedAt: at},
		"no token":                   {Key: a, CreatedAt: at},
		"no creation time":           {Key: a, TokenID: "t1"},
	} {
		assert.ErrorIs(t, s.PutSession(ctx, bad), store.ErrInvalid, name)
	}
	_, err = s.GetSession(ctx, "not-a-hash")
	assert.ErrorIs(t, err, store.ErrInvalid)
	requireClean(t, s)
}
