//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/workflow"
)

// Blueprint folders, relative to this package.
const (
	clusterBlueprint      = "../blueprints/kubernetes-cluster"
	routerBlueprint       = "../blueprints/quagga-router"
	masterBlueprint       = "testdata/master"
	microserviceBlueprint = "testdata/microservice"
	proxyBlueprint        = "testdata/proxy"
)

var (
	binOnce sync.Once
	binDir  string
	binPath string
	binErr  error
)

// TestMain lets the test binary serve as the scripts' `ctx` command and
// removes the gantry binary built for CLI checks.
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	code := m.Run()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// gantryBinary builds cmd/gantry once per test binary.
func gantryBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		binDir, binErr = os.MkdirTemp("", "gantry-e2e-bin-")
		if binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "gantry")
		out, err := exec.Command("go", "build", "-o", binPath, "../cmd/gantry").CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build ./cmd/gantry: %w\n%s", err, out)
		}
	})
	require.NoError(t, binErr)
	return binPath
}

// world is one test's Gantry: a manager over a bbolt store of its own, with
// every event of its executions captured and an optional fault hook.
type world struct {
	t      *testing.T
	env    *testenv.Env
	dbPath string

	st *store.BoltStore
	m  *manager.Manager

	mu     sync.Mutex
	events []*api.Event
	hook   func(*api.Event)
}

func newWorld(t *testing.T, env *testenv.Env) *world {
	t.Helper()
	w := &world{t: t, env: env, dbPath: filepath.Join(t.TempDir(), "gantry.db")}
	w.open()
	t.Cleanup(w.close)
	return w
}

// open opens the store and a new manager on it (a new SSH pool, as a new
// gantry process would have).
func (w *world) open() {
	w.t.Helper()
	st, err := store.OpenBolt(w.dbPath, store.Options{})
	require.NoError(w.t, err)
	m, err := manager.New(manager.Config{
		Store:   st,
		DataDir: filepath.Join(filepath.Dir(w.dbPath), "data"),
		OnEvent: w.onEvent,
	})
	require.NoError(w.t, err)
	w.st, w.m = st, m
}

// close closes the manager and the store (so that a gantry process can open it).
func (w *world) close() {
	if w.m != nil {
		_ = w.m.Close()
		w.m = nil
	}
	if w.st != nil {
		_ = w.st.Close()
		w.st = nil
	}
}

// reopen starts over with a fresh manager: a fresh SSH pool.
func (w *world) reopen() {
	w.t.Helper()
	w.close()
	w.open()
}

func (w *world) onEvent(e *api.Event) {
	w.mu.Lock()
	w.events = append(w.events, e)
	hook := w.hook
	w.mu.Unlock()
	if hook != nil {
		hook(e)
	}
}

// setHook installs f as the fault hook; it runs synchronously in the
// goroutine that emitted the event (blocking it is how a fault is made to
// happen at an exact point).
func (w *world) setHook(f func(*api.Event)) {
	w.mu.Lock()
	w.hook = f
	w.mu.Unlock()
}

// eventsOf returns the captured events of one deployment.
func (w *world) eventsOf(deploymentID string) []*api.Event {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*api.Event
	for _, e := range w.events {
		if e.DeploymentID == deploymentID {
			out = append(out, e)
		}
	}
	return out
}

// create uploads (or reuses) the blueprint folder and creates a deployment.
func (w *world) create(deploymentID, blueprintDir string, inputs map[string]any) {
	w.t.Helper()
	ctx := context.Background()
	bp, _, err := w.m.EnsureBlueprint(ctx, "", blueprintDir)
	require.NoError(w.t, err, "upload %s", blueprintDir)
	_, err = w.m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: deploymentID, BlueprintID: bp.ID, Inputs: inputs})
	require.NoError(w.t, err, "create deployment %s", deploymentID)
}

// run runs a workflow to its end. The error is the manager's refusal to
// start it; a failed execution is reported in the result.
func (w *world) run(deploymentID, wf string, params map[string]any, opts manager.ExecOptions) (*store.Execution, *workflow.Result, error) {
	w.t.Helper()
	ctx := context.Background()
	r, err := w.m.StartExecution(ctx, api.StartRequest{DeploymentID: deploymentID, Workflow: wf, Parameters: params, Options: opts})
	if err != nil {
		return nil, nil, err
	}
	e, werr := r.Wait(ctx)
	res := r.(*manager.Running).Result()
	require.NotNil(w.t, res, "%s of %s: %v", wf, deploymentID, werr)
	require.NoError(w.t, werr, "%s of %s", wf, deploymentID)
	return e, res, nil
}

// mustRun runs a workflow and requires it to succeed.
func (w *world) mustRun(deploymentID, wf string, params map[string]any, opts manager.ExecOptions) *store.Execution {
	w.t.Helper()
	e, res, err := w.run(deploymentID, wf, params, opts)
	require.NoError(w.t, err, "starting %s of %s", wf, deploymentID)
	require.Equal(w.t, workflow.StatusTerminated, res.Status, "%s of %s: %v\nevents:\n%s", wf, deploymentID, res.Err, w.dump(deploymentID))
	require.Equal(w.t, store.ExecutionTerminated, e.Status)
	return e
}

// mustFail runs a workflow and requires it to fail; it returns the stored
// execution (whose Error is what `gantry executions get` shows).
func (w *world) mustFail(deploymentID, wf string, opts manager.ExecOptions) *store.Execution {
	w.t.Helper()
	e, res, err := w.run(deploymentID, wf, nil, opts)
	require.NoError(w.t, err, "starting %s of %s", wf, deploymentID)
	require.Equal(w.t, workflow.StatusFailed, res.Status, "%s of %s should have failed\nevents:\n%s", wf, deploymentID, w.dump(deploymentID))
	require.Equal(w.t, store.ExecutionFailed, e.Status)
	require.NotEmpty(w.t, e.Error)
	return e
}

// uninstallAndDelete uninstalls a deployment and deletes it.
func (w *world) uninstallAndDelete(deploymentID string) {
	w.t.Helper()
	w.mustRun(deploymentID, "uninstall", nil, manager.ExecOptions{})
	require.NoError(w.t, w.m.DeleteDeployment(context.Background(), deploymentID, false))
}

// bestEffortUninstall uninstalls deployments in order at cleanup, ignoring
// failures (the direct kubectl clean-ups registered by the tests are the
// guarantee; this gives Gantry the first chance).
func (w *world) bestEffortUninstall(deploymentIDs ...string) {
	w.t.Cleanup(func() {
		if w.m == nil {
			return
		}
		ctx := context.Background()
		for _, id := range deploymentIDs {
			d, err := w.st.GetDeployment(ctx, id)
			if err != nil || d == nil {
				continue
			}
			r, err := w.m.StartExecution(ctx, api.StartRequest{DeploymentID: id, Workflow: "uninstall", Parameters: map[string]any{"force": true, "ignore_failure": true}})
			if err != nil {
				w.t.Logf("cleanup: uninstall %s: %v", id, err)
				continue
			}
			tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			if _, err := r.Wait(tctx); err != nil {
				w.t.Logf("cleanup: uninstall %s: %v", id, err)
			}
			cancel()
		}
	})
}

// dump formats a deployment's captured events for failure messages.
func (w *world) dump(deploymentID string) string {
	var b strings.Builder
	for _, e := range w.eventsOf(deploymentID) {
		fmt.Fprintf(&b, "  %s %-20s %s %s %s %s\n", e.Timestamp.Format("15:04:05.000"), e.Type, e.NodeInstanceID, e.Operation, e.Message, e.Error)
	}
	return b.String()
}

// cli runs the gantry binary on this world's store (which the world must
// have closed) and returns its exit code and combined output.
func (w *world) cli(args ...string) (int, string) {
	w.t.Helper()
	require.Nil(w.t, w.m, "close the world before running the CLI on its store")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gantryBinary(w.t), append([]string{"--store", w.dbPath}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return runCode(w.t, cmd)
}

// runCode runs cmd and returns its exit code and combined output; a
// command that could not run fails the test.
func runCode(t testing.TB, cmd *exec.Cmd) (int, string) {
	t.Helper()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0, out.String()
	case errors.As(err, &ee):
		return ee.ExitCode(), out.String()
	}
	t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out.String())
	return -1, ""
}

// sshInputs are the SSH settings of the testdata blueprints.
func sshInputs(env *testenv.Env, knownHosts string) map[string]any {
	return map[string]any{
		"ip":              env.SSHHost,
		"ssh_port":        env.SSHPort,
		"ssh_username":    env.SSHUser,
		"ssh_keyfilename": env.SSHKeyPath,
		"known_hosts":     knownHosts,
	}
}

// with returns a copy of m with more entries.
func with(m map[string]any, kv ...any) map[string]any {
	out := make(map[string]any, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// uniqueName returns a DNS-safe name unique to this test run.
func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%x", prefix, time.Now().UnixNano()&0xffffffffff)
}

// storeFilter selects the dependencies on a target deployment.
func storeFilter(target string) store.DependencyFilter {
	return store.DependencyFilter{TargetDeploymentID: target}
}

// testenvRequire takes the environment for shared use.
func testenvRequire(t *testing.T) *testenv.Env { return testenv.Require(t) }

// testenvRequireExclusive takes the environment for a test that stops components.
func testenvRequireExclusive(t *testing.T) *testenv.Env { return testenv.RequireExclusive(t) }

// logsOfType returns the messages and errors of a deployment's events of one type.
func (w *world) logsOfType(deploymentID string, typ string) []string {
	var out []string
	for _, e := range w.eventsOf(deploymentID) {
		if e.Type == typ {
			out = append(out, strings.TrimSpace(e.Message+" "+e.Error))
		}
	}
	return out
}

// dnsName is the plugin's ${instance_name} for an instance id.
func dnsName(instanceID string) string {
	return strings.ToLower(strings.ReplaceAll(instanceID, "_", "-"))
}
