// Package server is Gantry's REST API: an http.Handler over an api.Service
// (the in-process manager), served by `gantry server`, and the wire
// contract its client, manager/remote, speaks.
//
// Contracts:
//   - Every route is declared once, in routes (routes.go): method, path,
//     the role it needs and its handler. The mux is built from that table,
//     and openapi.json (embedded, served at /api/v1/openapi.json) lists
//     exactly those routes with the same roles; a test keeps both in step.
//   - Every request but health, version-less discovery (openapi.json) is
//     authenticated by the Authenticator; a principal's role must reach
//     the route's role (viewer < operator < admin). Viewers never see a
//     secret's value. Every successful mutation is audited.
//   - A secret's value goes through exactly, whatever its bytes: one that
//     is not UTF-8 travels as base64 ("encoding": "base64", store.Secret's
//     JSON); a malformed one is 400 invalid, naming the key, never the value.
//   - Errors are JSON api.Error values whose code is api.CodeOf(err); the
//     HTTP status of each code is in one table (errors.go). A client turns
//     them back into errors that unwrap to the same sentinels.
//   - Every request body is bounded before it is read (Limits); blueprint
//     uploads (tar.gz, zip, or one YAML file) are extracted with
//     store.ExtractUpload into a folder of their own under Config.TempDir
//     that is removed whatever happens, so a refused upload leaves nothing.
//   - Executions started through the server run in the server's process;
//     their events stream as Server-Sent Events resumable from a sequence
//     number, or by long poll. Shutdown cancels running executions
//     gracefully, so they can be resumed.
package server
