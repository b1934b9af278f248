// Package workflow turns a deployment plan into a task graph and walks it.
//
// BuildGraph has one builder per workflow (install, uninstall,
// execute_operation, heal, scale, start, stop, restart, and custom
// workflows: one task running the workflow's script, whose ctx requests
// run operations through the same attempt code; custom.go), all made of
// the same parts: per-instance
// sequences of set_state and operation tasks, relationship operations
// grouped by adjacent target (groups in sequence, the source and target
// operations of a group in parallel), and whole-subgraph dependencies per
// relationship (install: the target is started before the source begins;
// uninstall: the reverse), as spec section 7 describes. NO-OP operations
// get no task at all. Task IDs are stable, which resume relies on.
// Graph.Dump renders a graph as stable text.
//
// Start / Run walk the graph: cheap tasks (states, NOPs) inline, operations
// on at most Config.Parallelism goroutines, ready tasks in build order.
// Operations are dispatched to plugins from a plugins.Registry, with
// runtime functions in their inputs and node properties evaluated right
// before by the language's one evaluator (tosca.EvaluateRuntime) over the
// engine's live view (eval.go); the context also carries the instance's
// host (address, evaluated node, live runtime properties) so that plugins
// never read the store for it. Retries follow the operation's max_retries / retry_interval
// or the workflow's TaskRetries / TaskRetryInterval; non-recoverable errors
// fail at once; plugins may ask for a retry after a delay. On failure no
// new task starts, running ones finish and are recorded, and the execution
// fails with a TaskError naming the operation and instance. Cancel is
// graceful (no new tasks) or forced (running operations are stopped),
// requested through Execution.Cancel, the context, or the State's cancel
// flag (polled). DryRun walks without dispatching.
//
// Everything the engine writes goes through the small State interface
// (MemState is the in-memory one; the bbolt store is adapted to it):
// instance states and runtime properties, task records and events are
// batched and committed atomically, in order, every FlushInterval or at
// once when an operation ends, so that a crash (kill -9) loses at most the
// last commit's worth of work and Resume re-runs only operations that had
// not been recorded as completed. Secrets handed to operations are masked
// in every event and error.
package workflow
