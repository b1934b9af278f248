// Package cli is Gantry's command tree (cobra), in the style of Cloudify's
// `cfy`: one sub-package per noun (blueprints, deployments, executions,
// events, node-instances, secrets) plus the install/uninstall shortcuts.
// Commands read and write through injected IOStreams so that tests can drive
// them, every read command takes --json, and exit codes are stable (see
// exitcodes.go).
package cli
