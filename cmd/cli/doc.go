// Package cli is Gantry's command tree (cobra), in the style of Cloudify's
// `cfy`: one sub-package per noun (blueprints, deployments, executions,
// events, node-instances, secrets) plus the install/uninstall shortcuts and
// status. Commands call only manager/api.Service, which the Factory builds
// (no package under cmd/ imports the store or the engine:
// boundary_test.go), read and write through injected IOStreams so that
// tests can drive them, every read command takes --json, and exit codes
// are stable (see cmdutil/exitcodes.go).
package cli
