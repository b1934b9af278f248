// Package plan turns a prepared deployment plan (tosca.Plan with its nodes,
// groups and scaling groups) into node instances, and owns everything that
// works on instances as a whole:
//
//   - Expand creates the node instances of a new deployment: ids
//     "<node>_<6 chars [a-z0-9]>", the contained_in forest multiplied top
//     down, scaling groups multiplied as units, and the depends_on /
//     connected_to relationship instances (all_to_all, all_to_one).
//   - Modify computes a scale change (node or scaling group, +/- delta):
//     the added and removed instances and the intact ones whose
//     relationships change, keeping earlier all_to_one choices.
//   - BuildGraph is the instance dependency graph (every relationship
//     target must be ready before its source) with topological layers and
//     cycle detection; the workflow engine builds its task graphs on it.
//   - RenderDOT / RenderMermaid draw the topology (templates or instances)
//     with contained_in as nesting, and Summary prints a readable plan.
//
// Everything here is linear in the number of nodes, instances and
// relationship instances.
package plan
