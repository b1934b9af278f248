package compose

import "errors"

// Sentinel errors of the Deployments interface.
var (
	// ErrExists is returned by CreateChild when the deployment exists and
	// was not created by this node instance.
	ErrExists = errors.New("deployment exists")
	// ErrNoBlueprint is returned by Deployments when a blueprint is not in the store.
	ErrNoBlueprint = errors.New("blueprint not found")
)
