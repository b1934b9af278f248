// Package profiles holds `gantry profiles add|use|list|delete`: the servers
// the CLI can talk to, kept by cmd/cli/profile in ~/.gantry/profiles.json.
// No command prints a token; a profile names the file that holds it.
package profiles
