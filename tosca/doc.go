// Package tosca is Gantry's blueprint language: it loads Cloudify DSL 1.x
// YAML (keeping positions), resolves imports, merges and validates types and
// templates against strict schemas, checks intrinsic functions, and produces
// the node part of a deployment Plan. Every problem is collected with its
// file, line and column rather than stopping at the first one.
//
// The runtime half of the intrinsic functions (get_attribute, get_secret,
// get_capability) is evaluated here too, through a Resolver the engine
// supplies. Instance expansion lives in tosca/plan.
package tosca
