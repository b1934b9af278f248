// Package manager is what `cfy`'s manager was: it owns the use cases that
// span the store, the language and the engine. Uploading a blueprint
// (validate, archive its files), creating a deployment (plan against the
// archived copy), running, resuming and cancelling executions (the
// workflow engine over a store-backed State), evaluating outputs and
// capabilities from runtime state, and the inter-deployment dependencies
// that DeploymentProxy nodes create.
//
// The CLI is a thin layer over this package; tests drive it directly.
package manager
