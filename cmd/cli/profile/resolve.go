package profile

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
)

// Environment variables for CI; each one set wins over the profile in use.
const (
	EnvURL       = "GANTRY_URL"
	EnvToken     = "GANTRY_TOKEN"
	EnvTokenFile = "GANTRY_TOKEN_FILE"
	EnvCA        = "GANTRY_CA"
)

// Target is the server the CLI talks to. Its token is unexported, and its
// String, GoString, LogValue and JSON form leave it out.
type Target struct {
	// Profile names the profile in use ("" when GANTRY_URL alone names the
	// server).
	Profile string `json:"profile,omitempty"`
	URL     string `json:"url"`
	CAFile  string `json:"ca_file,omitempty"`
	token   string
}

// Token is the bearer token to send.
func (t *Target) Token() string { return t.token }

// Name is how --version and status name the target: the profile, or
// GANTRY_URL.
func (t *Target) Name() string {
	if t.Profile != "" {
		return t.Profile
	}
	return EnvURL
}

// String describes the target without its token.
func (t Target) String() string { return fmt.Sprintf("%s (%s)", t.Name(), t.URL) }

// GoString describes the target without its token (%#v).
func (t Target) GoString() string { return "profile.Target{" + t.String() + "}" }

// LogValue describes the target without its token (log/slog).
func (t Target) LogValue() slog.Value {
	return slog.GroupValue(slog.String("profile", t.Name()), slog.String("url", t.URL))
}

// TLSConfig trusts the target's CA file, or the system's roots.
func (t *Target) TLSConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pool, err := ReadCA(t.CAFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}

// Resolve decides where commands go: nil for the embedded store, else the
// server named by GANTRY_URL or the profile in use, with the token of
// GANTRY_TOKEN, GANTRY_TOKEN_FILE or the profile's file.
func Resolve(getenv func(string) string) (*Target, error) {
	t := &Target{}
	if u := getenv(EnvURL); u != "" {
		if err := CheckURL(u); err != nil {
			return nil, fmt.Errorf("%s: %w", EnvURL, err)
		}
		t.URL = u
	} else {
		path, err := DefaultPath(getenv)
		if err != nil {
			return nil, err
		}
		f, err := Load(path)
		if err != nil {
			return nil, err
		}
		p := f.Profiles[f.Current]
		if p == nil {
			return nil, nil
		}
		t.Profile, t.URL, t.CAFile = p.Name, p.URL, p.CAFile
		if err := CheckURL(t.URL); err != nil {
			return nil, fmt.Errorf("profile %q in %s: %w", p.Name, path, err)
		}
		if t.token, err = ReadTokenFile(p.TokenFile); err != nil && getenv(EnvToken) == "" && getenv(EnvTokenFile) == "" {
			return nil, fmt.Errorf("profile %q: %w", p.Name, err)
		}
	}
	if ca := getenv(EnvCA); ca != "" {
		t.CAFile = ca
	}
	switch {
	case getenv(EnvToken) != "":
		tok, err := checkToken([]byte(getenv(EnvToken)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvToken, err)
		}
		t.token = tok
	case getenv(EnvTokenFile) != "":
		tok, err := ReadTokenFile(getenv(EnvTokenFile))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvTokenFile, err)
		}
		t.token = tok
	case t.token == "":
		return nil, fmt.Errorf("%s is set but no token: set %s or %s: %w", EnvURL, EnvToken, EnvTokenFile, ErrBadToken)
	}
	return t, nil
}

// CheckURL accepts http(s)://host[:port][/path] without credentials, query
// or fragment; plain http only to a loopback host.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("%q: %v: %w", raw, err, ErrBadURL)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%q: scheme must be https (or http to loopback): %w", raw, ErrBadURL)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("%q: no host: %w", raw, ErrBadURL)
	case u.User != nil:
		return fmt.Errorf("URL with credentials: give the token with --token-file: %w", ErrBadURL)
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("%q: no query or fragment: %w", raw, ErrBadURL)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%q: plain http would send the token in clear; use https (http only to loopback): %w", raw, ErrBadURL)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
