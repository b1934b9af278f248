//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
)

// TestProxyToFailedInstall points a DeploymentProxy (timeout 60 s) at a
// deployment whose install failed (its master refused a wrong host key):
// the proxy's install fails at once, naming the deployment and its failed
// execution and carrying that execution's error.
func TestProxyToFailedInstall(t *testing.T) {
	env := testenvRequire(t)
	w := newWorld(t, env)
	kh := filepath.Join(t.TempDir(), "known_hosts")
	require.NoError(t, os.WriteFile(kh, []byte(otherHostKey(t, knownhosts.Normalize(env.SSHAddr()))), 0o600))
	w.create("broken", masterBlueprint, sshInputs(env, kh))
	target := w.mustFail("broken", "install", manager.ExecOptions{})

	w.create("proxied", proxyBlueprint, map[string]any{"deployment_id": "broken", "timeout": 60})
	start := time.Now()
	// Task retries are on: the failure must be non-recoverable to stay fast.
	e := w.mustFail("proxied", "install", manager.ExecOptions{TaskRetries: ptr(5), TaskRetryInterval: 2 * time.Second})
	took := time.Since(start)
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), e.Error)
	// Deterministic: no retry was scheduled (a wall-clock bound alone fails
	// under load). Five retries 2 s apart would take 10 s.
	assert.Empty(t, w.logsOfType("proxied", api.EventTaskRescheduled), "no task retries")
	assert.Less(t, took, 10*time.Second, "fails fast, far below the 60 s timeout")
	assert.Contains(t, e.Error, "deployment broken cannot be used: its install (execution "+target.ID+") failed")
	assert.Contains(t, e.Error, "host key mismatch", "the target's own error is quoted")
	assert.Contains(t, e.Error, "resume or re-run that install")
	assert.NotContains(t, e.Error, "timed out")
	deps, err := w.st.ListDependencies(t.Context(), storeFilter("broken"))
	require.NoError(t, err)
	assert.Empty(t, deps, "no dependency on a deployment that is not installed")
}

// TestProxyToMissingDeployment points a DeploymentProxy with a 3 s timeout
// at a deployment that does not exist: it waits the timeout (polling),
// then fails with a message naming the deployment and what to do.
func TestProxyToMissingDeployment(t *testing.T) {
	env := testenvRequire(t)
	w := newWorld(t, env)
	const timeout = 3 * time.Second
	w.create("proxied", proxyBlueprint, map[string]any{"deployment_id": "no-such-deployment", "timeout": int(timeout.Seconds())})
	start := time.Now()
	e := w.mustFail("proxied", "install", manager.ExecOptions{})
	took := time.Since(start)
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), e.Error)
	assert.GreaterOrEqual(t, took, timeout, "waits for the timeout")
	assert.Less(t, took, timeout+5*time.Second, "and not much longer")
	assert.Contains(t, e.Error, "timed out after 3s waiting for deployment no-such-deployment to be installed (it does not exist)")
	assert.Contains(t, e.Error, "raise the proxy's timeout property")
}
