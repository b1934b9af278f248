// Package cmdutil holds what every Gantry command shares: injected I/O
// streams, the stable exit codes, the Factory that opens the store lazily,
// and the common flags (inputs, import rules, --json).
package cmdutil
