package api

import (
	"time"

	"github.com/gantryhq/gantry/store"
)

// Records of `gantry server`'s access control (see manager/auth).
type (
	// Token is an API token as listed: never its secret nor its hash.
	Token = store.Token
	// AuditRecord is one entry of the audit log.
	AuditRecord = store.AuditRecord
)

// The roles a token may have, from most to least powerful (manager/auth
// orders them).
const (
	RoleAdmin    = "admin"
	RoleOperator = "operator"
	RoleViewer   = "viewer"
)

// CreateTokenRequest is `gantry server tokens create`.
type CreateTokenRequest struct {
	// Name says whose the token is (e.g. "ci-router"); shown in lists and
	// the audit log.
	Name string `json:"name"`
	// Role is admin, operator or viewer.
	Role string `json:"role"`
	// TTL makes the token expire that long after its creation (0: never).
	TTL time.Duration `json:"ttl_ns,omitempty"`
}

// CreatedToken is a new token: its record and, this one time, the token
// itself ("gtk_<id>_<secret>"). Nothing can show the token again.
type CreatedToken struct {
	Token  *Token `json:"token"`
	Bearer string `json:"bearer,omitempty"`
}
