package ssh

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
)

// Target says where and as whom to connect. At least one credential (KeyFile,
// KeyPEM, UseAgent or Password) is required.
type Target struct {
	Host string // name or IP address
	Port int    // 0 means 22
	User string

	KeyFile    string // path of a private key (OpenSSH or PEM format)
	KeyPEM     []byte // private key contents, e.g. from a Gantry secret
	Passphrase string // for an encrypted KeyFile/KeyPEM
	Password   string // password / keyboard-interactive authentication
	UseAgent   bool   // also offer the keys of ssh-agent
	// AgentSocket overrides $SSH_AUTH_SOCK when UseAgent is set.
	AgentSocket string

	// KnownHostsFile overrides Config.KnownHostsFile for this target.
	KnownHostsFile string
	// TrustOnFirstUse records an unknown host's key in the known_hosts file
	// instead of refusing it. A mismatched key is refused regardless.
	TrustOnFirstUse bool
}

func (t Target) port() int {
	if t.Port == 0 {
		return 22
	}
	return t.Port
}

// Addr is "host:port" for dialling.
func (t Target) Addr() string { return net.JoinHostPort(t.Host, strconv.Itoa(t.port())) }

// String names the target without credentials: user@host:port.
func (t Target) String() string { return t.User + "@" + t.Addr() }

func (t Target) validate() error {
	switch {
	case t.Host == "":
		return fmt.Errorf("%w: target has no host", ErrInvalid)
	case t.User == "":
		return fmt.Errorf("%w: target %s has no user", ErrInvalid, t.Addr())
	case t.Port < 0 || t.Port > 65535:
		return fmt.Errorf("%w: target %s: port %d out of range", ErrInvalid, t.Host, t.Port)
	case t.KeyFile == "" && len(t.KeyPEM) == 0 && !t.UseAgent && t.Password == "":
		return fmt.Errorf("%w: target %s has no credentials (key file, key, agent or password)", ErrInvalid, t)
	}
	return nil
}

// poolKey identifies a pooled connection. Credentials enter it only as hashes.
type poolKey struct {
	addr       string
	user       string
	identity   string
	knownHosts string
	tofu       bool
}

// identity hashes the credentials so that different keys for the same
// user@host get different connections (a key file is hashed by content, so a
// replaced key gets a new connection).
func (t Target) identity() (string, error) {
	h := sha256.New()
	if t.KeyFile != "" {
		b, err := os.ReadFile(t.KeyFile)
		if err != nil {
			return "", fmt.Errorf("%w: reading private key: %w", ErrAuth, err)
		}
		fmt.Fprintf(h, "file:%d:", len(b))
		h.Write(b)
	}
	if len(t.KeyPEM) > 0 {
		fmt.Fprintf(h, "pem:%d:", len(t.KeyPEM))
		h.Write(t.KeyPEM)
	}
	if t.UseAgent {
		fmt.Fprintf(h, "agent:%s:", t.agentSocket())
	}
	if t.Password != "" {
		fmt.Fprintf(h, "password:%d:%s", len(t.Password), t.Password)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

func (t Target) agentSocket() string {
	if t.AgentSocket != "" {
		return t.AgentSocket
	}
	return os.Getenv("SSH_AUTH_SOCK")
}
