package api

import (
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// Sentinel errors of the boundary. Both implementations wrap exactly one of
// these, so callers branch with errors.Is whether the manager runs in
// process or behind a server. The store's and the engine's sentinels are
// the same values.
var (
	ErrNotFound = store.ErrNotFound
	ErrExists   = store.ErrExists
	ErrConflict = store.ErrConflict
	ErrInUse    = store.ErrInUse
	ErrLocked   = store.ErrLocked
	ErrInvalid  = store.ErrInvalid
	ErrTooLarge = store.ErrTooLarge
	// ErrSecretKey: the key of secret values at rest is missing, malformed
	// or not the one a value was encrypted with.
	ErrSecretKey = store.ErrSecretKey
	// ErrDamaged: the state store is damaged; the message says how to
	// restore it.
	ErrDamaged = store.ErrDamaged
	// ErrInvalidBlueprint wraps blueprint problems (see ProblemsError).
	ErrInvalidBlueprint = errors.New("invalid blueprint")
	// ErrActiveExecution: the deployment already runs an execution.
	ErrActiveExecution = errors.New("an execution is already running")
	// ErrDependents: other deployments depend on this one.
	ErrDependents = errors.New("other deployments depend on this one")
	// ErrNotResumable: Resume of an execution that ended well or is running.
	ErrNotResumable = errors.New("execution cannot be resumed")
	// ErrBadParameter: a workflow parameter is missing, undeclared or
	// malformed. The engine's sentinel: its checks and the manager's agree.
	ErrBadParameter = workflow.ErrBadParameter
	// ErrUnauthenticated: no token, or a wrong, revoked or expired one.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden: the token's role may not do this.
	ErrForbidden = errors.New("forbidden")
	// ErrUnavailable: the server could not be reached or is shutting down,
	// or the store did not answer (the store's sentinel): try again.
	ErrUnavailable = store.ErrUnavailable
)

// RestoreHint tells how to restore a damaged store file.
var RestoreHint = store.RestoreHint

// Code is an error's stable name on the wire (the REST API's "code").
type Code string

// The codes, one per sentinel.
const (
	CodeNotFound         Code = "not_found"
	CodeExists           Code = "already_exists"
	CodeConflict         Code = "conflict"
	CodeInUse            Code = "in_use"
	CodeLocked           Code = "locked"
	CodeInvalid          Code = "invalid"
	CodeTooLarge         Code = "too_large"
	CodeDamaged          Code = "store_damaged"
	CodeSecretKey        Code = "secret_key"
	CodeInvalidBlueprint Code = "invalid_blueprint"
	CodeActiveExecution  Code = "active_execution"
	CodeDependents       Code = "dependents"
	CodeNotResumable     Code = "not_resumable"
	CodeBadParameter     Code = "bad_parameter"
	CodeUnauthenticated  Code = "unauthenticated"
	CodeForbidden        Code = "forbidden"
	CodeUnavailable      Code = "unavailable"
	CodeInternal         Code = "internal"
)

// codes pairs every sentinel with its code, most specific first.
var codes = []struct {
	err  error
	code Code
}{
	{ErrInvalidBlueprint, CodeInvalidBlueprint},
	{ErrActiveExecution, CodeActiveExecution},
	{ErrDependents, CodeDependents},
	{ErrNotResumable, CodeNotResumable},
	{ErrBadParameter, CodeBadParameter},
	{ErrUnauthenticated, CodeUnauthenticated},
	{ErrForbidden, CodeForbidden},
	{ErrUnavailable, CodeUnavailable},
	{ErrNotFound, CodeNotFound},
	{ErrExists, CodeExists},
	{ErrConflict, CodeConflict},
	{ErrInUse, CodeInUse},
	{ErrLocked, CodeLocked},
	{ErrInvalid, CodeInvalid},
	{ErrTooLarge, CodeTooLarge},
	{ErrDamaged, CodeDamaged},
	{ErrSecretKey, CodeSecretKey},
}

// CodeOf returns the code of the sentinel err wraps (CodeInternal if none).
func CodeOf(err error) Code {
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return CodeInternal
}

// SentinelOf returns the sentinel for a code (nil for CodeInternal or an
// unknown code).
func SentinelOf(code Code) error {
	for _, c := range codes {
		if c.code == code {
			return c.err
		}
	}
	return nil
}

// Error is an error as the REST API sends it; it unwraps to its sentinel so
// that errors.Is works on the client as on the server.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Problems lists a blueprint's problems (CodeInvalidBlueprint).
	Problems *ProblemsError `json:"problems,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the sentinel of e's code, or the problems.
func (e *Error) Unwrap() error {
	if e.Problems != nil {
		return e.Problems
	}
	return SentinelOf(e.Code)
}

func (e *ProblemsError) Error() string {
	return fmt.Sprintf("%s: %d problem(s):\n%s", e.Path, len(e.Problems), e.Problems.Error())
}

// Unwrap makes a ProblemsError an ErrInvalidBlueprint.
func (e *ProblemsError) Unwrap() error { return ErrInvalidBlueprint }
