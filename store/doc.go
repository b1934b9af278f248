// Package store keeps all of Gantry's state: blueprints (with their files
// archived into the store), deployments and their plans, node instances
// (state, runtime properties, a version for optimistic concurrency),
// executions and the task records that resume needs, events and logs,
// secrets, and for `gantry server` its API tokens (the SHA-256 of each
// secret, never the secret: CheckToken refuses anything else), the
// append-only audit log and the web console's sessions (the SHA-256 of
// each session id, never the id: CheckSession refuses anything else), and
// for DeletedExecutionTTL the tombstone of each execution deleted with its
// deployment (GetDeletedExecution: its final record, so that a follower in
// another process learns how an uninstall ended) with its events
// (DeletedEvents: the tail a follower had not read yet).
// A secret's value is any bytes: its JSON (the records, the REST API)
// carries a value that is not UTF-8 as base64 (secret_json.go).
// A blueprint is not deleted while something needs it: a deployment of it,
// a blueprint that imports it, an active deployment update that moves a
// deployment to it (blueprint_holds.go); each is checked in the deleting
// transaction against an index written with the record that needs it, and
// the record is refused when what it needs is not stored.
//
// Store is the contract the engine and the CLI use; every backend must pass
// the suite in store/storetest. The default backend, BoltStore, keeps
// everything in one bbolt file (DefaultPath, ~/.gantry/gantry.db) and opens
// that file for each operation or batch only, so that several gantry
// processes can share it: see DESIGN.md for the locking design and its
// measured cost.
package store
