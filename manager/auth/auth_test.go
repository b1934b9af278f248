package auth_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
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

func openStore(t *testing.T) store.Store {
	t.Helper()
	s, err := store.OpenBolt(filepath.Join(t.TempDir(), "gantry.db"), store.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// tokens makes one token per case on a real store, with a clock the test
// moves.
type fixture struct {
	st    store.Store
	a     *auth.Auth
	clock time.Time
}

func newFixture(t *testing.T) *fixture {
	f := &fixture{st: openStore(t), clock: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	f.a = auth.New(f.st)
	f.a.Now = func() time.Time { return f.clock }
	return f
}

func (f *fixture) token(t *testing.T, name string, role auth.Role, ttl time.Duration) (*store.Token, string) {
	t.Helper()
	rec, bearer, err := f.a.CreateToken(context.Background(), auth.Local, name, role, ttl)
	require.NoError(t, err)
	return rec, bearer
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	_, admin := f.token(t, "root", auth.RoleAdmin, 0)
	_, op := f.token(t, "ci", auth.RoleOperator, time.Hour)
	_, viewer := f.token(t, "dash", auth.RoleViewer, 0)
	revokedRec, revoked := f.token(t, "old", auth.RoleAdmin, 0)
	_, err := f.a.RevokeToken(ctx, revokedRec.ID)
	require.NoError(t, err)
	_, expired := f.token(t, "short", auth.RoleAdmin, time.Minute)
	f.clock = f.clock.Add(time.Minute) // exactly at expiry: expired

	id, secret, _ := strings.Cut(strings.TrimPrefix(admin, "gtk_"), "_")
	_, other := f.token(t, "other", auth.RoleViewer, 0)
	otherSecret := other[strings.LastIndex(other, "_")+1:]
	flip := func(s string) string { // same length, last digit changed
		last := s[len(s)-1]
		if last == '0' {
			return s[:len(s)-1] + "1"
		}
		return s[:len(s)-1] + "0"
	}

	tests := []struct {
		name     string
		bearer   string
		wantErr  error
		wantName string
		wantRole auth.Role
	}{
		{"admin", admin, nil, "root", auth.RoleAdmin},
		{"operator before expiry", op, nil, "ci", auth.RoleOperator},
		{"viewer", viewer, nil, "dash", auth.RoleViewer},
		{"no token", "", auth.ErrNoToken, "", ""},
		{"not a gantry token", "hunter2", auth.ErrBadToken, "", ""},
		{"no secret", "gtk_" + id, auth.ErrBadToken, "", ""},
		{"unknown id", "gtk_0123456789abcdef_" + secret, auth.ErrBadToken, "", ""},
		{"wrong secret", "gtk_" + id + "_" + flip(secret), auth.ErrBadToken, "", ""},
		{"another token's secret", "gtk_" + id + "_" + otherSecret, auth.ErrBadToken, "", ""},
		{"short secret", "gtk_" + id + "_" + secret[:10], auth.ErrBadToken, "", ""},
		{"uppercase", strings.ToUpper(admin), auth.ErrBadToken, "", ""},
		{"huge", "gtk_" + id + "_" + strings.Repeat("a", 1<<20), auth.ErrBadToken, "", ""},
		{"revoked", revoked, auth.ErrRevoked, "", ""},
		{"expired", expired, auth.ErrExpired, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := f.a.Authenticate(ctx, tc.bearer)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				assert.ErrorIs(t, err, api.ErrUnauthenticated)
				assert.Equal(t, api.CodeUnauthenticated, api.CodeOf(err))
				assert.Equal(t, auth.Principal{}, p)
				if tc.bearer != "" {
					_, sec, _ := strings.Cut(strings.TrimPrefix(tc.bearer, "gtk_"), "_")
					if sec != "" {
						assert.NotContains(t, err.Error(), sec, "errors never show the secret")
					}
				}
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantName, p.Name)
			assert.Equal(t, tc.wantRole, p.Role)
			assert.NotEmpty(t, p.TokenID)
		})
	}

	// The operator's token expires too, an hour after its creation.
	f.clock = f.clock.Add(time.Hour)
	_, err = f.a.Authenticate(ctx, op)
	assert.ErrorIs(t, err, auth.ErrExpired)
}

func TestAuthorize(t *testing.T) {
	admin := auth.Principal{TokenID: "a", Name: "root", Role: auth.RoleAdmin}
	op := auth.Principal{TokenID: "o", Name: "ci", Role: auth.RoleOperator}
	viewer := auth.Principal{TokenID: "v", Name: "dash", Role: auth.RoleViewer}
	bogus := auth.Principal{TokenID: "b", Name: "x", Role: "root"}
	tests := []struct {
		p        auth.Principal
		required auth.Role
		allowed  bool
	}{
		{admin, auth.RoleAdmin, true},
		{admin, auth.RoleOperator, true},
		{admin, auth.RoleViewer, true},
		{op, auth.RoleAdmin, false},
		{op, auth.RoleOperator, true},
		{op, auth.RoleViewer, true},
		{viewer, auth.RoleAdmin, false},
		{viewer, auth.RoleOperator, false},
		{viewer, auth.RoleViewer, true},
		{bogus, auth.RoleViewer, false},
		{admin, "superuser", false},
		{auth.Principal{}, auth.RoleViewer, false},
		{auth.Local, auth.RoleAdmin, true},
	}
	for _, tc := range tests {
		t.Run(string(tc.p.Role)+"/"+string(tc.required), func(t *testing.T) {
			err := auth.Authorize(tc.p, tc.required)
			if tc.allowed {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, api.ErrForbidden)
			assert.Equal(t, api.CodeForbidden, api.CodeOf(err))
			assert.Contains(t, err.Error(), string(tc.required), "names the role needed")
		})
	}
}

func TestTokensStoredHashedAndShownOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rec, bearer := f.token(t, "ci", auth.RoleOperator, 0)
	require.Regexp(t, `^gtk_[0-9a-f]{16}_[0-9a-f]{64}$`, bearer)
	secret := bearer[strings.LastIndex(bearer, "_")+1:]
	assert.Empty(t, rec.Hash, "the record returned carries no hash")
	assert.Equal(t, "local", rec.CreatedBy)

	stored, err := f.st.GetToken(ctx, rec.ID)
	require.NoError(t, err)
	sum := sha256.Sum256([]byte(secret))
	assert.Equal(t, hex.EncodeToString(sum[:]), stored.Hash, "the store keeps the SHA-256 of the secret")
	assert.NotContains(t, stored.Hash, secret)

	list, err := f.a.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Empty(t, list[0].Hash)

	// Secrets are fresh each time.
	_, again := f.token(t, "ci", auth.RoleOperator, 0)
	assert.NotEqual(t, bearer, again)

	_, _, err = f.a.CreateToken(ctx, auth.Local, "x", "superuser", 0)
	assert.ErrorIs(t, err, auth.ErrBadRole)
	_, _, err = f.a.CreateToken(ctx, auth.Local, "x", auth.RoleViewer, -time.Second)
	assert.ErrorIs(t, err, auth.ErrBadTTL)
	_, _, err = f.a.CreateToken(ctx, auth.Local, "", auth.RoleViewer, 0)
	assert.ErrorIs(t, err, api.ErrInvalid, "a name is required")

	// Revoking by the whole token is refused without repeating it.
	_, err = f.a.RevokeToken(ctx, bearer)
	require.ErrorIs(t, err, auth.ErrNotAnID)
	assert.NotContains(t, err.Error(), secret)
	r, err := f.a.RevokeToken(ctx, "gtk_"+rec.ID)
	require.NoError(t, err)
	assert.False(t, r.RevokedAt.IsZero())
	_, err = f.a.RevokeToken(ctx, "0000000000000000")
	assert.ErrorIs(t, err, api.ErrNotFound)
}

func TestAudit(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	p := auth.Principal{TokenID: "abc", Name: "ci", Role: auth.RoleOperator}
	require.NoError(t, f.a.Audit(ctx, p, "deployments.create", "web", auth.Outcome(nil), "127.0.0.1:4242"))
	require.NoError(t, f.a.Audit(ctx, p, "secrets.get", "db", auth.Outcome(auth.Authorize(p, auth.RoleAdmin)), ""))
	require.NoError(t, f.a.Audit(ctx, p, "deployments.delete", "x", auth.Outcome(errors.New("disk on fire")), ""))
	recs, err := f.a.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, store.AuditRecord{Seq: 1, Time: f.clock, TokenID: "abc", Principal: "ci", Role: "operator",
		Action: "deployments.create", Target: "web", Outcome: "ok", Remote: "127.0.0.1:4242"}, *recs[0])
	assert.Equal(t, "forbidden", recs[1].Outcome)
	assert.Equal(t, "internal", recs[2].Outcome)
}

func TestPrincipalContext(t *testing.T) {
	p, ok := auth.FromContext(context.Background())
	assert.False(t, ok)
	assert.Equal(t, auth.Local, p)
	want := auth.Principal{TokenID: "abc", Name: "ci", Role: auth.RoleViewer}
	p, ok = auth.FromContext(auth.NewContext(context.Background(), want))
	assert.True(t, ok)
	assert.Equal(t, want, p)
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"", ""},
		{"Bearer gtk_a_b", "gtk_a_b"},
		{"bearer  gtk_a_b ", "gtk_a_b"},
		{"Basic dXNlcjpwYXNz", ""},
		{"Bearer", ""},
	} {
		r, err := http.NewRequest(http.MethodGet, "http://x/api/v1/deployments", nil)
		require.NoError(t, err)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		assert.Equal(t, tc.want, auth.BearerToken(r), "%q", tc.header)
	}
}
