package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
)

// scaledBlueprint: one scalable node whose create, configure and start run
// workerScript.
const scaledBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml
node_types:
  test.Node:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: { implementation: op.sh, executor: central_deployment_agent }
        configure: { implementation: op.sh, executor: central_deployment_agent }
        start: { implementation: op.sh, executor: central_deployment_agent }
node_templates:
  web:
    type: test.Node
    capabilities:
      scalable:
        properties: { default_instances: 1, max_instances: 20 }
`

// testWorkerKilledMidScale: the worker running a queued scale is killed
// with SIGKILL after it stored the added instances and ran some of their
// operations; the other takes it over, plans the same instances (the
// execution's seed, the added ids it recorded) and completes it: no
// instance twice, no operation recorded done run again, the deployment's
// plan switched once.
func testWorkerKilledMidScale(h *haEnv) {
	t, ctx := h.t, context.Background()
	const added = 12
	bp := filepath.Join(t.TempDir(), "bp")
	require.NoError(t, os.MkdirAll(bp, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bp, "blueprint.yaml"), []byte(scaledBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(bp, "op.sh"), []byte(workerScript), 0o755))
	_, err := h.m.UploadBlueprint(ctx, "scaled", bp)
	require.NoError(t, err)
	_, err = h.m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "scaled", BlueprintID: "scaled", Seed: 1})
	require.NoError(t, err)
	h.startWorker("wa", 0)
	h.startWorker("wb", 1)
	h.waitWorkers(2)
	r, err := h.m.StartExecution(ctx, api.StartRequest{DeploymentID: "scaled", Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	h.waitEnded(r.Execution().ID)
	installOps := countLines(h.logFile, "end ")

	// Two operations at a time: the scale's 36 take a few seconds.
	r, err = h.m.StartExecution(ctx, api.StartRequest{DeploymentID: "scaled", Workflow: "scale",
		Parameters: map[string]any{"scalable_entity_name": "web", "delta": added}, Options: api.ExecOptions{Queue: true, Parallelism: 2}})
	require.NoError(t, err)
	id := r.Execution().ID
	name, token := h.holder(id, 0, 30*time.Second)
	total := installOps + 3*added
	waitFor(t, time.Minute, "a third of the scale's operations", func() bool { return countLines(h.logFile, "end ") >= installOps+added })
	victim := h.workers[name]
	require.NoError(t, victim.cmd.Process.Kill())
	<-victim.exited
	time.Sleep(300 * time.Millisecond) // the dead worker's scripts are stopped by their guards
	done := h.recordedDone(id)
	_, offset := opLog(t, h.logFile, 0)
	require.NotEmpty(t, done)

	next, _ := h.holder(id, token, 30*time.Second)
	require.NotEqual(t, name, next)
	e := h.waitEnded(id)
	h.requireRanOnce(total, done, offset)
	insts, err := h.m.ListNodeInstances(ctx, "scaled", "web")
	require.NoError(t, err)
	require.Len(t, insts, 1+added, "one instance per planned one, none twice")
	var ids []string
	for _, ni := range insts {
		require.Equal(t, "started", string(ni.State), ni.ID)
		ids = append(ids, ni.ID)
	}
	sort.Strings(ids)
	require.Len(t, e.ScaleAdded, added)
	require.Subset(t, ids, e.ScaleAdded, "the instances the first worker recorded are the ones the second completed")
	plan, err := h.m.DeploymentPlan(ctx, "scaled")
	require.NoError(t, err)
	require.Equal(t, 1+added, plan.Nodes[0].PlannedInstances, "the deployment's plan took the scale")
	h.requireConsistent()
}
