package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// Auth checks tokens against a store, makes and revokes them, and writes
// the audit log. It is safe for concurrent use.
type Auth struct {
	st store.Store
	// Now is the clock (tests set it); default time.Now.
	Now func() time.Time
}

// New returns an Auth over st (the state of the server it guards).
func New(st store.Store) *Auth { return &Auth{st: st, Now: time.Now} }

// Authenticate returns the principal of a bearer token. A missing,
// malformed, unknown, wrong, revoked or expired token is an error wrapping
// api.ErrUnauthenticated; a store failure comes back as it is.
func (a *Auth) Authenticate(ctx context.Context, bearer string) (Principal, error) {
	if bearer == "" {
		return Principal{}, ErrNoToken
	}
	id, secret, ok := parseToken(bearer)
	if !ok {
		return Principal{}, ErrBadToken
	}
	t, err := a.token(ctx, id)
	if err != nil {
		return Principal{}, err
	}
	if !secretMatches(secret, t.Hash) {
		return Principal{}, ErrBadToken
	}
	return a.live(t)
}

// token reads the token record with id; ErrBadToken if there is none.
func (a *Auth) token(ctx context.Context, id string) (*store.Token, error) {
	t, err := a.st.GetToken(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	return t, nil
}

// principalOf is the principal of the token with id, when that token is
// still live (a console session's check, the secret having been checked
// at sign-in).
func (a *Auth) principalOf(ctx context.Context, id string) (Principal, error) {
	t, err := a.token(ctx, id)
	if err != nil {
		return Principal{}, err
	}
	return a.live(t)
}

// live is t's principal unless t is revoked, expired or of no known role.
func (a *Auth) live(t *store.Token) (Principal, error) {
	// Only the token's holder learns that it was revoked or expired.
	p := Principal{TokenID: t.ID, Name: t.Name, Role: Role(t.Role)}
	switch {
	case !t.RevokedAt.IsZero():
		return Principal{}, fmt.Errorf("%s: %w", p, ErrRevoked)
	case !t.ExpiresAt.IsZero() && !a.Now().Before(t.ExpiresAt):
		return Principal{}, fmt.Errorf("%s expired at %s: %w", p, t.ExpiresAt.UTC().Format(time.RFC3339), ErrExpired)
	case !p.Role.Valid():
		return Principal{}, fmt.Errorf("%s has unknown role %q: %w", p, t.Role, ErrBadToken)
	}
	return p, nil
}

// CreateToken makes a token for name with role, expiring after ttl (0:
// never), created by by. It returns the record (without its hash) and the
// token itself: the only time anyone sees it.
func (a *Auth) CreateToken(ctx context.Context, by Principal, name string, role Role, ttl time.Duration) (*store.Token, string, error) {
	if !role.Valid() {
		return nil, "", fmt.Errorf("role %q: %w", role, ErrBadRole)
	}
	if ttl < 0 {
		return nil, "", fmt.Errorf("ttl %s: %w", ttl, ErrBadTTL)
	}
	id, secret, err := newToken()
	if err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	now := a.Now().UTC()
	t := &store.Token{ID: id, Name: name, Role: string(role), Hash: hashSecret(secret),
		CreatedBy: by.String(), CreatedAt: now}
	if ttl > 0 {
		t.ExpiresAt = now.Add(ttl)
	}
	if err := a.st.CreateToken(ctx, t); err != nil {
		return nil, "", err
	}
	t.Hash = ""
	return t, formatToken(id, secret), nil
}

// ListTokens returns every token without hashes, ordered by id.
func (a *Auth) ListTokens(ctx context.Context) ([]*store.Token, error) {
	return a.st.ListTokens(ctx)
}

// RevokeToken revokes the token with id (its "gtk_" prefix may be given)
// and ends its console sessions; the next request with it is refused. A
// whole token is refused unread.
func (a *Auth) RevokeToken(ctx context.Context, id string) (*store.Token, error) {
	id = strings.TrimPrefix(id, tokenPrefix)
	if strings.Contains(id, "_") {
		return nil, ErrNotAnID
	}
	t, err := a.st.RevokeToken(ctx, id)
	if err != nil {
		return nil, err
	}
	return t, endSessions(ctx, a.st, id)
}

// Outcome is how an audit record tells the end of an action: "ok" or the
// error's stable code.
func Outcome(err error) string {
	if err == nil {
		return OutcomeOK
	}
	return string(api.CodeOf(err))
}

// OutcomeOK is the outcome of an action that succeeded.
const OutcomeOK = "ok"

// Audit records that p did action (e.g. "deployments.create") to target
// with outcome (see Outcome) from remote (the client's address, "" in
// process).
func (a *Auth) Audit(ctx context.Context, p Principal, action, target, outcome, remote string) error {
	return a.st.AppendAudit(ctx, &store.AuditRecord{
		Time: a.Now().UTC(), TokenID: p.TokenID, Principal: p.Name, Role: string(p.Role),
		Action: action, Target: target, Outcome: outcome, Remote: remote,
	})
}

// ListAudit returns up to limit (<= 0: all) audit records after afterSeq.
func (a *Auth) ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*store.AuditRecord, error) {
	return a.st.ListAudit(ctx, afterSeq, limit)
}
