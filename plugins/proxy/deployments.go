package proxy

import (
	"context"
	"errors"
)

// ErrNoDeployment is returned by Deployments when the deployment does not exist.
var ErrNoDeployment = errors.New("deployment not found")

// InstallStatus is what the proxy needs to know about the target's installs.
type InstallStatus struct {
	// Installed is true when the latest install/uninstall execution is an
	// install that terminated successfully.
	Installed bool
	// ExecutionID, Workflow and Status describe that latest execution ("" when none ran).
	ExecutionID string
	Workflow    string
	Status      string // pending, started, cancelling, cancelled, failed, terminated
	Error       string
}

// Deployments is the proxy's view of the other deployments. The manager
// implements it over the store.
type Deployments interface {
	// InstallStatus reports the deployment's install state, or ErrNoDeployment.
	InstallStatus(ctx context.Context, deploymentID string) (InstallStatus, error)
	// Outputs evaluates the deployment's outputs against its runtime state.
	Outputs(ctx context.Context, deploymentID string) (map[string]any, error)
	// Inputs returns the deployment's inputs.
	Inputs(ctx context.Context, deploymentID string) (map[string]any, error)
	// AddDependency records that deployment `from` (through node instance
	// `via`) depends on deployment `to`; RemoveDependency forgets it.
	AddDependency(ctx context.Context, from, via, to string) error
	RemoveDependency(ctx context.Context, from, via, to string) error
}
