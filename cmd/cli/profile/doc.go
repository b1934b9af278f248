// Package profile is where the CLI keeps the servers it talks to:
// ~/.gantry/profiles.json (override: $GANTRY_PROFILES), and the
// GANTRY_URL / GANTRY_TOKEN variables for CI. The Factory in cmd/cli/cmdutil
// asks Resolve which Service to use: the embedded store, or a server.
//
// Contracts:
//   - A profile stores a server's URL, the path of a file holding the token
//     and optionally a CA file; never the token itself. profiles.json is
//     written 0600 (its folder 0700), atomically (a temporary file renamed
//     over it), so a crash never leaves half a file.
//   - A token is read from a file or GANTRY_TOKEN only, bounded
//     (MaxTokenBytes) before it is read, and never printed: Target's
//     String, GoString and JSON form leave it out.
//   - The environment wins over the profile in use: GANTRY_URL names the
//     server, GANTRY_TOKEN (else GANTRY_TOKEN_FILE) the token, GANTRY_CA the
//     CA file; each one that is set replaces the profile's.
//   - Plain http:// is allowed to loopback hosts only, so a token never
//     crosses a network in clear.
//   - "local" is the reserved name of the embedded store: `profiles use
//     local` goes back to it.
package profile
