package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/store"
)

func (f *fixture) principal(t *testing.T, role auth.Role) auth.Principal {
	t.Helper()
	_, bearer := f.token(t, "ops-"+string(role), role, 0)
	p, err := f.a.Authenticate(context.Background(), bearer)
	require.NoError(t, err)
	return p
}

func TestSessionsLifetime(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ss := f.a.Sessions(auth.SessionOptions{Idle: time.Hour, Max: 3 * time.Hour, Touch: time.Minute})
	p := f.principal(t, auth.RoleOperator)
	s, err := ss.Create(ctx, p)
	require.NoError(t, err)
	assert.Len(t, s.ID, 64, "256-bit id")
	assert.Len(t, s.CSRF, 64, "256-bit CSRF token")
	assert.NotEqual(t, s.ID, s.CSRF)

	got, err := ss.Get(ctx, s.ID)
	require.NoError(t, err)
	assert.Equal(t, p, got.Principal)
	assert.Equal(t, s.CSRF, got.CSRF, "the CSRF token is the session's, at every use")

	tests := []struct {
		name      string
		presented string
		wantErr   bool
	}{
		{"same", s.CSRF, false},
		{"missing", "", true},
		{"other", s.ID, true},
		{"prefix", s.CSRF[:10], true},
	}
	for _, tc := range tests {
		t.Run("csrf "+tc.name, func(t *testing.T) {
			err := got.CheckCSRF(tc.presented)
			if !tc.wantErr {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, auth.ErrCSRF)
			assert.ErrorIs(t, err, api.ErrForbidden)
		})
	}

	// Used within the idle time, it lives on; idle too long, it ends.
	f.clock = f.clock.Add(50 * time.Minute)
	_, err = ss.Get(ctx, s.ID)
	require.NoError(t, err)
	f.clock = f.clock.Add(61 * time.Minute)
	_, err = ss.Get(ctx, s.ID)
	assert.ErrorIs(t, err, auth.ErrNoSession)
	assert.True(t, errors.Is(err, api.ErrUnauthenticated))

	// However busy, it ends Max after sign-in.
	s2, err := ss.Create(ctx, p)
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		f.clock = f.clock.Add(30 * time.Minute)
		_, err = ss.Get(ctx, s2.ID)
		require.NoError(t, err)
	}
	f.clock = f.clock.Add(30 * time.Minute)
	_, err = ss.Get(ctx, s2.ID)
	assert.ErrorIs(t, err, auth.ErrNoSession)

	// Signed out: gone. Unknown and malformed ids: no session.
	s3, err := ss.Create(ctx, p)
	require.NoError(t, err)
	require.NoError(t, ss.Delete(ctx, s3.ID))
	for _, id := range []string{s3.ID, "", "nope", strings.Repeat("a", 64), strings.Repeat("z", 64), string(make([]byte, 1000))} {
		_, err = ss.Get(ctx, id)
		assert.ErrorIs(t, err, auth.ErrNoSession)
	}
	// Nothing expired is left behind once someone signs in again.
	_, err = ss.Create(ctx, p)
	require.NoError(t, err)
	all, err := f.st.ListSessions(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 1)
}

// TestSessionsKept: the store holds the hash of a session's id and its
// token's id, nothing a reader could sign in with; another Sessions on
// the same store file (a restarted server) finds the session, with the
// same CSRF token; revoking the token ends its sessions at once.
func TestSessionsKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	st, err := store.OpenBolt(path, store.Options{NoSync: true})
	require.NoError(t, err)
	a := auth.New(st)
	rec, bearer, err := a.CreateToken(ctx, auth.Local, "ops", auth.RoleOperator, 0)
	require.NoError(t, err)
	p, err := a.Authenticate(ctx, bearer)
	require.NoError(t, err)
	s, err := a.Sessions(auth.SessionOptions{}).Create(ctx, p)
	require.NoError(t, err)
	_, other, err := a.CreateToken(ctx, auth.Local, "other", auth.RoleViewer, 0)
	require.NoError(t, err)
	po, err := a.Authenticate(ctx, other)
	require.NoError(t, err)
	so, err := a.Sessions(auth.SessionOptions{}).Create(ctx, po)
	require.NoError(t, err)
	require.NoError(t, st.Close())

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	secret := bearer[strings.LastIndex(bearer, "_")+1:]
	for what, v := range map[string]string{"session id": s.ID, "CSRF token": s.CSRF, "token": secret} {
		assert.NotContains(t, string(raw), v, "the store holds no %s", what)
	}
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	st, err = store.OpenBolt(path, store.Options{NoSync: true})
	require.NoError(t, err)
	defer st.Close()
	a = auth.New(st)
	ss := a.Sessions(auth.SessionOptions{})
	got, err := ss.Get(ctx, s.ID)
	require.NoError(t, err, "the session outlives its process")
	assert.Equal(t, p, got.Principal)
	assert.Equal(t, s.CSRF, got.CSRF)

	_, err = a.RevokeToken(ctx, rec.ID)
	require.NoError(t, err)
	all, err := st.ListSessions(ctx)
	require.NoError(t, err)
	require.Len(t, all, 1, "revoking the token deleted its session, not the other's")
	_, err = ss.Get(ctx, s.ID)
	assert.ErrorIs(t, err, auth.ErrNoSession)
	_, err = ss.Get(ctx, so.ID)
	assert.NoError(t, err)
}

func TestSessionsBounded(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ss := f.a.Sessions(auth.SessionOptions{Limit: 3, Touch: time.Nanosecond})
	p := f.principal(t, auth.RoleViewer)
	var ids []string
	for i := 0; i < 3; i++ {
		s, err := ss.Create(ctx, p)
		require.NoError(t, err)
		ids = append(ids, s.ID)
		f.clock = f.clock.Add(time.Second)
	}
	_, err := ss.Get(ctx, ids[0]) // the first is now the most recently used
	require.NoError(t, err)
	_, err = ss.Create(ctx, p)
	require.NoError(t, err)
	all, err := f.st.ListSessions(ctx)
	require.NoError(t, err)
	assert.Len(t, all, 3)
	_, err = ss.Get(ctx, ids[1])
	assert.ErrorIs(t, err, auth.ErrNoSession, "the least recently used session made room")
	_, err = ss.Get(ctx, ids[0])
	assert.NoError(t, err)
}
