//go:build e2e

package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// microserviceInputs are the testdata/microservice inputs for one test:
// pods named PREFIX-<instance>, labelled gantry-e2e-run=LABEL.
func microserviceInputs(w *world, prefix, label string) map[string]any {
	return with(sshInputs(w.env, w.env.KnownHostsPath), "pod_prefix", prefix, "run_label", label)
}

// TestInvalidManifestThenFixedInput applies a pod whose containerPort is a
// string: the API server rejects it, the install fails at once (a
// permanent error is not retried) with kubectl's own message, and nothing
// is left in the cluster. A new deployment with the input fixed installs.
func TestInvalidManifestThenFixedInput(t *testing.T) {
	env := testenvRequire(t)
	label := uniqueName("badport")
	cleanupPods(t, env, "gantry-e2e-run="+label)
	w := newWorld(t, env)
	w.bestEffortUninstall("bad", "good")

	w.create("bad", microserviceBlueprint, with(microserviceInputs(w, label, label), "container_port", "eighty"))
	start := time.Now()
	e := w.mustFail("bad", "install", manager.ExecOptions{})
	took := time.Since(start)
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), e.Error)
	// kubectl's message, as the API server gave it: the field and the type.
	assert.Contains(t, e.Error, "kubectl apply -f - -o json")
	assert.Contains(t, e.Error, "containerPort")
	assert.Contains(t, e.Error, `invalid type for io.k8s.api.core.v1.ContainerPort.containerPort: got "string", expected "integer"`)
	assert.Empty(t, w.logsOfType("bad", api.EventTaskRescheduled), "an invalid manifest is not retried")
	assert.Less(t, took, 20*time.Second, "an invalid manifest is not retried until the timeout")
	failed := w.logsOfType("bad", api.EventTaskFailed)
	require.NotEmpty(t, failed)
	assert.Contains(t, failed[0], "containerPort", "the task_failed event carries kubectl's message too")
	assert.Empty(t, podsWithLabel(t, env, "gantry-e2e-run="+label), "nothing was created")

	// Fixed input, new deployment.
	w.create("good", microserviceBlueprint, with(microserviceInputs(w, label, label), "container_port", 8081))
	w.mustRun("good", "install", nil, manager.ExecOptions{})
	pods := podsWithLabel(t, env, "gantry-e2e-run="+label)
	require.Len(t, pods, 1)
	assert.Equal(t, "Running", pods[0].Status.Phase)
	assert.True(t, strings.HasPrefix(pods[0].Metadata.Name, label+"-app-"), "pod name %s from ${instance_name}", pods[0].Metadata.Name)

	w.uninstallAndDelete("good")
	assert.Empty(t, podsWithLabel(t, env, "gantry-e2e-run="+label))
	// The failed one uninstalls cleanly too (it recorded no objects).
	w.uninstallAndDelete("bad")
}

// TestResumeAfterAPIServerOutage stops the API server longer than the
// Microservice's operation timeout: the install fails with the retries'
// last message. With the API server back, `gantry executions resume`
// continues the same execution, skips what completed, and finishes.
func TestResumeAfterAPIServerOutage(t *testing.T) {
	env := testenvRequireExclusive(t)
	label := uniqueName("resume")
	cleanupPods(t, env, "gantry-e2e-run="+label)
	w := newWorld(t, env)
	w.bestEffortUninstall("svc")

	// The Microservice's timeout property (seconds). The outage outlasts it,
	// so the install fails; it must leave room, under load, for at least
	// one kubectl attempt to fail with "connection refused" before it runs
	// out (else there is no failure to name) and, on resume, for the apply
	// and a readiness check. One kubectl apply took 6.5-7.3 s at load 35 on
	// the 2-core machine (0.4 s of CPU): with 6 s, both ran out there.
	const timeout = 30
	w.create("svc", microserviceBlueprint, with(microserviceInputs(w, label, label), "timeout", timeout))
	f := &fault{stop: env.StopAPIServer, start: env.StartAPIServer, pause: -1}
	w.setHook(f.at(t, func(e *api.Event) bool {
		return e.Type == api.EventLog && e.NodeID == "master" && strings.Contains(e.Message, "is ready")
	}))
	e := w.mustFail("svc", "install", manager.ExecOptions{})
	w.setHook(nil)
	require.False(t, f.stopped().IsZero(), "the fault was injected")
	t.Logf("failed: %s", e.Error)
	assert.Contains(t, e.Error, "still failing after")
	assert.Contains(t, e.Error, "connection refused")
	require.NoError(t, f.restart())
	t.Logf("pods are scheduled and run again %s after the API server's restart", waitSchedulingWorks(t, env, label+"-probe").Round(time.Millisecond))

	// Resume with the CLI, as a user would.
	w.close()
	code, out := w.cli("executions", "resume", e.ID)
	require.Equal(t, 0, code, "gantry executions resume %s:\n%s", e.ID, out)
	t.Logf("gantry executions resume:\n%s", out)
	w.open()

	got, err := w.st.GetExecution(t.Context(), e.ID)
	require.NoError(t, err)
	assert.Equal(t, store.ExecutionTerminated, got.Status)
	assert.Empty(t, got.Error)
	assert.Contains(t, out, "1 skipped (done earlier)", "the master's completed start is skipped")
	pods := podsWithLabel(t, env, "gantry-e2e-run="+label)
	require.Len(t, pods, 1)
	assert.Equal(t, "Running", pods[0].Status.Phase)

	w.uninstallAndDelete("svc")
	assert.Empty(t, podsWithLabel(t, env, "gantry-e2e-run="+label))
}
