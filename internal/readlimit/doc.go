// Package readlimit reads files and streams that come from users (blueprint
// files and their imports, input files, secret files, stdin) with every read
// bounded before it happens.
//
// Contracts:
//   - File refuses anything but a regular file (a directory, FIFO, device or
//     socket) without blocking: the file is opened non-blocking and checked
//     on the open descriptor, so a FIFO with no writer or /dev/zero is
//     refused at once rather than read forever.
//   - File and All never read more than max+1 bytes, and refuse (ErrTooLarge)
//     rather than truncate when there is more than max.
//   - Errors wrap exactly one of the sentinels in errors.go (or the
//     *os.PathError of a failed open) and name the path.
//
// The package imports only the standard library, so both tosca and the
// command line use it.
package readlimit
