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
// imports_modern.go (Cloudify 7 resolution: resources folder, plugin
// catalog, the 1_3 plugin downgrade), pep440.go (versions and
// specifiers), namespace.go (NS--imports), dsl_modern.go (DSL 1_4/1_5
// grammar and version gates), functions_modern.go (Cloudify 6.x functions),
// builtin.go and builtin/ (Gantry's built-in types and plugins),
// blueprint.go (Parse, top-level merge), schema.go, types.go, operations.go,
// templates.go, groups.go, inputs.go (the elements), functions.go
// (function validation), prepare.go (Prepare), runtime.go
// (EvaluateRuntime), inputargs.go (ParseInputs: `-i` text kept as given),
// instances.go (the limit on node instances), runnable.go (what a Runtime
// cannot run; builtin.go holds GantryRuntime, the one list of plugins and
// workflows the engine runs), generate.go (generated blueprints for
// benchmarks), model.go (the Plan), compact.go (the compact plan JSON,
// CompactPlan: each operation map once, docs/plan-json.md), errors.go.
//
// Every file read is a regular file read with a bound (internal/readlimit);
// imports and scripts stay in the blueprint's folder (or an import rule's,
// the resources folder's or a catalog plugin version's).
//
// Checking for planning and for install: without Options.Runtime, Parse
// checks the language as Cloudify's parser does (what validates and
// plans: catalog plugins, functions that read a manager's records); with
// it (upload, install, `blueprints validate` without --plan-only), what
// the engine cannot run is a problem too. GantryRuntime is the one list.
package tosca
