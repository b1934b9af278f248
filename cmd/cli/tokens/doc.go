// Package tokens holds `gantry server tokens create|list|revoke` and
// `gantry server audit`: the access control of a gantry server, through
// api.Service. Against a server (a profile, GANTRY_URL) they need an admin
// token; on the server's store file (--store, no profile) they run as its
// owner, which is how the first admin token is made.
//
// A token is shown once: printed by create, or written 0600 to --out
// (then not printed). list never shows one; revoke takes the token's id.
package tokens
