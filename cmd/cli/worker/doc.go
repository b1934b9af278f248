// Package worker is `gantry worker`: it runs queued executions of a
// shared store (etcd) until SIGTERM or SIGINT.
//
// Contracts:
//   - It builds its worker through the Factory (cmdutil.Factory.Worker)
//     and imports neither store nor workflow.
//   - A store that workers cannot share (a bbolt file) is a usage error
//     (exit 2) that says so.
//   - One line on stderr per execution claimed and ended; the first line
//     is "worker NAME: running up to N executions at once".
//   - SIGTERM or SIGINT: no new execution is claimed; the running ones
//     finish, then it exits 0. A second signal exits at once: its claims
//     end with its lease and other workers take the executions over.
package worker
