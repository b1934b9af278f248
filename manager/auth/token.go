package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

const (
	// tokenPrefix starts every token (and is how secret scanners spot one).
	tokenPrefix = "gtk_"
	idBytes     = 8  // 16 hex digits
	secretBytes = 32 // 256 bits
	// MaxTokenLen bounds a presented token before anything reads it.
	MaxTokenLen = 256
)

// newToken draws a fresh id and secret from crypto/rand.
func newToken() (id, secret string, err error) {
	b := make([]byte, idBytes+secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	return hex.EncodeToString(b[:idBytes]), hex.EncodeToString(b[idBytes:]), nil
}

// formatToken is the bearer string of a token.
func formatToken(id, secret string) string { return tokenPrefix + id + "_" + secret }

// parseToken splits a bearer string into id and secret; false if it is not
// shaped like a token Gantry makes.
func parseToken(tok string) (id, secret string, ok bool) {
	if len(tok) > MaxTokenLen {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(tok, tokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || !isHex(id, idBytes) || !isHex(secret, secretBytes) {
		return "", "", false
	}
	return id, secret, true
}

func isHex(s string, n int) bool {
	if len(s) != 2*n {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// hashSecret is what the store keeps: the hex SHA-256 of the secret.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// secretMatches compares a presented secret with a stored hash in
// constant time.
func secretMatches(secret, storedHash string) bool {
	want, err := hex.DecodeString(storedHash)
	if err != nil {
		return false
	}
	got := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(got[:], want) == 1
}
