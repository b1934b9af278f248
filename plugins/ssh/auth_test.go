package ssh

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
)

func TestAuth(t *testing.T) {
	encPEM, encSigner := generateKey(t, "correct horse")
	strangerPEM, _ := generateKey(t, "")
	s := startSSHD(t, func(o *sshdOptions) { o.extraKeys = []gossh.PublicKey{encSigner.PublicKey()} })

	withKey := func(f func(*Target)) Target {
		tg := s.target()
		tg.KeyFile = ""
		f(&tg)
		return tg
	}
	tests := []struct {
		name    string
		target  Target
		wantErr error
		dialed  bool // whether a TCP connection is attempted
		msg     string
	}{
		{"key file", s.target(), nil, true, ""},
		{"key PEM (secret)", withKey(func(tg *Target) { tg.KeyPEM = s.clientPEM }), nil, true, ""},
		{"encrypted key with passphrase", withKey(func(tg *Target) { tg.KeyPEM, tg.Passphrase = encPEM, "correct horse" }), nil, true, ""},
		{"passphrase given for a plain key", withKey(func(tg *Target) { tg.KeyPEM, tg.Passphrase = s.clientPEM, "unused" }), nil, true, ""},
		{"encrypted key without passphrase", withKey(func(tg *Target) { tg.KeyPEM = encPEM }), ErrAuth, false, "is encrypted: set a passphrase"},
		{"wrong passphrase", withKey(func(tg *Target) { tg.KeyPEM, tg.Passphrase = encPEM, "wrong" }), ErrAuth, false, "cannot use private key"},
		{"key not authorized", withKey(func(tg *Target) { tg.KeyPEM = strangerPEM }), ErrAuth, true, "unable to authenticate"},
		{"missing key file", withKey(func(tg *Target) { tg.KeyFile = "/nonexistent/key" }), ErrAuth, false, "/nonexistent/key"},
		{"garbage key", withKey(func(tg *Target) { tg.KeyPEM = []byte("not a key") }), ErrAuth, false, "cannot use private key"},
		{"no credentials", withKey(func(*Target) {}), ErrInvalid, false, "no credentials"},
		{"no host", withKey(func(tg *Target) { tg.KeyPEM, tg.Host = s.clientPEM, "" }), ErrInvalid, false, "no host"},
		{"no user", withKey(func(tg *Target) { tg.KeyPEM, tg.User = s.clientPEM, "" }), ErrInvalid, false, "no user"},
		{"bad port", withKey(func(tg *Target) { tg.KeyPEM, tg.Port = s.clientPEM, 70000 }), ErrInvalid, false, "out of range"},
		{"agent without socket", withKey(func(tg *Target) { tg.UseAgent = true; t.Setenv("SSH_AUTH_SOCK", "") }), ErrAuth, false, "SSH_AUTH_SOCK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, d := newTestPool(t, Config{})
			start := time.Now()
			err := echoOK(t, p, tt.target)
			if tt.wantErr == nil {
				require.NoError(t, err)
			} else {
				require.ErrorIs(t, err, tt.wantErr)
				require.NotErrorIs(t, err, ErrConnect, "credential errors are not retryable")
				require.Contains(t, err.Error(), tt.msg)
				require.NotContains(t, err.Error(), "correct horse")
				require.Less(t, time.Since(start), 5*time.Second, "not retried")
			}
			if tt.dialed {
				require.EqualValues(t, 1, d.attempts.Load())
			} else {
				require.Zero(t, d.attempts.Load())
			}
		})
	}
}

// TestAuthAgent authenticates through a real ssh-agent holding the key.
func TestAuthAgent(t *testing.T) {
	agentBin, err := exec.LookPath("ssh-agent")
	if err != nil {
		t.Skip("ssh-agent not installed")
	}
	s := startSSHD(t)
	sock := filepath.Join(t.TempDir(), "agent.sock")
	agentCmd := exec.Command(agentBin, "-D", "-a", sock)
	require.NoError(t, agentCmd.Start())
	t.Cleanup(func() {
		_ = agentCmd.Process.Kill()
		_ = agentCmd.Wait()
	})
	waitFor(t, 5*time.Second, "ssh-agent socket", func() bool { _, err := os.Stat(sock); return err == nil })
	add := exec.Command("ssh-add", s.clientKey)
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	out, err := add.CombinedOutput()
	require.NoError(t, err, "%s", out)

	tg := s.target()
	tg.KeyFile = ""
	tg.UseAgent = true
	t.Run("SSH_AUTH_SOCK", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", sock)
		p, _ := newTestPool(t, Config{})
		require.NoError(t, echoOK(t, p, tg))
	})
	t.Run("explicit socket", func(t *testing.T) {
		t.Setenv("SSH_AUTH_SOCK", "")
		tg := tg
		tg.AgentSocket = sock
		p, _ := newTestPool(t, Config{})
		require.NoError(t, echoOK(t, p, tg))
	})
}

// TestPoolKeyedByIdentity: two keys for the same user@host get two
// connections; reusing a key reuses its connection.
func TestPoolKeyedByIdentity(t *testing.T) {
	otherPEM, other := generateKey(t, "")
	s := startSSHD(t, func(o *sshdOptions) { o.extraKeys = []gossh.PublicKey{other.PublicKey()} })
	p, d := newTestPool(t, Config{})
	a := s.target()
	b := s.target()
	b.KeyFile, b.KeyPEM = "", otherPEM
	for _, tg := range []Target{a, b, a, b, a} {
		require.NoError(t, echoOK(t, p, tg))
	}
	require.EqualValues(t, 2, d.conns.Load())
	require.Equal(t, 2, p.Stats().Conns)
	_, err := p.Run(context.Background(), a, Command{Args: []string{"true"}})
	require.NoError(t, err)
	require.EqualValues(t, 2, d.conns.Load())
}
