// Package workflow turns a deployment plan into a task graph (one builder per
// workflow: install, uninstall, execute_operation, scale, heal) and walks it
// with bounded parallelism, retries, cancel and resume, dispatching operations
// to plugins and persisting every state change in the store.
package workflow
