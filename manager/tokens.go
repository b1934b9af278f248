package manager

import (
	"context"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/store"
)

// Audit actions of the token use cases (the server's middleware names the
// rest after the CLI's commands the same way: "<noun>.<verb>").
const (
	actionTokenCreate = "tokens.create"
	actionTokenRevoke = "tokens.revoke"
)

// CreateToken makes a token (see api.Service).
func (m *Manager) CreateToken(ctx context.Context, req api.CreateTokenRequest) (*api.CreatedToken, error) {
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		return nil, err
	}
	var out *api.CreatedToken
	err = m.tokenChange(ctx, actionTokenCreate, func(a *auth.Auth, p auth.Principal) (string, error) {
		t, bearer, err := a.CreateToken(ctx, p, req.Name, role, req.TTL)
		if err != nil {
			return "", err
		}
		out = &api.CreatedToken{Token: t, Bearer: bearer}
		return t.ID, nil
	})
	return out, err
}

// RevokeToken revokes a token (see api.Service).
func (m *Manager) RevokeToken(ctx context.Context, id string) (*api.Token, error) {
	var out *api.Token
	err := m.tokenChange(ctx, actionTokenRevoke, func(a *auth.Auth, _ auth.Principal) (string, error) {
		t, err := a.RevokeToken(ctx, id)
		out = t
		if err != nil {
			return "", err
		}
		return t.ID, nil
	})
	return out, err
}

// tokenChange runs change in one store transaction by the principal of
// ctx. Made in process (no principal in ctx: the store's owner, e.g. the
// first admin token) the change is audited here, as principal "local", in
// the same transaction; made through the server, its middleware audits
// the request.
func (m *Manager) tokenChange(ctx context.Context, action string, change func(*auth.Auth, auth.Principal) (target string, err error)) error {
	p, viaServer := auth.FromContext(ctx)
	return m.st.Batch(ctx, func(s store.Store) error {
		a := auth.New(s)
		target, err := change(a, p)
		if err != nil || viaServer {
			return err
		}
		return a.Audit(ctx, p, action, target, auth.OutcomeOK, "")
	})
}

// ListTokens lists tokens without secrets or hashes.
func (m *Manager) ListTokens(ctx context.Context) ([]*api.Token, error) {
	return auth.New(m.st).ListTokens(ctx)
}

// ListAudit reads the audit log.
func (m *Manager) ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*api.AuditRecord, error) {
	return auth.New(m.st).ListAudit(ctx, afterSeq, limit)
}
