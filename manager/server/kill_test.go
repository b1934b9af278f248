package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/remote"
	"github.com/gantryhq/gantry/store"
)

// A chain n1 <- n2 <- n3 <- n4 (each depends on the one before); every
// create logs "start|end <node>", n3's waits for $RELEASE in between.
const chainBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
node_types:
  t.Op:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: op.sh, executor: central_deployment_agent}
node_templates:
  n1: {type: t.Op}
  n2: {type: t.Op, relationships: [{type: cloudify.relationships.depends_on, target: n1}]}
  n3:
    type: t.Op
    relationships: [{type: cloudify.relationships.depends_on, target: n2}]
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: block.sh, executor: central_deployment_agent}
  n4: {type: t.Op, relationships: [{type: cloudify.relationships.depends_on, target: n3}]}
`

const opScript = `#!/bin/bash
node=${GANTRY_NODE_INSTANCE_ID%_*}
echo "start $node" >> "$LOG"
echo "end $node" >> "$LOG"
`

const blockScript = `#!/bin/bash
node=${GANTRY_NODE_INSTANCE_ID%_*}
echo "start $node" >> "$LOG"
for i in $(seq 600); do [ -e "$RELEASE" ] && break; sleep 0.1; done
echo "end $node" >> "$LOG"
`

// writeChain writes the chain blueprint and its scripts into work/chain
// and returns that folder.
func writeChain(t *testing.T, work string) string {
	t.Helper()
	bp := filepath.Join(work, "chain")
	require.NoError(t, os.MkdirAll(bp, 0o755))
	for name, body := range map[string]string{"blueprint.yaml": chainBlueprint, "op.sh": opScript, "block.sh": blockScript} {
		require.NoError(t, os.WriteFile(filepath.Join(bp, name), []byte(body), 0o755))
	}
	return bp
}

// gantryServer is a `gantry server` process of the built binary.
type gantryServer struct {
	cmd    *exec.Cmd
	url    string
	exited chan struct{} // closed once the process is reaped
}

var listeningLine = regexp.MustCompile(`gantry server listening on (http://\S+) `)

func startGantryServer(t *testing.T, bin, storePath string, env []string) *gantryServer {
	t.Helper()
	cmd := exec.Command(bin, "server", "--listen", "127.0.0.1:0", "--store", storePath)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	s := &gantryServer{cmd: cmd, exited: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listeningLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() {
		_ = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-s.exited
	})
	select {
	case s.url = <-found:
	case <-s.exited:
		t.Fatalf("gantry server exited: %v", cmd.ProcessState)
	case <-time.After(30 * time.Second):
		t.Fatal("gantry server did not listen within 30s")
	}
	return s
}

func buildGantry(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(t.TempDir(), "gantry")
	out, err := exec.Command(goBin, "build", "-o", bin, "github.com/gantryhq/gantry/cmd/gantry").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

func countOf(t *testing.T, logFile, line string) int {
	b, err := os.ReadFile(logFile)
	if os.IsNotExist(err) {
		return 0
	}
	require.NoError(t, err)
	return strings.Count(string(b), line+"\n")
}

// TestServerKilledMidInstall: `gantry server` killed with SIGKILL while an
// install it runs waits in an operation; restarted on the same store, it
// reports the execution interrupted, and `gantry executions resume`
// through it completes the install. Operations recorded as done do not run
// again; only the one running at the kill does.
func TestServerKilledMidInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the gantry binary")
	}
	bin := buildGantry(t)
	work := t.TempDir()
	logFile, release := filepath.Join(work, "ops.log"), filepath.Join(work, "release")
	storePath := filepath.Join(work, "server", "gantry.db")
	require.NoError(t, os.MkdirAll(filepath.Dir(storePath), 0o700))
	bp := writeChain(t, work)
	// The first admin token, made on the store as the server's owner does.
	st, err := store.OpenBolt(storePath, store.Options{})
	require.NoError(t, err)
	mgr, err := manager.New(manager.Config{Store: st, DataDir: filepath.Join(work, "data")})
	require.NoError(t, err)
	tok, err := mgr.CreateToken(context.Background(), api.CreateTokenRequest{Name: "admin", Role: api.RoleAdmin})
	require.NoError(t, err)
	require.NoError(t, mgr.Close())
	require.NoError(t, st.Close())
	env := append(os.Environ(), "LOG="+logFile, "RELEASE="+release, "HOME="+work)

	srv := startGantryServer(t, bin, storePath, env)
	c, err := remote.New(remote.Config{URL: srv.url, Token: tok.Bearer})
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	started, err := c.Install(ctx, api.InstallRequest{Path: bp, DeploymentID: "crash"})
	require.NoError(t, err)
	execID := started.Run.Execution().ID
	deadline := time.Now().Add(60 * time.Second)
	for countOf(t, logFile, "start n3") == 0 {
		require.True(t, time.Now().Before(deadline), "n3 never started")
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // n1 and n2's success is written behind: let it land
	require.NoError(t, srv.cmd.Process.Kill())
	<-srv.exited
	_ = c.Close()

	// Restarted: the execution reads back interrupted.
	srv = startGantryServer(t, bin, storePath, env)
	c2, err := remote.New(remote.Config{URL: srv.url, Token: tok.Bearer})
	require.NoError(t, err)
	defer c2.Close()
	e, err := c2.GetExecution(ctx, execID)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionFailed, e.Status)
	assert.Contains(t, e.Error, "interrupted")

	// Resume through the server with the CLI: the install completes.
	require.NoError(t, os.WriteFile(release, nil, 0o644))
	resume := exec.Command(bin, "executions", "resume", execID)
	resume.Env = append(env, "GANTRY_URL="+srv.url, "GANTRY_TOKEN="+tok.Bearer)
	out, err := resume.CombinedOutput()
	require.NoError(t, err, "gantry executions resume: %s", out)
	e, err = c2.GetExecution(ctx, execID)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionTerminated, e.Status, e.Error)

	for node, starts := range map[string]int{"n1": 1, "n2": 1, "n3": 2, "n4": 1} {
		assert.Equal(t, starts, countOf(t, logFile, "start "+node), fmt.Sprintf("%s started", node))
		assert.Equal(t, 1, countOf(t, logFile, "end "+node), fmt.Sprintf("%s ended", node))
	}
	nis, err := c2.ListNodeInstances(ctx, "crash", "")
	require.NoError(t, err)
	for _, ni := range nis {
		assert.Equal(t, "started", string(ni.State), ni.ID)
	}
}
