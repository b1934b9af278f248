package server

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"strings"

	"github.com/gantryhq/gantry/manager/api"
)

// StaticAuth authenticates bearer tokens against a fixed table: for tests
// and for embedding the server where tokens come from elsewhere.
type StaticAuth map[string]Principal

// BearerToken returns a request's bearer token ("" if none).
func BearerToken(r *http.Request) string {
	h := r.Header.Get("Authorization")
	const scheme = "Bearer "
	if len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) {
		return strings.TrimSpace(h[len(scheme):])
	}
	return ""
}

// Authenticate implements Authenticator.
func (a StaticAuth) Authenticate(r *http.Request) (Principal, error) {
	tok := BearerToken(r)
	if tok == "" {
		return Principal{}, fmt.Errorf("no bearer token (Authorization: Bearer TOKEN): %w", api.ErrUnauthenticated)
	}
	for t, p := range a {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			return p, nil
		}
	}
	return Principal{}, fmt.Errorf("unknown token: %w", api.ErrUnauthenticated)
}
