// Package serverbench measures `gantry server` on loopback (benchmarks
// only; see docs/performance.md and bench/server.sh):
//
//   - BenchmarkGetDeployment, BenchmarkListEvents: requests per second of
//     two reads, from parallel keep-alive clients with a viewer token.
//   - BenchmarkEventLatency: from an event's creation in the engine to its
//     arrival at a Server-Sent Events client (p50, p95, max).
//   - BenchmarkInstall: install of the generated layered graph (1,000
//     nodes, every create a script running `true`) in process and through
//     the server, one after the other in each iteration, and their ratio.
//
// Every part is real: a bbolt file, the in-process manager, manager/auth
// tokens, manager/server on a loopback TCP port, manager/remote.
package serverbench
