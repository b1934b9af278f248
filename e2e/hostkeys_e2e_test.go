//go:build e2e

package e2e

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
)

// otherHostKey returns a known_hosts line giving addr a key sshd does not have.
func otherHostKey(t *testing.T, addr string) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	key, err := gossh.NewPublicKey(pub)
	require.NoError(t, err)
	return knownhosts.Line([]string{addr}, key) + "\n"
}

// serverKeyMaterial is the base64 key of sshd's known_hosts line.
func serverKeyMaterial(t *testing.T, knownHostsPath string) string {
	t.Helper()
	b, err := os.ReadFile(knownHostsPath)
	require.NoError(t, err)
	f := strings.Fields(string(b))
	require.GreaterOrEqual(t, len(f), 3, "known_hosts line %q", b)
	return f[2]
}

// TestHostKeyVerification installs a master-only blueprint with three
// known_hosts files: one that records another key for the server (refused,
// saying how to fix it), an empty one (refused: unknown host), and one
// with trust_on_first_use (accepted, and the key recorded). Refusals are
// not retried: one connection attempt each.
func TestHostKeyVerification(t *testing.T) {
	env := testenvRequire(t)
	addr := knownhosts.Normalize(env.SSHAddr()) // [127.0.0.1]:PORT
	port := strconv.Itoa(env.SSHPort)
	tests := []struct {
		name     string
		contents *string // nil: the file does not exist
		tofu     bool
		wantErr  []string // all in the execution's error; none: the install succeeds
	}{
		{
			name:     "wrong key",
			contents: ptr(otherHostKey(t, addr)),
			wantErr: []string{"host key mismatch", addr, "man-in-the-middle",
				"ssh-keygen -R '" + addr + "'", "ssh-keyscan -p " + port + " 127.0.0.1", "trust_on_first_use"},
		},
		{
			name:     "wrong key with trust on first use",
			contents: ptr(otherHostKey(t, addr)),
			tofu:     true, // never overrides a recorded key
			wantErr:  []string{"host key mismatch", "ssh-keygen -R"},
		},
		{
			name:     "unknown host",
			contents: ptr(""),
			wantErr:  []string{"host key unknown", addr + " is not in", "ssh-keyscan -p " + port + " 127.0.0.1 >>", "trust_on_first_use"},
		},
		{
			name:     "unknown host, no known_hosts file",
			wantErr:  []string{"host key unknown", "trust_on_first_use"},
			contents: nil,
		},
		{name: "trust on first use", contents: ptr(""), tofu: true},
		{name: "trust on first use, no known_hosts file", tofu: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kh := filepath.Join(t.TempDir(), "known_hosts")
			if tc.contents != nil {
				require.NoError(t, os.WriteFile(kh, []byte(*tc.contents), 0o600))
			}
			w := newWorld(t, env)
			w.create("master", masterBlueprint, with(sshInputs(env, kh), "trust_on_first_use", tc.tofu))
			start := time.Now()
			if len(tc.wantErr) > 0 {
				e := w.mustFail("master", "install", manager.ExecOptions{})
				took := time.Since(start)
				for _, want := range tc.wantErr {
					assert.Contains(t, e.Error, want)
				}
				// Not retried: one connection attempt, no task retry (a
				// wall-clock bound alone fails under load).
				st := w.m.SSHStats()
				assert.Zero(t, st.Dials)
				assert.EqualValues(t, 1, st.Attempts, "a refused host key is not retried: %+v", st)
				assert.Empty(t, w.logsOfType("master", api.EventTaskRescheduled), "a refused host key is not retried")
				after, err := os.ReadFile(kh)
				if tc.contents == nil {
					assert.ErrorIs(t, err, os.ErrNotExist, "nothing recorded")
				} else {
					require.NoError(t, err)
					assert.Equal(t, *tc.contents, string(after), "known_hosts unchanged")
				}
				t.Logf("refused in %s: %s", took.Round(time.Millisecond), e.Error)
				return
			}
			w.mustRun("master", "install", nil, manager.ExecOptions{})
			after, err := os.ReadFile(kh)
			require.NoError(t, err, "the key is recorded")
			assert.Contains(t, string(after), addr+" ")
			assert.Contains(t, string(after), serverKeyMaterial(t, env.KnownHostsPath), "the server's own key is recorded")
			fi, err := os.Stat(kh)
			require.NoError(t, err)
			assert.Zero(t, fi.Mode().Perm()&0o022, "known_hosts is not group/world writable")

			// The recorded key is now trusted without trust on first use.
			w.create("again", masterBlueprint, sshInputs(env, kh))
			w.reopen()
			w.mustRun("again", "install", nil, manager.ExecOptions{})
			out, err := w.m.Outputs(context.Background(), "again")
			require.NoError(t, err)
			assert.Equal(t, env.SSHHost, out["master_ip"])
		})
	}
}

func ptr[T any](v T) *T { return &v }
