package ssh

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"

	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// knownHostsLocks serializes trust-on-first-use appends per file across all
// pools of this process, so two first connections record one line.
var knownHostsLocks sync.Map // absolute path -> *sync.Mutex

func knownHostsLock(path string) *sync.Mutex {
	m, _ := knownHostsLocks.LoadOrStore(path, &sync.Mutex{})
	return m.(*sync.Mutex)
}

// probeKey is a key that is in no known_hosts file: checking it reveals which
// keys a file holds for a host.
var probeKey = sync.OnceValue(func() gossh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(fmt.Sprintf("ssh: generating probe key: %v", err))
	}
	k, err := gossh.NewPublicKey(pub)
	if err != nil {
		panic(fmt.Sprintf("ssh: probe key: %v", err))
	}
	return k
})

// loadKnownHosts returns a checker for file; a missing file is an empty one.
func loadKnownHosts(file string) (gossh.HostKeyCallback, error) {
	if _, err := os.Stat(file); errors.Is(err, fs.ErrNotExist) {
		return func(string, net.Addr, gossh.PublicKey) error { return &knownhosts.KeyError{} }, nil
	}
	cb, err := knownhosts.New(file)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts %s: %w", file, err)
	}
	return cb, nil
}

// hostKeyChecker verifies host keys for one dial.
type hostKeyChecker struct {
	file string
	tofu bool
	host string // "host:port" as dialled
	port int
	// err keeps the verdict, since the handshake error wraps it in text.
	err error
}

// algorithms returns the host key algorithms to ask for: those of the keys
// already known for the host first (so a host with several keys is checked
// against one we know), then everything else.
func (h *hostKeyChecker) algorithms() ([]string, error) {
	cb, err := loadKnownHosts(h.file)
	if err != nil {
		return nil, err
	}
	var known []string
	var ke *knownhosts.KeyError
	if err := cb(h.host, dummyAddr(h.host), probeKey()); errors.As(err, &ke) {
		for _, k := range ke.Want {
			known = append(known, algorithmsFor(k.Key.Type())...)
		}
	}
	if len(known) == 0 {
		return nil, nil // library default
	}
	all := slices.Clone(known)
	for _, a := range gossh.SupportedAlgorithms().HostKeys {
		if !slices.Contains(all, a) {
			all = append(all, a)
		}
	}
	return all, nil
}

func algorithmsFor(keyType string) []string {
	if keyType == gossh.KeyAlgoRSA {
		return []string{gossh.KeyAlgoRSASHA512, gossh.KeyAlgoRSASHA256, gossh.KeyAlgoRSA}
	}
	return []string{keyType}
}

// dummyAddr stands in for the remote address: knownhosts prefers the
// hostname it is given, and resolving it here would cost a DNS lookup.
func dummyAddr(string) net.Addr { return &net.TCPAddr{IP: net.IPv4zero} }

// check is the ssh.HostKeyCallback.
func (h *hostKeyChecker) check(hostname string, remote net.Addr, key gossh.PublicKey) error {
	h.err = h.verify(hostname, remote, key)
	return h.err
}

func (h *hostKeyChecker) verify(hostname string, remote net.Addr, key gossh.PublicKey) error {
	cb, err := loadKnownHosts(h.file)
	if err != nil {
		return err
	}
	err = cb(hostname, remote, key)
	if err == nil {
		return nil
	}
	if herr := h.classify(err, key); herr == nil || !errors.Is(herr, ErrHostKeyUnknown) || !h.tofu {
		return herr
	}
	// Trust on first use: record the key, unless someone else just did.
	mu := knownHostsLock(h.file)
	mu.Lock()
	defer mu.Unlock()
	if cb, err = loadKnownHosts(h.file); err != nil {
		return err
	}
	if err = cb(hostname, remote, key); err == nil {
		return nil
	}
	if herr := h.classify(err, key); !errors.Is(herr, ErrHostKeyUnknown) {
		return herr
	}
	if err := appendKnownHost(h.file, knownhosts.Line([]string{knownhosts.Normalize(hostname)}, key)); err != nil {
		return fmt.Errorf("recording host key of %s (trust on first use): %w", knownhosts.Normalize(hostname), err)
	}
	return nil
}

// classify turns a knownhosts error into a HostKeyError.
func (h *hostKeyChecker) classify(err error, key gossh.PublicKey) error {
	hostArg, _, _ := net.SplitHostPort(h.host)
	herr := &HostKeyError{
		Host:    knownhosts.Normalize(h.host),
		File:    h.file,
		Offered: key.Type() + " " + gossh.FingerprintSHA256(key),
		hostArg: hostArg,
		portArg: h.port,
	}
	var ke *knownhosts.KeyError
	var re *knownhosts.RevokedError
	switch {
	case errors.As(err, &re):
		herr.Kind, herr.Revoked = ErrHostKeyMismatch, true
	case errors.As(err, &ke) && len(ke.Want) == 0:
		herr.Kind = ErrHostKeyUnknown
	case errors.As(err, &ke):
		herr.Kind = ErrHostKeyMismatch
		for _, k := range ke.Want {
			herr.Known = append(herr.Known, fmt.Sprintf("%s %s (line %d)",
				k.Key.Type(), gossh.FingerprintSHA256(k.Key), k.Line))
		}
	default:
		return fmt.Errorf("checking host key of %s: %w", herr.Host, err)
	}
	return herr
}

// appendKnownHost appends line to file, creating it (0600) and its directory
// (0700) when missing.
func appendKnownHost(file, line string) error {
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	prefix := ""
	if st, err := f.Stat(); err == nil && st.Size() > 0 {
		last := make([]byte, 1)
		if _, err := f.ReadAt(last, st.Size()-1); err == nil && !bytes.Equal(last, []byte{'\n'}) {
			prefix = "\n"
		}
	}
	if _, err := f.WriteString(prefix + line + "\n"); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// defaultKnownHosts is ~/.ssh/known_hosts.
func defaultKnownHosts() string {
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".ssh", "known_hosts")
	}
	return filepath.Join(home, ".ssh", "known_hosts")
}
