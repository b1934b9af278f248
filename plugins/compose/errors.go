package compose

import "errors"

// Sentinel errors of the Deployments interface.
var (
	// ErrExists is returned by CreateChild when the deployment exists and
	// was not created by this node instance, and by CreateSecret when the
	// secret exists.
	ErrExists = errors.New("already exists")
	// ErrInUse is returned by DeleteBlueprint while deployments use the
	// blueprint (the error names them).
	ErrInUse = errors.New("in use")
	// ErrNoBlueprint is returned by Deployments when a blueprint is not in the store.
	ErrNoBlueprint = errors.New("blueprint not found")
)
