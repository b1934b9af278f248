package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// validVars returns the lines of a complete env file for state dir dir.
func validVars(dir string) map[string]string {
	return map[string]string{
		"KUBECONFIG":                     dir + "/kubeconfig",
		"GANTRY_TESTENV_DIR":             dir,
		"GANTRY_TESTENV_CTL":             "/src/testenv/ctl.sh",
		"GANTRY_TESTENV_APISERVER":       "https://127.0.0.1:1",
		"GANTRY_TESTENV_CA":              dir + "/pki/ca.crt",
		"GANTRY_TESTENV_NODES":           "kwok-node-0,kwok-node-1,kwok-node-2",
		"GANTRY_TESTENV_SSH_HOST":        "127.0.0.1",
		"GANTRY_TESTENV_SSH_PORT":        "2",
		"GANTRY_TESTENV_SSH_USER":        "root",
		"GANTRY_TESTENV_SSH_KEY":         dir + "/ssh/id_ed25519",
		"GANTRY_TESTENV_SSH_KNOWN_HOSTS": dir + "/ssh/known_hosts",
		"GANTRY_TESTENV_K8S_VERSION":     "v1.33.13",
	}
}

func writeEnvFile(t *testing.T, vars map[string]string, extra string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("# comment\n\n")
	for k, v := range vars {
		fmt.Fprintf(&b, "%s=%s\n", k, v)
	}
	b.WriteString(extra)
	p := filepath.Join(t.TempDir(), "env")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o600))
	return p
}

func TestLoad(t *testing.T) {
	dir := "/tmp/x"
	p := writeEnvFile(t, validVars(dir), "GANTRY_TESTENV_PID_SSHD=42\n")
	e, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, p, e.File)
	assert.Equal(t, dir, e.Dir)
	assert.Equal(t, dir+"/kubeconfig", e.Kubeconfig)
	assert.Equal(t, "127.0.0.1:2", e.SSHAddr())
	assert.Equal(t, 2, e.SSHPort)
	assert.Equal(t, "root", e.SSHUser)
	assert.Equal(t, dir+"/ssh/id_ed25519", e.SSHKeyPath)
	assert.Equal(t, dir+"/ssh/known_hosts", e.KnownHostsPath)
	assert.Equal(t, []string{"kwok-node-0", "kwok-node-1", "kwok-node-2"}, e.Nodes)
	assert.Equal(t, "v1.33.13", e.K8sVersion)
	assert.Equal(t, "kubectl", e.KubectlPath, "default when the env file names none")
	assert.Equal(t, "42", e.Vars["GANTRY_TESTENV_PID_SSHD"])
}

func TestLoadErrors(t *testing.T) {
	without := func(k string) map[string]string {
		v := validVars("/tmp/x")
		delete(v, k)
		return v
	}
	with := func(k, val string) map[string]string {
		v := validVars("/tmp/x")
		v[k] = val
		return v
	}
	tests := []struct {
		name  string
		vars  map[string]string
		extra string
		want  string
	}{
		{"missing kubeconfig", without("KUBECONFIG"), "", "missing KUBECONFIG"},
		{"missing ssh key", without("GANTRY_TESTENV_SSH_KEY"), "", "missing GANTRY_TESTENV_SSH_KEY"},
		{"empty value", with("GANTRY_TESTENV_SSH_USER", ""), "", "missing GANTRY_TESTENV_SSH_USER"},
		{"port not a number", with("GANTRY_TESTENV_SSH_PORT", "ssh"), "", `GANTRY_TESTENV_SSH_PORT="ssh" is not a port`},
		{"port out of range", with("GANTRY_TESTENV_SSH_PORT", "70000"), "", "is not a port"},
		{"line without =", validVars("/tmp/x"), "garbage\n", `want KEY=VALUE, got "garbage"`},
		{"key with space", validVars("/tmp/x"), "A B=1\n", "want KEY=VALUE"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeEnvFile(t, tc.vars, tc.extra))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.NotErrorIs(t, err, ErrUnavailable, "a broken env file is a bug, not a missing environment")
		})
	}
}

func TestLoadMissingFileIsUnavailable(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope"))
	require.ErrorIs(t, err, ErrUnavailable)
}

func TestEnvFilePath(t *testing.T) {
	tests := []struct {
		name, file, dir, want string
	}{
		{"explicit file", "/a/env", "/b", "/a/env"},
		{"state dir", "", "/b", "/b/env"},
		{"default", "", "", DefaultDir + "/env"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("GANTRY_TESTENV", tc.file)
			t.Setenv("GANTRY_TESTENV_DIR", tc.dir)
			assert.Equal(t, tc.want, EnvFilePath())
		})
	}
}

func TestLoadRealNode(t *testing.T) {
	real := map[string]string{
		"GANTRY_TESTENV_REAL_NODE_NAME":       "real-node-0",
		"GANTRY_TESTENV_REAL_NODE_NETNS":      "/run/netns/gantry-ab",
		"GANTRY_TESTENV_REAL_NODE_PEER_NETNS": "/run/netns/gantry-ab-peer",
		"GANTRY_TESTENV_REAL_NODE_IP":         "10.201.7.2",
		"GANTRY_TESTENV_REAL_NODE_HOST_IP":    "10.201.7.1",
		"GANTRY_TESTENV_REAL_NODE_HOST_IF":    "gtab",
		"GANTRY_TESTENV_REAL_NODE_PEER_IP":    "172.16.0.1",
		"GANTRY_TESTENV_REAL_NODE_CGROUP":     "/gantry-ab",
		"GANTRY_TESTENV_REAL_NODE_CONTAINERD": "/tmp/x/rn/containerd.sock",
		"GANTRY_TESTENV_REAL_NODE_TAINT":      "gantry.dev/real-node",
		"GANTRY_TESTENV_ROUTER_IMAGE":         "gantry.local/quagga-router:frr8",
	}
	tests := []struct {
		name    string
		drop    string // a key left out
		none    bool   // no real node at all
		wantErr string
	}{
		{name: "complete"},
		{name: "opted out", none: true},
		{name: "half written", drop: "GANTRY_TESTENV_REAL_NODE_NETNS", wantErr: "GANTRY_TESTENV_REAL_NODE_NETNS missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vars := validVars("/tmp/x")
			if !tt.none {
				for k, v := range real {
					if k != tt.drop {
						vars[k] = v
					}
				}
			}
			e, err := Load(writeEnvFile(t, vars, ""))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.none {
				assert.Nil(t, e.Real)
				return
			}
			require.NotNil(t, e.Real)
			assert.Equal(t, RealNode{
				Name: "real-node-0", Taint: "gantry.dev/real-node",
				NetNS: "/run/netns/gantry-ab", PeerNetNS: "/run/netns/gantry-ab-peer",
				IP: "10.201.7.2", HostIP: "10.201.7.1", HostInterface: "gtab", PeerIP: "172.16.0.1",
				Cgroup: "/gantry-ab", Containerd: "/tmp/x/rn/containerd.sock",
				RouterImage: "gantry.local/quagga-router:frr8",
			}, *e.Real)
		})
	}
}
