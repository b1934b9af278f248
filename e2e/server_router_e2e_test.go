//go:build e2e

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/remote"
)

// TestServerRouter is the router scenario through a `gantry server` on
// loopback, as two teams on two machines run it: the cluster team installs
// the cluster blueprint with its profile (an operator token of its own),
// the router team the router blueprint with another profile and another
// operator token. The router's DeploymentProxy finds the cluster
// deployment on the server, whoever installed it; the audit log tells the
// two tokens apart; the router team cannot uninstall the cluster while its
// router depends on it.
func TestServerRouter(t *testing.T) {
	const node = "kwok-node-1" // not the blueprint's default
	env := routerEnv(t, node, "gantry-e2e")
	const (
		interfaces = "eth5,eth6"
		routes     = "192.168.60.0/24 10.9.0.3"
	)
	srv := startGantryServer(t)
	clusterTeam := srv.team(t, "cluster-team")
	routerTeam := srv.team(t, "router-team")
	t.Cleanup(func() { // before the server stops: Cleanup runs last first
		routerTeam.gantry(t, "uninstall", "router")
		clusterTeam.gantry(t, "uninstall", "cluster", "--force")
	})

	labels := []any{map[string]any{"role": "router"}, map[string]any{"gantry-e2e": "server"}}
	clusterTeam.mustGantry(t, "install", clusterBlueprint, "-d", "cluster",
		"-i", inputsFile(t, clusterInputs(t, env, node, labels)))
	got := nodeLabels(t, env, node)
	assert.Equal(t, "router", got["role"])
	assert.Equal(t, "server", got["gantry-e2e"])

	// The router team reads the cluster team's outputs on the server.
	var outputs map[string]any
	require.NoError(t, json.Unmarshal([]byte(routerTeam.mustGantry(t, "deployments", "outputs", "cluster", "--json")), &outputs))
	assert.Equal(t, node, outputs["router_node"])

	routerTeam.mustGantry(t, "install", routerBlueprint, "-d", "router",
		"-i", inputsFile(t, routerInputs(env, "cluster", interfaces, routes)))
	p := assertRouterPod(t, env, node, interfaces, routes)

	ctx := context.Background()
	viewer := srv.client(t, routerTeam.token)
	out, err := viewer.Outputs(ctx, "router")
	require.NoError(t, err)
	assert.Equal(t, env.SSHHost, out["master"], "the proxy inherited the cluster's kubernetes_info")
	assert.Equal(t, []any{map[string]any{
		"apiVersion": "v1", "kind": "Pod", "namespace": routerNS, "name": routerPod, "uid": p.Metadata.UID,
	}}, out["pod"])
	deps, err := viewer.ListDependencies(ctx, storeFilter("cluster"))
	require.NoError(t, err)
	require.Len(t, deps, 1, "the proxy recorded its dependency on the server")
	assert.Equal(t, "router", deps[0].SourceDeploymentID)

	// Who did what: each install under its own token.
	records, err := srv.client(t, srv.admin).ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	var installers []string
	for _, r := range records {
		if r.Action == "install" && r.Outcome == "ok" {
			installers = append(installers, r.Principal)
		}
	}
	assert.Equal(t, []string{"cluster-team", "router-team"}, installers)

	// The router team may not pull the cluster from under its router.
	code, msg := routerTeam.gantryCode(t, "uninstall", "cluster")
	assert.Equal(t, exitBusy, code, "gantry uninstall cluster:\n%s", msg)
	assert.Contains(t, msg, "other deployments depend on this one: router")

	routerTeam.mustGantry(t, "uninstall", "router")
	assert.Nil(t, getPod(t, env, routerNS, routerPod), "the pod is deleted on uninstall")
	clusterTeam.mustGantry(t, "uninstall", "cluster")
	got = nodeLabels(t, env, node)
	assert.NotContains(t, got, "role")
	assert.NotContains(t, got, "gantry-e2e")
	_, err = viewer.GetDeployment(ctx, "cluster")
	assert.ErrorIs(t, err, api.ErrNotFound)
}

// gantryServer is a `gantry server` process on loopback over a store of
// its own, with an admin token.
type gantryServer struct {
	dir, store, url, admin string
}

// serverListening is the line where `gantry server` says where it listens.
var serverListening = regexp.MustCompile(`gantry server listening on (http://\S+) `)

// startGantryServer starts the gantry binary's server (port 0) and stops
// it (SIGTERM) when the test ends.
func startGantryServer(t *testing.T) *gantryServer {
	t.Helper()
	dir := t.TempDir()
	s := &gantryServer{dir: dir, store: filepath.Join(dir, "server", "gantry.db")}
	s.admin = s.token(t, "admin", "admin")
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(gantryBinary(t), "server", "--listen", "127.0.0.1:0", "--store", s.store)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(time.Minute):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("gantry server log:\n%s", b)
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for s.url == "" {
		select {
		case err := <-exited:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("gantry server exited (%v):\n%s", err, b)
		default:
		}
		require.True(t, time.Now().Before(deadline), "gantry server did not listen within 30s")
		if f, err := os.Open(logPath); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if m := serverListening.FindStringSubmatch(sc.Text()); m != nil {
					s.url = m[1]
				}
			}
			f.Close()
		}
		time.Sleep(20 * time.Millisecond)
	}
	return s
}

// token creates a token on the server's machine (`gantry server tokens
// create --out`, the store's owner) and returns it.
func (s *gantryServer) token(t *testing.T, name, role string) string {
	t.Helper()
	file := filepath.Join(s.dir, name+".token")
	o := &team{name: "owner", profiles: filepath.Join(s.dir, "owner", "profiles.json")}
	o.mustGantry(t, "server", "tokens", "create", "--name", name, "--role", role, "--out", file, "--store", s.store)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return strings.TrimSpace(string(b))
}

// client is an HTTP client of the server with token.
func (s *gantryServer) client(t *testing.T, token string) *remote.Client {
	t.Helper()
	c, err := remote.New(remote.Config{URL: s.url, Token: token})
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// team is a CLI user on a machine of its own: its profiles file, with one
// profile in use that points at the server with an operator token.
type team struct {
	name, profiles, token string
}

// team makes an operator token named name and a profile that uses it.
func (s *gantryServer) team(t *testing.T, name string) *team {
	t.Helper()
	tm := &team{name: name, profiles: filepath.Join(s.dir, name, "profiles.json")}
	tm.token = s.token(t, name, "operator")
	tokenFile := filepath.Join(s.dir, name, "token")
	require.NoError(t, os.MkdirAll(filepath.Dir(tokenFile), 0o700))
	require.NoError(t, os.WriteFile(tokenFile, []byte(tm.token+"\n"), 0o600))
	tm.mustGantry(t, "profiles", "add", name, "--url", s.url, "--token-file", tokenFile, "--use")
	return tm
}

// gantryCode runs the gantry binary as this team and returns its exit code
// and combined output.
func (tm *team) gantryCode(t *testing.T, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gantryBinary(t), args...)
	cmd.Env = cleanEnv("NO_COLOR=1")
	if tm.profiles != "" {
		cmd.Env = append(cmd.Env, "GANTRY_PROFILES="+tm.profiles)
	}
	return runCode(t, cmd)
}

// gantry runs the gantry binary as this team, whatever the outcome (clean-ups).
func (tm *team) gantry(t *testing.T, args ...string) {
	t.Helper()
	_, _ = tm.gantryCode(t, args...)
}

// mustGantry runs the gantry binary as this team, requires success and
// returns its output.
func (tm *team) mustGantry(t *testing.T, args ...string) string {
	t.Helper()
	code, out := tm.gantryCode(t, args...)
	require.Equal(t, 0, code, "gantry %s (%s):\n%s", strings.Join(args, " "), tm.name, out)
	return out
}

// cleanEnv is this process's environment without what points the CLI at
// a store or a server, plus extra.
func cleanEnv(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "GANTRY_URL", "GANTRY_TOKEN", "GANTRY_STORE", "GANTRY_PROFILES", "GANTRY_PROFILE", "GANTRY_CA":
			continue
		}
		out = append(out, kv)
	}
	return append(out, extra...)
}

// inputsFile writes inputs to a JSON file for `-i`.
func inputsFile(t *testing.T, inputs map[string]any) string {
	t.Helper()
	b, err := json.Marshal(inputs)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), fmt.Sprintf("inputs-%d.json", time.Now().UnixNano()))
	require.NoError(t, os.WriteFile(path, b, 0o600))
	return path
}
