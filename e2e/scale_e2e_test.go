//go:build e2e

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
)

// fiftyBudget bounds the install and, separately, the uninstall of the 50
// microservices. Healthy installs took 18 s at load 4 and 58-61 s at load
// 25-30 on the 2-core machine (docs/testing.md, "Reliability"); when every
// SSH login ran root's .bashrc (pyenv rehash, a lock shared by every shell
// on the machine) a login waited up to a minute, kubectl calls timed out
// and the install took over 3 min.
const fiftyBudget = 150 * time.Second

// TestFiftyMicroservicesOverOnePooledConnection installs a Microservice
// with 50 instances at parallelism 50: 50 pods, each named after its
// instance, all Running; every kubectl call of the install (the master
// check, 50 applies, the readiness checks) went over one SSH connection,
// with several sessions at once. Then uninstall deletes all 50. Neither
// retries anything (a slow login shell made kubectl calls time out and
// operations retry) and each stays within fiftyBudget.
func TestFiftyMicroservicesOverOnePooledConnection(t *testing.T) {
	const n = 50
	env := testenvRequire(t)
	label := uniqueName("scale")
	selector := "gantry-e2e-run=" + label
	cleanupPods(t, env, selector)
	w := newWorld(t, env)
	w.bestEffortUninstall("fleet")
	ctx := context.Background()

	w.create("fleet", microserviceBlueprint, with(microserviceInputs(w, label, label), "instances", n))
	insts, err := w.st.ListNodeInstances(ctx, "fleet", "app")
	require.NoError(t, err)
	require.Len(t, insts, n)

	opts := manager.ExecOptions{Parallelism: n}
	start := time.Now()
	e := w.mustRun("fleet", "install", nil, opts)
	installTook := time.Since(start)
	st := w.m.SSHStats()

	pods := podsWithLabel(t, env, selector)
	require.Len(t, pods, n)
	names := map[string]bool{}
	for _, p := range pods {
		assert.Equal(t, "Running", p.Status.Phase, p.Metadata.Name)
		assert.NotEmpty(t, p.Spec.NodeName, p.Metadata.Name)
		names[p.Metadata.Name] = true
	}
	for _, ni := range insts {
		assert.True(t, names[label+"-"+dnsName(ni.ID)], "instance %s has its own pod", ni.ID)
	}
	assert.EqualValues(t, 1, st.Dials, "one pooled connection: %+v", st)
	assert.EqualValues(t, 1, st.Attempts, "dialled once: %+v", st)
	assert.Greater(t, st.PeakSessions, int64(1), "sessions ran in parallel on it: %+v", st)

	start = time.Now()
	w.mustRun("fleet", "uninstall", nil, opts)
	uninstallTook := time.Since(start)
	assert.Empty(t, podsWithLabel(t, env, selector))
	assert.EqualValues(t, 1, w.m.SSHStats().Dials, "uninstall reused the connection")
	assert.Empty(t, w.logsOfType("fleet", api.EventTaskRescheduled), "no operation was retried")
	assert.Empty(t, w.logsOfType("fleet", api.EventTaskFailed), "no operation attempt failed")
	assert.Less(t, installTook, fiftyBudget, "install of %d microservices", n)
	assert.Less(t, uninstallTook, fiftyBudget, "uninstall of %d microservices", n)
	t.Logf("%d instances: install %s (execution %s), uninstall %s; pool %+v",
		n, installTook.Round(time.Millisecond), e.ID, uninstallTook.Round(time.Millisecond), w.m.SSHStats())
}
