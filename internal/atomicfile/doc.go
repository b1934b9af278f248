// Package atomicfile writes files that hold state or secrets (a secret
// key, a store backup, a profile with its token) so that no reader and no
// crash ever sees half of one.
//
// Contracts:
//   - Write fills a temporary file in the destination's folder (mode 0600,
//     the folder made 0700 if missing), syncs it, then puts it in place:
//     Replace renames it over the destination; Create links it, and a
//     destination that exists already is left alone (ErrExists). The
//     folder is synced after, so that the name survives a machine crash.
//   - On any failure, the temporary file is removed and the destination
//     is as it was.
//
// The package imports only the standard library.
package atomicfile
