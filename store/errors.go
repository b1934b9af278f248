package store

import "errors"

// Sentinel errors. Every error a Store returns wraps at most one of these,
// together with the kind and id of the record concerned, e.g.
// `deployment "web": not found`. Branch with errors.Is.
var (
	// ErrNotFound: the record (or the record it belongs to) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with that id already exists.
	ErrExists = errors.New("already exists")
	// ErrConflict: the record changed since it was read (version mismatch),
	// or its state forbids the change (e.g. cancelling an ended execution).
	ErrConflict = errors.New("conflict")
	// ErrInUse: the record is still referenced (a blueprint by deployments,
	// a deployment by running executions or by dependent deployments).
	ErrInUse = errors.New("in use")
	// ErrLocked: another process holds the store file and did not release it
	// within the lock timeout.
	ErrLocked = errors.New("store is locked")
	// ErrInvalid: the caller passed a malformed record or argument.
	ErrInvalid = errors.New("invalid")
	// ErrTooLarge: a blueprint archive exceeds the size limit.
	ErrTooLarge = errors.New("too large")
	// ErrDamaged: the store file is damaged (truncated, overwritten, not a
	// store at all): the message names the file, what is wrong and how to
	// restore it. Nothing is written to a damaged file.
	ErrDamaged = errors.New("store is damaged")
	// ErrSecretKey: the key that encrypts secret values at rest is
	// missing, malformed, readable by others, or not the one a value was
	// encrypted with (see docs/security.md, "State file at rest").
	ErrSecretKey = errors.New("secret key problem")
	// ErrClaimed: another process (or another run of this one) holds the
	// execution's claim (see Claimer).
	ErrClaimed = errors.New("execution is claimed")
	// ErrClaimLost: a write through a claim's Writer was refused because
	// the claim is no longer the writer's (its lease expired and another
	// process may run the execution now): nothing was written.
	ErrClaimLost = errors.New("claim lost")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("store is closed")
	// ErrUnavailable: the store did not answer (no leader, the leader
	// changed, a member went away, the connection was lost, the call's
	// time ran out): a passing condition, not a refusal. A write may or
	// may not have been applied; the caller may try again.
	ErrUnavailable = errors.New("unavailable")
)
