package auth

import (
	"fmt"

	"github.com/gantryhq/gantry/manager/api"
)

// Sentinels, each wrapping the boundary's sentinel (errors.Is works with
// either).
var (
	// ErrNoToken: the request carries no token.
	ErrNoToken = fmt.Errorf("no token (give one with --token-file, GANTRY_TOKEN or a profile): %w", api.ErrUnauthenticated)
	// ErrBadToken: the token is malformed, unknown or its secret is wrong;
	// one answer for all three, so a caller learns nothing from it.
	ErrBadToken = fmt.Errorf("token not recognised: %w", api.ErrUnauthenticated)
	// ErrRevoked: the token was revoked.
	ErrRevoked = fmt.Errorf("token revoked: %w", api.ErrUnauthenticated)
	// ErrExpired: the token's --ttl has passed.
	ErrExpired = fmt.Errorf("token expired: %w", api.ErrUnauthenticated)
	// ErrRoleTooLow: the principal's role is below the one required.
	ErrRoleTooLow = fmt.Errorf("role too low: %w", api.ErrForbidden)
	// ErrBadRole: a role name that is not admin, operator or viewer.
	ErrBadRole = fmt.Errorf("unknown role (one of admin, operator, viewer): %w", api.ErrInvalid)
	// ErrBadTTL: a negative --ttl.
	ErrBadTTL = fmt.Errorf("ttl must be positive: %w", api.ErrInvalid)
	// ErrNotAnID: a whole token where its id was asked for (a token never
	// belongs on a command line; the error does not repeat it).
	ErrNotAnID = fmt.Errorf("give the token's id (gantry server tokens list), not the token: %w", api.ErrInvalid)
	// ErrNoSession: a console session cookie that names no live session
	// (unknown, signed out, idle too long or too old): sign in again.
	ErrNoSession = fmt.Errorf("no console session (signed out or expired): sign in again: %w", api.ErrUnauthenticated)
	// ErrCSRF: a write made with a session cookie without the session's
	// CSRF token in its header.
	ErrCSRF = fmt.Errorf("missing or wrong CSRF token (header %s) on a write made with a session cookie: %w", CSRFHeader, api.ErrForbidden)
)
