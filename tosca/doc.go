// Package tosca is Gantry's blueprint language: it loads Cloudify DSL 1.x
// YAML (keeping positions), resolves imports, merges and validates types and
// templates against strict schemas, checks intrinsic functions, and produces
// the node part of a deployment Plan. Every problem is collected with its
// file, line and column rather than stopping at the first one.
//
// The runtime half of the intrinsic functions (get_attribute, get_secret,
// get_capability) is evaluated here too, through a Resolver the engine
// supplies. Instance expansion lives in tosca/plan.
//
// Files: problems.go (Problem, codes), yaml.go (loading with positions,
// aliases, merge keys, limits), imports.go (imports and import rules),
// builtin.go and builtin/ (Gantry's built-in types and plugins),
// blueprint.go (Parse, top-level merge), schema.go, types.go, operations.go,
// templates.go, groups.go, inputs.go (the elements), functions.go
// (function validation), prepare.go (Prepare), runtime.go
// (EvaluateRuntime), inputargs.go (ParseInputs: `-i` text kept as given),
// instances.go (the limit on node instances), runnable.go (what a Runtime
// cannot run; builtin.go holds GantryRuntime, the one list of plugins and
// workflows the engine runs), generate.go (generated blueprints for
// benchmarks), model.go (the Plan).
//
// Every file read is a regular file read with a bound (internal/readlimit);
// imports and scripts stay in the blueprint's folder (or an import rule's).
package tosca
