// Package plandiff computes what a deployment update changes: the
// difference between a deployment's plan and the plan of the blueprint it
// is updated to (nodes, relationships, outputs, inputs, workflows and
// capabilities added, removed or modified).
//
// Contracts:
//   - Diff is a pure function of the two plans' templates (node instances
//     are not compared: tosca/plan.Reconcile plans those). Neither plan is
//     modified.
//   - Values are compared by their JSON form, so a plan read back from the
//     store (numbers as float64) equals the plan it was made from.
//   - The result is in a deterministic order: nodes by id, relationships
//     by source node, then target, then type, then position; entries by
//     name; property and operation names sorted.
//   - A relationship is identified by its source node, type and target
//     node; a source with several relationships of one type to one target
//     pairs them in order. A changed type or target is a removal and an
//     addition.
//   - Operations are compared under their full names (interface.operation);
//     a missing operation and a NO-OP are the same.
package plandiff
