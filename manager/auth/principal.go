package auth

import (
	"context"
	"fmt"
)

// Principal is who makes a request: the token's id and name and its role.
type Principal struct {
	TokenID string `json:"token_id,omitempty"`
	Name    string `json:"name"`
	Role    Role   `json:"role"`
}

// LocalName names the Local principal in the audit log.
const LocalName = "local"

// Local is whoever uses the store file directly (the embedded manager, or
// `gantry server tokens create` on the server's machine): an admin.
var Local = Principal{Name: LocalName, Role: RoleAdmin}

// String names the principal for messages: `token "ci" (id <id>)`.
func (p Principal) String() string {
	if p.TokenID == "" {
		return p.Name
	}
	return fmt.Sprintf("token %q (id %s)", p.Name, p.TokenID)
}

type ctxKey struct{}

// NewContext returns ctx carrying p; the server's middleware puts the
// authenticated principal there for the manager to read.
func NewContext(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the principal ctx carries; without one, Local and
// false (an in-process call).
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	if !ok {
		return Local, false
	}
	return p, true
}
