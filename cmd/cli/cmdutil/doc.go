// Package cmdutil holds what every Gantry command shares: injected I/O
// streams, the stable exit codes (mapped from the Service's error codes),
// the Factory that builds the api.Service lazily (the only place under
// cmd/ that knows which implementation serves), the common flags (inputs,
// import rules, --json), event printing and Watch of a running execution.
package cmdutil
