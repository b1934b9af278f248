// Package store keeps all of Gantry's state: blueprints (with their files),
// deployments, node instances and runtime properties, executions and their
// task records, events and secrets. The default backend is one bbolt file.
package store
