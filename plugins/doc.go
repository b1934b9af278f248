// Package plugins defines what an operation plugin is (an operation context
// with the node, the instance, its runtime properties, inputs, a logger and a
// way to ask for a retry) and holds the registry of built-in plugins.
// Each plugin lives in its own sub-package (script, ssh, kubernetes, proxy).
package plugins
