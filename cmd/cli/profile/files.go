package profile

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"os"

	"github.com/gantryhq/gantry/internal/readlimit"
)

const (
	// MaxTokenBytes bounds a token file before it is read.
	MaxTokenBytes = 4096
	// maxCABytes bounds a CA bundle before it is read.
	maxCABytes = 1 << 20
)

// ReadTokenFile reads a token: one line, surrounding white space dropped.
// Errors name the file, never its content.
func ReadTokenFile(path string) (string, error) {
	data, err := readlimit.File(path, MaxTokenBytes)
	if err != nil {
		return "", fmt.Errorf("token file: %v: %w", err, ErrBadToken)
	}
	tok, err := checkToken(data)
	if err != nil {
		return "", fmt.Errorf("token file %s: %w", path, err)
	}
	return tok, nil
}

// checkToken trims a token and refuses an empty one, one of several lines
// or one with control characters.
func checkToken(data []byte) (string, error) {
	tok := bytes.TrimSpace(data)
	if len(tok) == 0 {
		return "", fmt.Errorf("empty: %w", ErrBadToken)
	}
	for _, c := range tok {
		if c < 0x21 || c > 0x7e {
			return "", fmt.Errorf("holds white space or control characters (one token, one line): %w", ErrBadToken)
		}
	}
	return string(tok), nil
}

// LooseMode reports the mode of a file that others than its owner may
// read (a token file should be 0600).
func LooseMode(path string) (os.FileMode, bool) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, false
	}
	return st.Mode().Perm(), st.Mode().Perm()&0o077 != 0
}

// ReadCA reads a PEM bundle of CA certificates.
func ReadCA(path string) (*x509.CertPool, error) {
	data, err := readlimit.File(path, maxCABytes)
	if err != nil {
		return nil, fmt.Errorf("CA file: %v: %w", err, ErrBadFile)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("CA file %s: no PEM certificate in it: %w", path, ErrBadFile)
	}
	return pool, nil
}
