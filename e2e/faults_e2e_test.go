//go:build e2e

package e2e

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/testenv"
)

// fault stops a component when an execution reaches a point, and starts it
// again after a pause in the background (or, with a negative pause, when
// the test calls restart). With after set, the pause starts at the first
// event after the stop that after matches (e.g. the plugin's first retry)
// instead of at the stop: the execution has met the fault whatever the
// load, not only if it got there before a timer. Whatever happens to the
// test, its clean-up waits until the component is back, before the
// clean-ups that need it.
type fault struct {
	stop, start func() error
	pause       time.Duration
	after       func(*api.Event) bool

	mu         sync.Mutex
	fired      bool
	stoppedAt  time.Time
	restarting bool       // the background start was launched
	restarted  chan error // the background start's result
	settled    bool
}

// at returns an event hook that injects the fault at the first event
// matching when. The stop runs inside the hook, so the operation that
// emitted the event goes on only once the component is down.
func (f *fault) at(t *testing.T, when func(*api.Event) bool) func(*api.Event) {
	t.Cleanup(func() { f.settle(t) })
	return func(e *api.Event) {
		f.mu.Lock()
		if f.fired {
			begin := f.after != nil && f.pause >= 0 && !f.restarting && !f.stoppedAt.IsZero() && f.after(e)
			if begin {
				f.restarting = true
			}
			f.mu.Unlock()
			if begin {
				f.restartAfterPause()
			}
			return
		}
		if !when(e) {
			f.mu.Unlock()
			return
		}
		f.fired = true
		f.restarted = make(chan error, 1)
		f.mu.Unlock()
		if err := f.stop(); err != nil {
			t.Errorf("injecting the fault: %v", err)
			f.mu.Lock()
			f.restarting = true
			f.mu.Unlock()
			f.restarted <- nil
			return
		}
		f.mu.Lock()
		f.stoppedAt = time.Now()
		begin := f.pause >= 0 && f.after == nil
		f.restarting = f.restarting || begin
		f.mu.Unlock()
		if begin {
			f.restartAfterPause()
		}
	}
}

// restartAfterPause starts the component in the background after the pause.
func (f *fault) restartAfterPause() {
	go func() {
		time.Sleep(f.pause)
		f.restarted <- f.start()
	}()
}

// stopped returns when the component was stopped (zero: never).
func (f *fault) stopped() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.stoppedAt
}

// restart starts the component now (for a negative pause).
func (f *fault) restart() error {
	f.mu.Lock()
	f.settled = true
	f.mu.Unlock()
	return f.start()
}

// settle waits until the component is back: the background start's end,
// or a start now when nothing started it (a negative pause the test did
// not restart itself, or an after that never matched).
func (f *fault) settle(t *testing.T) {
	t.Helper()
	f.mu.Lock()
	if !f.fired || f.settled {
		f.mu.Unlock()
		return
	}
	f.settled = true
	ch, launched := f.restarted, f.restarting
	f.mu.Unlock()
	if !launched {
		assert.NoError(t, f.start(), "restarting the component")
		return
	}
	select {
	case err := <-ch:
		assert.NoError(t, err, "restarting the component")
	case <-time.After(3 * time.Minute):
		t.Error("the component was not restarted")
	}
}

// proxyFoundCluster matches the proxy's log line saying the cluster
// deployment is installed: the point right before the Microservice, the
// first operation of the router install that needs SSH and the API server.
func proxyFoundCluster(e *api.Event) bool {
	return e.DeploymentID == "router" && e.Type == api.EventLog && e.NodeID == "kubernetes_proxy" &&
		strings.Contains(e.Message, "is installed")
}

// kubectlRetried matches the plugin's warning that a kubectl call of a
// deployment's node failed and is retried.
func kubectlRetried(deploymentID, nodeID string) func(*api.Event) bool {
	return func(e *api.Event) bool {
		return e.DeploymentID == deploymentID && e.Type == api.EventLog && e.NodeID == nodeID &&
			e.Level == string(plugins.LevelWarn) && strings.Contains(e.Message, "retrying")
	}
}

// installClusterThenFreshManager installs the cluster deployment and then
// replaces the manager, so that the router install starts with an empty
// SSH pool, as a new `gantry install` process would.
func installClusterThenFreshManager(t *testing.T, env *testenv.Env, node string) *world {
	w := newWorld(t, env)
	w.bestEffortUninstall("router", "cluster")
	w.create("cluster", clusterBlueprint, clusterInputs(t, env, node, nil))
	w.mustRun("cluster", "install", nil, manager.ExecOptions{})
	w.reopen()
	require.Zero(t, w.m.SSHStats().Dials)
	return w
}

// TestRouterInstallSurvivesSSHDRestart stops sshd right before the router's
// Microservice connects and starts it 10 s later: the pool keeps dialling
// with backoff and the install completes on its own.
func TestRouterInstallSurvivesSSHDRestart(t *testing.T) {
	const node = "kwok-node-2"
	const interfaces, routes = "eth5", "10.77.0.0/16 10.200.0.1"
	env := routerEnv(t, node)
	w := installClusterThenFreshManager(t, env, node)

	f := &fault{stop: env.StopSSHD, start: env.StartSSHD, pause: 10 * time.Second}
	w.setHook(f.at(t, proxyFoundCluster))
	w.create("router", routerBlueprint, routerInputs(env, "cluster", interfaces, routes))
	w.mustRun("router", "install", nil, manager.ExecOptions{})
	done := time.Now()
	f.settle(t)
	w.setHook(nil)

	stoppedAt := f.stopped()
	require.False(t, stoppedAt.IsZero(), "the fault was injected")
	assert.GreaterOrEqual(t, done.Sub(stoppedAt), 10*time.Second, "the install waited for sshd")
	st := w.m.SSHStats()
	assert.EqualValues(t, 1, st.Dials, "one connection in the end")
	assert.Greater(t, st.Attempts, int64(2), "refused attempts were retried: %+v", st)
	t.Logf("sshd down %s; install done %s after the stop; pool %+v", f.pause, done.Sub(stoppedAt).Round(time.Millisecond), st)
	assertRouterPod(t, env, node, interfaces, routes)

	w.uninstallAndDelete("router")
	assert.Nil(t, getPod(t, env, routerNS, routerPod))
	w.uninstallAndDelete("cluster")
	assert.NotContains(t, nodeLabels(t, env, node), routerLabel)
}

// TestRouterInstallSurvivesAPIServerRestart stops the API server right
// before the router's kubectl apply and starts it again once the plugin
// logged its first retry (a fixed pause from the stop let a slow first
// kubectl call, under load, arrive after the restart and see no fault):
// kubectl's connection-refused failures are retried by the plugin and the
// install completes.
func TestRouterInstallSurvivesAPIServerRestart(t *testing.T) {
	const node = "kwok-node-0"
	const interfaces, routes = "eth7,eth8", "10.88.0.0/16 10.200.0.1"
	env := routerEnv(t, node)
	w := installClusterThenFreshManager(t, env, node)

	f := &fault{stop: env.StopAPIServer, start: env.StartAPIServer, after: kubectlRetried("router", "quagga")}
	w.setHook(f.at(t, proxyFoundCluster))
	w.create("router", routerBlueprint, routerInputs(env, "cluster", interfaces, routes))
	e := w.mustRun("router", "install", nil, manager.ExecOptions{})
	f.settle(t)
	w.setHook(nil)

	require.False(t, f.stopped().IsZero(), "the fault was injected")
	var retried []string
	for _, e := range w.eventsOf("router") {
		if kubectlRetried("router", "quagga")(e) {
			retried = append(retried, e.Message)
		}
	}
	require.NotEmpty(t, retried, "the plugin logged its kubectl retries\n%s", w.dump("router"))
	assert.Contains(t, strings.ToLower(strings.Join(retried, "\n")), "refused", "the retries say why")
	t.Logf("install %s took %s with %d kubectl retries, first: %s", e.ID, e.EndedAt.Sub(e.StartedAt).Round(time.Millisecond), len(retried), retried[0])
	assertRouterPod(t, env, node, interfaces, routes)

	w.uninstallAndDelete("router")
	assert.Nil(t, getPod(t, env, routerNS, routerPod))
	w.uninstallAndDelete("cluster")
	assert.NotContains(t, nodeLabels(t, env, node), routerLabel)
}
