package script

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// The test binary doubles as the ctx command (see RunCtxIfInvoked).
func TestMain(m *testing.M) {
	RunCtxIfInvoked()
	os.Exit(m.Run())
}

type logLine struct {
	level plugins.Level
	msg   string
}

type opFixture struct {
	dir  string
	oc   *plugins.Context
	mu   sync.Mutex
	logs []logLine
}

func (f *opFixture) lines() []logLine {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]logLine(nil), f.logs...)
}

func (f *opFixture) messages() []string {
	var out []string
	for _, l := range f.lines() {
		out = append(out, l.msg)
	}
	return out
}

// newOp writes the script into a fresh blueprint folder and returns an
// operation context that runs it.
func newOp(t *testing.T, name, body string, inputs map[string]any) *opFixture {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o755))
	f := &opFixture{dir: dir}
	node := &tosca.Node{ID: "web", Name: "web", Type: "my.Web", TypeHierarchy: []string{tosca.TypeRoot, "my.Web"},
		Properties: map[string]any{"port": 8080.0, "name": "hello", "nested": map[string]any{"a": map[string]any{"b": "deep"}}}}
	inst := &tosca.NodeInstance{ID: "web_abc123", Name: "web_abc123", NodeID: "web", HostID: "vm_1"}
	if inputs == nil {
		inputs = map[string]any{}
	}
	f.oc = &plugins.Context{
		DeploymentID: "dep1", ExecutionID: "exec1", Workflow: "install", BlueprintDir: dir,
		OperationName: "cloudify.interfaces.lifecycle.create",
		Operation:     &tosca.Operation{Plugin: Name, Operation: "script_runner.tasks.run", ScriptPath: name, Inputs: inputs},
		Inputs:        inputs, Node: node, Instance: inst,
		Runtime: plugins.NewMapRuntime(nil, nil, nil),
		Logger: plugins.LoggerFunc(func(l plugins.Level, m string) {
			f.mu.Lock()
			f.logs = append(f.logs, logLine{l, m})
			f.mu.Unlock()
		}),
	}
	return f
}

func newPlugin(t *testing.T) *Plugin {
	t.Helper()
	p := New(Config{KillGrace: 200 * time.Millisecond})
	t.Cleanup(func() { require.NoError(t, p.Close()) })
	return p
}

func TestBashCtxRoundTrip(t *testing.T) {
	f := newOp(t, "scripts/create.sh", `
set -euo pipefail
echo "port is $(ctx node properties port)"
echo "deep is $(ctx node properties nested.a.b) and $(ctx node properties nested a b)"
echo "node $(ctx node id) $(ctx node name) $(ctx node type)"
echo "instance $(ctx instance id) on $(ctx instance host-id)"
echo "deployment $(ctx deployment id) execution $(ctx execution-id)"
ctx instance runtime-properties ip 10.0.0.1
ctx instance runtime-properties port 8080
ctx instance runtime-properties config.tls.enabled true
ctx instance runtime-properties list '[1,"two"]'
ctx instance runtime-properties word 'not json'
echo "ip back: $(ctx instance runtime-properties ip)"
echo "missing: [$(ctx instance runtime-properties nope)]"
ctx logger warn "careful now"
ctx returns '{"ok": true}'
echo to-stderr >&2
`, nil)
	p := newPlugin(t)
	ret, err := p.Run(context.Background(), f.oc)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ok": true}, ret)
	assert.Equal(t, map[string]any{
		"ip": "10.0.0.1", "port": 8080.0, "config": map[string]any{"tls": map[string]any{"enabled": true}},
		"list": []any{1.0, "two"}, "word": "not json",
	}, f.oc.Runtime.All())
	msgs := f.messages()
	assert.Contains(t, msgs, "port is 8080")
	assert.Contains(t, msgs, "deep is deep and deep")
	assert.Contains(t, msgs, "node web web my.Web")
	assert.Contains(t, msgs, "instance web_abc123 on vm_1")
	assert.Contains(t, msgs, "deployment dep1 execution exec1")
	assert.Contains(t, msgs, "ip back: 10.0.0.1")
	assert.Contains(t, msgs, "missing: []")
	assert.Contains(t, f.lines(), logLine{plugins.LevelWarn, "careful now"})
	assert.Contains(t, f.lines(), logLine{plugins.LevelWarn, "to-stderr"})
}

func TestPythonCtxRoundTrip(t *testing.T) {
	f := newOp(t, "create.py", `
import json, os, subprocess
def ctx(*args):
    return subprocess.check_output(["ctx"] + list(args)).decode().strip()
port = int(ctx("node", "properties", "port"))
ctx("instance", "runtime-properties", "port", str(port + 1))
ctx("instance", "runtime-properties", "who", os.environ["WHO"])
ctx("instance", "runtime-properties", "cfg", os.environ["CFG"])
ctx("logger", "info", "python here")
print("stdout line 1")
print("stdout line 2", flush=True)
ctx("returns", "42")
`, map[string]any{"WHO": "world", "CFG": map[string]any{"x": 1}})
	p := newPlugin(t)
	ret, err := p.Run(context.Background(), f.oc)
	require.NoError(t, err)
	assert.Equal(t, 42.0, ret)
	assert.Equal(t, map[string]any{"port": 8081.0, "who": "world", "cfg": map[string]any{"x": 1.0}}, f.oc.Runtime.All())
	assert.Equal(t, []string{"python here", "stdout line 1", "stdout line 2"}, f.messages())
}

func TestInputsAsEnvironment(t *testing.T) {
	f := newOp(t, "env.sh", `
echo "S=$S"
echo "N=$N"
echo "M=$M"
echo "L=$L"
echo "B=$B"
`, map[string]any{"S": "plain string", "N": 3.5, "M": map[string]any{"k": "v"}, "L": []any{"a", 1.0}, "B": true, "bad-name": "x"})
	_, err := newPlugin(t).Run(context.Background(), f.oc)
	require.NoError(t, err)
	msgs := f.messages()
	for _, want := range []string{"S=plain string", "N=3.5", `M={"k":"v"}`, `L=["a",1]`, "B=true"} {
		assert.Contains(t, msgs, want)
	}
}

func TestScriptOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		file, body string
		check      func(t *testing.T, ret any, err error)
	}{
		{"exit status is a recoverable error with stderr tail", "fail.sh", "echo oops >&2\nexit 3\n", func(t *testing.T, _ any, err error) {
			require.Error(t, err)
			assert.False(t, plugins.IsNonRecoverable(err))
			assert.Contains(t, err.Error(), "exited with status 3")
			assert.Contains(t, err.Error(), "oops")
		}},
		{"retry-operation asks for a retry after N seconds", "retry.sh", "ctx retry-operation 'not yet' 7\n", func(t *testing.T, _ any, err error) {
			r, ok := plugins.AsRetry(err)
			require.True(t, ok, "%v", err)
			assert.Equal(t, "not yet", r.Message)
			assert.Equal(t, 7*time.Second, r.After)
		}},
		{"abort-operation is non-recoverable even with exit 0", "abort.sh", "ctx abort-operation 'give up'\nexit 0\n", func(t *testing.T, _ any, err error) {
			require.Error(t, err)
			assert.True(t, plugins.IsNonRecoverable(err))
			assert.Contains(t, err.Error(), "give up")
		}},
		{"shebang without exec bit", "noexec", "#!/bin/sh\nctx returns hi\n", func(t *testing.T, ret any, err error) {
			require.NoError(t, err)
			assert.Equal(t, "hi", ret)
		}},
		{"executable with shebang", "tool", "#!/usr/bin/env bash\nctx returns '[1]'\n", func(t *testing.T, ret any, err error) {
			require.NoError(t, err)
			assert.Equal(t, []any{1.0}, ret)
		}},
		{"no shebang and not executable", "plain.txt", "echo hi\n", func(t *testing.T, _ any, err error) {
			require.Error(t, err)
			assert.True(t, plugins.IsNonRecoverable(err))
			assert.ErrorIs(t, err, ErrScript)
		}},
		{"unknown ctx command fails the script", "badctx.sh", "set -e\nctx frobnicate\n", func(t *testing.T, _ any, err error) {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "unknown command")
		}},
		{"ctx source outside a relationship op", "src.sh", "set -e\nctx source node id\n", func(t *testing.T, _ any, err error) {
			require.Error(t, err)
			assert.Contains(t, err.Error(), "only available in relationship operations")
		}},
	}
	p := newPlugin(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newOp(t, tc.file, tc.body, nil)
			if tc.file == "noexec" || tc.file == "plain.txt" {
				require.NoError(t, os.Chmod(filepath.Join(f.dir, tc.file), 0o644))
			}
			ret, err := p.Run(context.Background(), f.oc)
			tc.check(t, ret, err)
		})
	}
}

func TestScriptPathErrors(t *testing.T) {
	p := newPlugin(t)
	for _, path := range []string{"missing.sh", "../escape.sh", "/etc/passwd", ""} {
		f := newOp(t, "x.sh", "true\n", nil)
		f.oc.Operation.ScriptPath = path
		_, err := p.Run(context.Background(), f.oc)
		require.Error(t, err, path)
		assert.True(t, plugins.IsNonRecoverable(err), path)
		assert.ErrorIs(t, err, ErrScript, path)
	}
}

func TestScriptPathFromInput(t *testing.T) {
	f := newOp(t, "viainput.sh", "ctx returns ok\n", map[string]any{"script_path": "viainput.sh"})
	f.oc.Operation.ScriptPath = ""
	ret, err := newPlugin(t).Run(context.Background(), f.oc)
	require.NoError(t, err)
	assert.Equal(t, "ok", ret)
}

func TestRelationshipCtx(t *testing.T) {
	f := newOp(t, "rel.sh", `
set -e
ctx target instance runtime-properties seen_by "$(ctx source instance id)"
echo "target node $(ctx target node id) port $(ctx target node properties port)"
ctx source instance runtime-properties target_ip "$(ctx target instance runtime-properties ip)"
`, nil)
	tgtRT := plugins.NewMapRuntime(nil, map[string]any{"ip": "10.1.1.1"}, nil)
	f.oc.Relationship = &tosca.Relationship{Type: tosca.RelConnectedTo, TargetID: "db"}
	f.oc.Source = &plugins.Endpoint{Node: f.oc.Node, Instance: f.oc.Instance, Runtime: f.oc.Runtime}
	f.oc.Target = &plugins.Endpoint{Node: &tosca.Node{ID: "db", Properties: map[string]any{"port": 5432.0}}, Instance: &tosca.NodeInstance{ID: "db_1"}, Runtime: tgtRT}
	_, err := newPlugin(t).Run(context.Background(), f.oc)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ip": "10.1.1.1", "seen_by": "web_abc123"}, tgtRT.All())
	assert.Equal(t, map[string]any{"target_ip": "10.1.1.1"}, f.oc.Runtime.All())
	assert.Contains(t, f.messages(), "target node db port 5432")
}

// pidAlive reports whether a process exists (and is not a zombie we own).
func pidAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	require.Eventually(t, func() bool { return !pidAlive(pid) }, 5*time.Second, 20*time.Millisecond, "process %d survived", pid)
}

// A script that leaves a background child: the timeout kills both.
func TestTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	f := newOp(t, "hang.sh", "sleep 300 &\necho $! > \"$PIDFILE\"\nsleep 300\n", map[string]any{"PIDFILE": pidFile})
	timeout := 0.5
	f.oc.Timeout = time.Duration(timeout * float64(time.Second))
	start := time.Now()
	_, err := newPlugin(t).Run(context.Background(), f.oc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "timed out")
	assert.False(t, plugins.IsNonRecoverable(err))
	assert.Less(t, time.Since(start), 4*time.Second)
	b, rerr := os.ReadFile(pidFile)
	require.NoError(t, rerr)
	child, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	require.Positive(t, child)
	waitDead(t, child)
}

// Cancelling the context (forced cancel) kills the group too, even a child
// that ignores SIGTERM.
func TestCancelKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "child.pid")
	f := newOp(t, "stubborn.sh", "bash -c 'trap \"\" TERM; sleep 300' &\necho $! > \"$PIDFILE\"\nwait\n", map[string]any{"PIDFILE": pidFile})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// The file exists (empty) before echo writes into it: wait for the pid.
		require.Eventually(t, func() bool { b, err := os.ReadFile(pidFile); return err == nil && strings.TrimSpace(string(b)) != "" },
			5*time.Second, 10*time.Millisecond)
		cancel()
	}()
	_, err := newPlugin(t).Run(ctx, f.oc)
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled), "%v", err)
	b, _ := os.ReadFile(pidFile)
	child, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	require.Positive(t, child)
	waitDead(t, child)
}

func TestCtxOutsideOperation(t *testing.T) {
	t.Setenv(EnvSocket, "")
	var out, errb strings.Builder
	assert.Equal(t, ctxExitUsage, ctxMain([]string{"node", "id"}, &out, &errb))
	assert.Contains(t, errb.String(), "not running inside a Gantry operation")
}

func TestCtxRejectsBadToken(t *testing.T) {
	p := newPlugin(t)
	srv, err := p.server()
	require.NoError(t, err)
	fi, err := os.Stat(srv.sock)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	di, err := os.Stat(srv.dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), di.Mode().Perm())
	t.Setenv(EnvSocket, srv.sock)
	t.Setenv(EnvToken, "forged")
	var out, errb strings.Builder
	assert.Equal(t, ctxExitError, ctxMain([]string{"node", "id"}, &out, &errb))
	assert.Contains(t, errb.String(), "unknown or expired operation token")
}

func TestCloseRemovesDirectory(t *testing.T) {
	p := New(Config{})
	srv, err := p.server()
	require.NoError(t, err)
	require.NoError(t, p.Close())
	_, err = os.Stat(srv.dir)
	assert.True(t, os.IsNotExist(err))
	f := newOp(t, "x.sh", "true\n", nil)
	_, err = p.Run(context.Background(), f.oc)
	assert.Error(t, err)
}
