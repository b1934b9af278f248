// Package script is the built-in script plugin: it runs a script from the
// blueprint folder for an operation.
//
// The script is chosen by the operation's script path (or its script_path
// input) relative to the blueprint folder: `.py` runs with python3, `.sh`
// with bash, anything else directly (an executable, or a file with a
// shebang line). Operation inputs become environment variables (strings as
// they are, other values JSON-encoded). stdout and stderr are streamed line
// by line into the execution's events. The script runs in its own process
// group; a timeout or a forced cancel kills the whole group. The group is
// led by a small sh guard that the kernel signals when gantry dies (kill -9
// included), and that then stops the group (guard.go): scripts never
// outlive their gantry. With Config.ProcessDir set, every running group is
// recorded there, and Reap kills what a dead gantry left before a resume
// (reap.go).
//
// Scripts reach the operation context through a `ctx` command on their
// PATH. `ctx` is the gantry binary itself (invoked as "ctx", or as
// `gantry ctx ...`; see CtxMain): it forwards its arguments over a private
// unix socket (mode 0600 in a 0700 temporary directory, path and a
// per-operation token passed in GANTRY_CTX_SOCKET / GANTRY_CTX_TOKEN) to
// the running engine, which answers from the operation's context:
//
//	ctx node id|name|type
//	ctx node properties [KEY...]            (KEY may be dotted: a.b.c)
//	ctx instance id|host-id|state
//	ctx instance runtime-properties [KEY]   (get; dotted KEY for nested values)
//	ctx instance runtime-properties KEY... VALUE
//	                                        (set; VALUE parsed as JSON when it
//	                                        parses, else kept as a string)
//	ctx source|target node ...|instance ... (relationship operations)
//	ctx logger debug|info|warn|error MSG...
//	ctx returns VALUE
//	ctx retry-operation MSG [AFTER_SECONDS]
//	ctx abort-operation MSG                 (fails the operation, no retries)
//	ctx deployment id | blueprint id | execution-id | workflow-id | type | inputs
//	ctx operation name|retry-number|max-retries
//	ctx instance host-ip | delete-runtime-property KEY
//	ctx get-resource PATH
//	ctx download-resource[-and-render] PATH [TARGET] [@VARS]
//	                                        (written on the script's machine)
//
// A custom workflow's script (its context has a Graph) has these too
// (graph.go); they may take as long as the operations they run:
//
//	ctx parameters [KEY]
//	ctx nodes | node-instances [NODE_ID]
//	ctx execute-operation INSTANCE_ID OPERATION [KWARGS_JSON] [--allow-kwargs-override]
//	ctx set-state INSTANCE_ID STATE
//
// and Python workflow scripts import cloudify.workflows (ctx, parameters,
// graph mode) from the embedded package.
//
// `ctx -j ...` prints every value as JSON; an argument "@JSON" is a JSON
// value. How a script runs (interpreter, argv, environment, the process
// input) is decided by BuildInvocation, for this runner and the SSH one.
// Python scripts get the embedded cloudify package (python/cloudify) on
// PYTHONPATH; it speaks the same protocol as the ctx command.
//
// Strings are printed as they are, other values as JSON, missing values
// as nothing (exit status 0). Errors go to stderr with exit status 1.
package script
