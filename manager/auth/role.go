package auth

import (
	"fmt"

	"github.com/gantryhq/gantry/manager/api"
)

// Role is what a token may do.
type Role string

// The roles, from most to least powerful.
const (
	// RoleAdmin may do everything: tokens, the audit log, secret values.
	RoleAdmin Role = api.RoleAdmin
	// RoleOperator may change blueprints, deployments, executions and
	// secrets (by name: never read a secret's value).
	RoleOperator Role = api.RoleOperator
	// RoleViewer may read, never a secret's value.
	RoleViewer Role = api.RoleViewer
)

// Roles lists the roles from most to least powerful.
var Roles = []Role{RoleAdmin, RoleOperator, RoleViewer}

// rank orders the roles; an unknown role ranks 0 and is allowed nothing.
func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleOperator:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.rank() > 0 }

// Allows reports whether r may do what needs required (r is required or
// above). An unknown role allows nothing, and nothing allows an unknown
// required role.
func (r Role) Allows(required Role) bool {
	return r.Valid() && required.Valid() && r.rank() >= required.rank()
}

// ParseRole reads a role name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); r.Valid() {
		return r, nil
	}
	return "", fmt.Errorf("role %q: %w", s, ErrBadRole)
}

// Authorize allows p when its role is required or above; else an error
// wrapping api.ErrForbidden that names both roles.
func Authorize(p Principal, required Role) error {
	if p.Role.Allows(required) {
		return nil
	}
	return fmt.Errorf("%s has role %s, this needs %s: %w", p, p.Role, required, ErrRoleTooLow)
}
