package server

import (
	"context"
	"net/http"
)

// Role is what a principal may do. Roles are ordered: each includes the
// ones before it.
type Role string

// The roles, and RolePublic for the routes anyone may call.
const (
	RolePublic   Role = ""
	RoleViewer   Role = "viewer"   // reads, never a secret's value
	RoleOperator Role = "operator" // blueprints, deployments, executions, secrets by name
	RoleAdmin    Role = "admin"    // everything, secret values, tokens, audit
)

// Roles lists the roles from least to most powerful.
var Roles = []Role{RoleViewer, RoleOperator, RoleAdmin}

func (r Role) rank() int {
	for i, k := range Roles {
		if r == k {
			return i + 1
		}
	}
	return 0
}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether a principal of role r may call a route needing need.
func (r Role) Allows(need Role) bool { return need == RolePublic || (r.Valid() && r.rank() >= need.rank()) }

// Principal is who calls.
type Principal struct {
	Name string
	Role Role
}

// Authenticator tells who sent a request (from its bearer token). Its
// error wraps api.ErrUnauthenticated when the credentials are missing,
// wrong, revoked or expired.
type Authenticator interface {
	Authenticate(r *http.Request) (Principal, error)
}

// Auditor records a mutation: who did what to which target. It must not
// fail the request (it logs its own failures).
type Auditor interface {
	Audit(ctx context.Context, p Principal, action, target string)
}
