package auth_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
)

func TestSessionsLifetime(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ss := auth.NewSessions(auth.SessionOptions{Idle: time.Hour, Max: 3 * time.Hour, Now: func() time.Time { return now }})
	p := auth.Principal{TokenID: "0123456789abcdef", Name: "ops", Role: auth.RoleOperator}
	s, err := ss.Create(p, "gtk_token")
	require.NoError(t, err)
	assert.Len(t, s.ID, 64, "256-bit id")
	assert.Len(t, s.CSRF, 64, "256-bit CSRF token")
	assert.NotEqual(t, s.ID, s.CSRF)

	got, err := ss.Get(s.ID)
	require.NoError(t, err)
	assert.Equal(t, p, got.Principal)
	assert.Equal(t, "gtk_token", got.Token())

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
	now = now.Add(50 * time.Minute)
	_, err = ss.Get(s.ID)
	require.NoError(t, err)
	now = now.Add(61 * time.Minute)
	_, err = ss.Get(s.ID)
	assert.ErrorIs(t, err, auth.ErrNoSession)
	assert.True(t, errors.Is(err, api.ErrUnauthenticated))

	// However busy, it ends Max after sign-in.
	s2, err := ss.Create(p, "gtk_token")
	require.NoError(t, err)
	for i := 0; i < 5; i++ {
		now = now.Add(30 * time.Minute)
		_, err = ss.Get(s2.ID)
		require.NoError(t, err)
	}
	now = now.Add(30 * time.Minute)
	_, err = ss.Get(s2.ID)
	assert.ErrorIs(t, err, auth.ErrNoSession)

	// Signed out: gone. Unknown and oversized ids: no session.
	s3, err := ss.Create(p, "gtk_token")
	require.NoError(t, err)
	ss.Delete(s3.ID)
	for _, id := range []string{s3.ID, "", "nope", string(make([]byte, 1000))} {
		_, err = ss.Get(id)
		assert.ErrorIs(t, err, auth.ErrNoSession)
	}
}

func TestSessionsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	ss := auth.NewSessions(auth.SessionOptions{Limit: 3, Now: func() time.Time { return now }})
	var ids []string
	for i := 0; i < 3; i++ {
		s, err := ss.Create(auth.Principal{Name: "v", Role: auth.RoleViewer}, "t")
		require.NoError(t, err)
		ids = append(ids, s.ID)
		now = now.Add(time.Second)
	}
	_, err := ss.Get(ids[0]) // the first is now the most recently used
	require.NoError(t, err)
	_, err = ss.Create(auth.Principal{Name: "v", Role: auth.RoleViewer}, "t")
	require.NoError(t, err)
	assert.Equal(t, 3, ss.Len())
	_, err = ss.Get(ids[1])
	assert.ErrorIs(t, err, auth.ErrNoSession, "the least recently used session made room")
	_, err = ss.Get(ids[0])
	assert.NoError(t, err)
}
