// Package auth is who may do what on `gantry server`: API tokens, roles and
// the audit log. It knows nothing of HTTP beyond BearerToken; the server's
// middleware calls Authenticate, Authorize and Audit, and the manager's
// token use cases (api.Service.CreateToken, ...) call Auth.
//
// Contracts:
//   - A token is "gtk_<id>_<secret>": id is 16 hex digits (public: it names
//     the token in lists, revocation and the audit log), secret is 256 bits
//     from crypto/rand in hex. The store keeps the SHA-256 of the secret,
//     never the secret; a presented secret is compared in constant time.
//     The token is returned once, by CreateToken, and never again.
//   - Authenticate returns an error wrapping api.ErrUnauthenticated for a
//     missing, malformed, unknown, wrong, revoked or expired token, and
//     nothing else of it (a store failure comes back as it is). Its errors
//     never contain the secret.
//   - Roles are ordered admin > operator > viewer; Authorize(p, r) allows p
//     when p's role is r or above, else an error wrapping api.ErrForbidden.
//   - Audit appends who (token id and name, role), what (action, target),
//     when and the outcome ("ok" or the error's api.Code) to the store's
//     append-only log.
//   - Principal Local (admin) is whoever uses the store file directly: the
//     embedded manager, and `gantry server tokens create` on the server's
//     machine to make the first admin token.
package auth
