// Package manager is what `cfy`'s manager was: the in-process
// implementation of the service boundary (manager/api.Service). It owns
// the use cases that span the store, the language and the engine:
// uploading a blueprint (validate, archive its files), creating a
// deployment (plan against the archived copy), install and uninstall as a
// whole, running, resuming and cancelling executions (the workflow engine
// over a store-backed State), following their events, evaluating outputs
// and capabilities from runtime state, secrets, and the inter-deployment
// dependencies that DeploymentProxy nodes create.
//
// The composition plugin (plugins/compose: Component, SharedResource) reaches
// other deployments only through composeDeployments: a child's executions
// run in the process that runs the parent's operation (never queued), and
// an uninstall it starts passes the dependency its own parent recorded.
// Uploads and plans resolve `NS--blueprint:ID` imports from the store,
// each stored blueprint extracted into a private folder removed after.
//
// Contracts:
//   - *Manager implements api.Service; errors wrap the api sentinels
//     (the store's and the engine's are the same values).
//   - An execution this process starts is an api.Run (*Running): a
//     goroutine follows the engine, refreshes the record and runs what
//     follows a successful workflow (after uninstall, deleting the
//     deployment and its unused blueprint), whether or not anyone waits.
//     It outlives the context that started it.
//   - A scale's or a deployment update's switch (the deployment taking
//     the modification) is written in the store transaction that records
//     the execution terminated (switch.go): both or neither, whatever kills
//     the process; the deployment record names the execution that
//     switched it last (ModifiedBy).
//   - Reads of executions (GetExecution, ListExecutions, FollowEvents) and
//     the starts reap: an active execution whose gantry process is gone
//     is marked failed (interrupted), or cancelled if a cancel was asked,
//     and can be resumed; terminated if it is a modification whose switch
//     the deployment holds. FollowEvents therefore always ends.
//   - Engine events reach Config.OnEvent (every execution) and
//     ExecOptions.OnEvent (one run) in the stored form (api.Event), from
//     the engine's goroutines.
//   - MigrateStore copies every record into another store (bbolt <->
//     etcd) from one Batch of the source, only once every execution has
//     ended, into an empty destination (or one without a record of the
//     same id), then counts and checks the destination.
//   - OpenLocal opens the bbolt store and owns it (Close closes it); New
//     takes a store the caller owns.
//
// The CLI reaches this package only through api.Service (cmd/cli/cmdutil's
// Factory builds it); tests and the e2e suite drive it directly.
package manager
