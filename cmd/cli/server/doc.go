// Package server is `gantry server`: it serves the REST API of
// manager/server over the in-process manager of a store, until SIGTERM or
// SIGINT.
//
// Contracts:
//   - It serves the Factory's Local manager (the store of --store) and
//     imports manager/server and manager/auth, never store or workflow.
//   - Plain HTTP is served on loopback addresses only, with a warning on
//     stderr; any other address needs --tls-cert and --tls-key.
//   - At start-up, executions whose process died (a previous server killed
//     or crashed) are marked failed ("interrupted"), so that
//     `gantry executions resume` continues them.
//   - SIGTERM or SIGINT: the server stops taking executions, cancels the
//     running ones gracefully (running operations finish; they can be
//     resumed), forces them after --shutdown-timeout, then closes.
//   - --run-executions=false (a shared etcd store only; a bbolt file is a
//     usage error) queues every execution for `gantry worker` processes:
//     the server runs none, and stopping it cancels none (docs/ha.md).
//   - The first line on stderr is "gantry server listening on URL (store
//     PATH)", with the real port when --listen asked for port 0.
package server
