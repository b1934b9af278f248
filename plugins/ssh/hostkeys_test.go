package ssh

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func echoOK(t *testing.T, p *Pool, tg Target) error {
	t.Helper()
	res, err := p.Run(context.Background(), tg, Command{Args: []string{"echo", "ok"}})
	if err == nil {
		require.Equal(t, "ok\n", string(res.Stdout))
	}
	return err
}

func TestHostKeyKnown(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	require.NoError(t, echoOK(t, p, s.target()))
}

func TestHostKeyUnknownRefusedWithoutTOFU(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{})
	tg := s.target()
	tg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")

	start := time.Now()
	err := echoOK(t, p, tg)
	require.ErrorIs(t, err, ErrHostKeyUnknown)
	require.NotErrorIs(t, err, ErrConnect, "an unknown host key is not retryable")
	require.Less(t, time.Since(start), 3*time.Second, "not retried")
	require.EqualValues(t, 1, d.attempts.Load())
	msg := err.Error()
	t.Log(msg)
	require.Contains(t, msg, "[127.0.0.1]:"+itoa(s.port))
	require.Contains(t, msg, tg.KnownHostsFile)
	require.Contains(t, msg, "ssh-keyscan -p "+itoa(s.port)+" 127.0.0.1")
	require.Contains(t, msg, "trust_on_first_use")
	require.Contains(t, msg, gossh.FingerprintSHA256(s.hostKey.PublicKey()))
	_, statErr := os.Stat(tg.KnownHostsFile)
	require.ErrorIs(t, statErr, os.ErrNotExist, "nothing recorded without TOFU")
}

func TestHostKeyTOFURecordsKey(t *testing.T) {
	s := startSSHD(t)
	tg := s.target()
	tg.KnownHostsFile = filepath.Join(t.TempDir(), "sub", "known_hosts")
	tg.TrustOnFirstUse = true

	p, _ := newTestPool(t, Config{})
	require.NoError(t, echoOK(t, p, tg))

	st, err := os.Stat(tg.KnownHostsFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	b, err := os.ReadFile(tg.KnownHostsFile)
	require.NoError(t, err)
	want := knownhosts.Line([]string{"[127.0.0.1]:" + itoa(s.port)}, s.hostKey.PublicKey()) + "\n"
	require.Equal(t, want, string(b))

	// A new pool without TOFU now verifies against the recorded key.
	tg.TrustOnFirstUse = false
	p2, _ := newTestPool(t, Config{})
	require.NoError(t, echoOK(t, p2, tg))
	b2, _ := os.ReadFile(tg.KnownHostsFile)
	require.Equal(t, string(b), string(b2), "nothing appended for a known host")
}

func TestHostKeyTOFUConcurrentRecordsOnce(t *testing.T) {
	s := startSSHD(t)
	tg := s.target()
	tg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
	tg.TrustOnFirstUse = true
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, _ := newTestPool(t, Config{}) // separate pools: separate dials
			_, errs[i] = p.Run(context.Background(), tg, Command{Args: []string{"true"}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	b, err := os.ReadFile(tg.KnownHostsFile)
	require.NoError(t, err)
	require.Equal(t, 1, strings.Count(string(b), "\n"), "one line recorded:\n%s", b)
}

func TestHostKeyMismatchRefused(t *testing.T) {
	s := startSSHD(t)
	_, other := generateKey(t, "")
	tests := []struct {
		name string
		key  gossh.PublicKey
		tofu bool
	}{
		{"same key type", other.PublicKey(), false},
		{"same key type, TOFU does not override", other.PublicKey(), true},
		{"other key type", rsaPublicKey(t), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg := s.target()
			tg.TrustOnFirstUse = tt.tofu
			tg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
			content := "# managed\n" + knownhosts.Line([]string{"[127.0.0.1]:" + itoa(s.port)}, tt.key) + "\n"
			require.NoError(t, os.WriteFile(tg.KnownHostsFile, []byte(content), 0o600))

			p, d := newTestPool(t, Config{})
			err := echoOK(t, p, tg)
			require.ErrorIs(t, err, ErrHostKeyMismatch)
			require.NotErrorIs(t, err, ErrConnect)
			require.EqualValues(t, 1, d.attempts.Load(), "a mismatch is not retried")
			var hke *HostKeyError
			require.True(t, errors.As(err, &hke))
			msg := err.Error()
			t.Log(msg)
			for _, want := range []string{
				"[127.0.0.1]:" + itoa(s.port),
				"ssh-keygen -R '[127.0.0.1]:" + itoa(s.port) + "' -f " + tg.KnownHostsFile,
				"legitimately re-keyed",
				"trust_on_first_use",
				gossh.FingerprintSHA256(s.hostKey.PublicKey()),
				gossh.FingerprintSHA256(tt.key),
				"line 2",
			} {
				require.Contains(t, msg, want)
			}
			b, _ := os.ReadFile(tg.KnownHostsFile)
			require.Equal(t, content, string(b), "known_hosts untouched")
		})
	}
}

func TestHostKeyDefaultFileFromConfig(t *testing.T) {
	s := startSSHD(t)
	tg := s.target()
	tg.KnownHostsFile = ""
	p, _ := newTestPool(t, Config{KnownHostsFile: s.knownHosts})
	require.NoError(t, echoOK(t, p, tg))
}

// TestHostKeyPrefersKnownKeyType: the server has ed25519 and RSA host keys,
// known_hosts only one of them; the client must ask for that key type and
// succeed instead of getting the other key and calling it a mismatch (the
// library default prefers RSA).
func TestHostKeyPrefersKnownKeyType(t *testing.T) {
	s := startSSHD(t, func(o *sshdOptions) { o.rsaHostKey = true })
	for name, key := range map[string]gossh.PublicKey{
		"ed25519 known": s.hostKey.PublicKey(),
		"rsa known":     s.rsaHostKey.PublicKey(),
	} {
		t.Run(name, func(t *testing.T) {
			tg := s.target()
			tg.KnownHostsFile = filepath.Join(t.TempDir(), "known_hosts")
			line := knownhosts.Line([]string{"[127.0.0.1]:" + itoa(s.port)}, key)
			require.NoError(t, os.WriteFile(tg.KnownHostsFile, []byte(line+"\n"), 0o600))
			p, _ := newTestPool(t, Config{})
			require.NoError(t, echoOK(t, p, tg))
		})
	}
}
