package manager

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
)

// TestTokensInProcess: the store's owner makes and revokes tokens (the
// first admin token is made so); each change is audited as "local".
// Through the server (a principal in ctx) the middleware audits instead.
func TestTokensInProcess(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	created, err := m.CreateToken(ctx, api.CreateTokenRequest{Name: "root", Role: api.RoleAdmin, TTL: time.Hour})
	require.NoError(t, err)
	assert.Regexp(t, `^gtk_`+created.Token.ID+`_[0-9a-f]{64}$`, created.Bearer)
	assert.Empty(t, created.Token.Hash)
	assert.Equal(t, created.Token.CreatedAt.Add(time.Hour), created.Token.ExpiresAt)

	p, err := auth.New(m.st).Authenticate(ctx, created.Bearer)
	require.NoError(t, err)
	assert.Equal(t, auth.RoleAdmin, p.Role)

	// Made by an admin through the server: created_by names that token.
	viaServer := auth.NewContext(ctx, p)
	op, err := m.CreateToken(viaServer, api.CreateTokenRequest{Name: "ci", Role: api.RoleOperator})
	require.NoError(t, err)
	assert.Equal(t, p.String(), op.Token.CreatedBy)
	assert.True(t, op.Token.ExpiresAt.IsZero())

	_, err = m.CreateToken(ctx, api.CreateTokenRequest{Name: "x", Role: "root"})
	assert.ErrorIs(t, err, api.ErrInvalid)

	rev, err := m.RevokeToken(ctx, op.Token.ID)
	require.NoError(t, err)
	assert.False(t, rev.RevokedAt.IsZero())
	_, err = auth.New(m.st).Authenticate(ctx, op.Bearer)
	assert.ErrorIs(t, err, api.ErrUnauthenticated)
	_, err = m.RevokeToken(ctx, "0123456789abcdef")
	assert.ErrorIs(t, err, api.ErrNotFound)

	list, err := m.ListTokens(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	for _, tok := range list {
		assert.Empty(t, tok.Hash)
	}

	recs, err := m.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	require.Len(t, recs, 2, "the in-process changes, not the one through the server nor the failures")
	assert.Equal(t, []string{"tokens.create", "tokens.revoke"}, []string{recs[0].Action, recs[1].Action})
	assert.Equal(t, []string{created.Token.ID, op.Token.ID}, []string{recs[0].Target, recs[1].Target})
	for _, r := range recs {
		assert.Equal(t, auth.LocalName, r.Principal)
		assert.Equal(t, api.RoleAdmin, r.Role)
		assert.Equal(t, auth.OutcomeOK, r.Outcome)
	}
}
