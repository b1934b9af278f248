// Package remote is the HTTP client of `gantry server`: an api.Service
// whose every method is a request to the server's REST API
// (manager/server).
//
// Contracts:
//   - Client implements api.Service; the CLI uses it in place of the
//     in-process manager when a server is configured (GANTRY_URL).
//   - UploadBlueprint, Install and UpdateDeployment (when its Blueprint
//     is a local path, manager.ResolveUpdateBlueprint) archive the local
//     blueprint folder (tar.gz, as the store keeps it; an archive given is
//     extracted locally first) and upload it; messages and problems name
//     the local paths.
//   - A Run follows the execution's Server-Sent Events (reconnecting from
//     the last sequence number it saw), calls ExecOptions.OnEvent for
//     each, and ends with the server's final record; Progress comes from
//     the server; Cancel asks the server.
//   - Errors the server sends decode to *api.Error, which unwraps to the
//     api sentinels, so errors.Is behaves as with the local manager; a
//     server that cannot be reached gives api.ErrUnavailable.
//   - Every response is read through a bound; the token is sent only as a
//     bearer header, never in a URL.
package remote
