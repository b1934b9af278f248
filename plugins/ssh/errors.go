package ssh

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors callers branch on (with errors.Is).
var (
	// ErrConnect marks a failure to reach the host or a connection lost while
	// a command ran. It is retryable: the host may come back.
	ErrConnect = errors.New("ssh: connection failed")
	// ErrTimeout marks a command stopped because its Timeout (or the context
	// deadline) passed.
	ErrTimeout = errors.New("ssh: command timed out")
	// ErrHostKeyMismatch marks a host whose key differs from the one recorded
	// in known_hosts. Never retryable, never overridden by trust on first use.
	ErrHostKeyMismatch = errors.New("ssh: host key mismatch")
	// ErrHostKeyUnknown marks a host with no entry in known_hosts while trust
	// on first use is off.
	ErrHostKeyUnknown = errors.New("ssh: host key unknown")
	// ErrAuth marks unusable credentials: the server refused them, or a key
	// could not be read or decrypted. Not retryable.
	ErrAuth = errors.New("ssh: authentication failed")
	// ErrInvalid marks a bad Target or Command (caller error).
	ErrInvalid = errors.New("ssh: invalid request")
	// ErrClosed is returned after Pool.Close.
	ErrClosed = errors.New("ssh: pool closed")
)

// IsRetryable reports whether err is worth retrying later (the host was
// unreachable or the connection broke).
func IsRetryable(err error) bool { return errors.Is(err, ErrConnect) }

// stderrTailSize is how much of stderr an ExitError keeps.
const stderrTailSize = 2048

// ExitError is returned when the remote command ran and exited non-zero (or
// was killed by a signal it did not get from us).
type ExitError struct {
	// Code is the exit status; 128+n when killed by signal n.
	Code int
	// Signal is the signal name ("KILL", "TERM", ...) when killed by one.
	Signal string
	// Stderr is the last bytes of stderr, secrets masked.
	Stderr []byte
	// Command is the command line, secrets masked and shortened.
	Command string
}

func (e *ExitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "ssh: remote command %s ", e.Command)
	if e.Signal != "" {
		fmt.Fprintf(&b, "killed by signal %s (exit code %d)", e.Signal, e.Code)
	} else {
		fmt.Fprintf(&b, "exited with code %d", e.Code)
	}
	if tail := strings.TrimSpace(string(e.Stderr)); tail != "" {
		fmt.Fprintf(&b, ": %s", tail)
	}
	return b.String()
}

// HostKeyError explains a refused host key. It unwraps to ErrHostKeyMismatch
// or ErrHostKeyUnknown.
type HostKeyError struct {
	Kind    error  // ErrHostKeyMismatch or ErrHostKeyUnknown
	Host    string // as written in known_hosts: "host" or "[host]:port"
	File    string // the known_hosts file consulted
	Offered string // key type and SHA256 fingerprint the server offered
	Known   []string
	Revoked bool
	hostArg string // host for ssh-keyscan
	portArg int
}

func (e *HostKeyError) Unwrap() error { return e.Kind }

func (e *HostKeyError) Error() string {
	keyscan := "ssh-keyscan "
	if e.portArg != 22 {
		keyscan += fmt.Sprintf("-p %d ", e.portArg)
	}
	keyscan += Quote(e.hostArg) + " >> " + Quote(e.File)
	const tofuHint = " (property ssh_trust_on_first_use: true on Kubernetes nodes, agent_config.trust_on_first_use: true on hosts)"
	switch {
	case e.Revoked:
		return fmt.Sprintf("%v: the key %s offered by %s is marked @revoked in %s; the host must be re-keyed",
			e.Kind, e.Offered, e.Host, e.File)
	case errors.Is(e.Kind, ErrHostKeyMismatch):
		return fmt.Sprintf("%v for %s: the server offered %s but %s records %s. "+
			"This may be a man-in-the-middle attack. If the host was legitimately re-keyed, "+
			"remove the old line with `ssh-keygen -R %s -f %s`, then add the new key "+
			"(`%s`, after checking the fingerprint) or connect once trusting on first use"+tofuHint,
			e.Kind, e.Host, e.Offered, e.File, strings.Join(e.Known, ", "),
			Quote(e.Host), Quote(e.File), keyscan)
	default:
		return fmt.Sprintf("%v: %s is not in %s (the server offered %s): add it with `%s` "+
			"after checking the fingerprint, or trust it on first use to record it on first connection"+tofuHint,
			e.Kind, e.Host, e.File, e.Offered, keyscan)
	}
}
