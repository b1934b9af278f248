package server

import (
	"context"

	"github.com/gantryhq/gantry/manager/auth"
)

// Authenticator tells who holds a bearer token. Its error wraps
// api.ErrUnauthenticated when the token is missing, wrong, revoked or
// expired. *auth.Auth is one.
type Authenticator interface {
	Authenticate(ctx context.Context, bearer string) (auth.Principal, error)
}

// Auditor records that a principal did an action to a target, with its
// outcome ("ok" or the error's code) and the client's address. *auth.Auth
// is one.
type Auditor interface {
	Audit(ctx context.Context, p auth.Principal, action, target, outcome, remote string) error
}

// Public is the Role of the routes anyone may call (health, openapi).
const Public auth.Role = ""
