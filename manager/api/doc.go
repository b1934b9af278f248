// Package api is the boundary of Gantry's manager: the Service interface
// that holds every use case, the records and requests that cross it, and
// the errors both sides agree on.
//
// Contracts:
//   - Every use case the CLI, the REST server or a worker needs is a method
//     of Service; they call nothing beneath it.
//   - An implementation returns errors wrapping exactly one sentinel of
//     errors.go; each sentinel has one stable Code, which is what the REST
//     API sends and the CLI maps to an exit code. A remote error unwraps to
//     the same sentinel as the local one.
//   - Records are the store's records; their JSON form is the wire form.
package api
