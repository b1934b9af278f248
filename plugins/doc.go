// Package plugins defines what an operation plugin is and holds the
// registry of built-in plugins.
//
// A Plugin receives a Context for each attempt of an operation: the
// deployment and execution ids, the node template and node instance (plus
// the source and target for relationship operations), the operation and its
// evaluated inputs, the instance's RuntimeProperties (read and write), a
// Logger whose lines become execution events, the blueprint folder and a
// secrets lookup. It returns a result value or an error the engine
// classifies: NonRecoverable errors fail at once, Retry asks for another
// attempt after a delay, and any other error is retried while retries
// remain.
//
// Each built-in plugin lives in its own sub-package (script, ssh,
// kubernetes, proxy) and is added to a Registry by the program that wires
// the engine. This package never imports the workflow engine.
package plugins
