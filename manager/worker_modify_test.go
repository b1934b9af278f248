package manager

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
)

// TestQueuedModifications: a scale and a deployment update started on a
// Manager that queues every execution (a server that runs none itself)
// are run by a worker of another Manager on a real etcd cluster: the
// worker plans the modification again with the execution's seed (the
// instance ids an update's start announced are the ones it adds), records
// the added instances before storing them, and switches the deployment
// with the execution's end.
func TestQueuedModifications(t *testing.T) {
	ctx := context.Background()
	work := t.TempDir()
	client := withOneWorker(t, work, Config{QueueExecutions: true}, Config{})

	wait := func(r api.Run) *api.Execution {
		t.Helper()
		require.True(t, r.Execution().Queued, "queued, not run by the client")
		tctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		e, err := r.Wait(tctx)
		require.NoError(t, err)
		require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
		return e
	}
	instances := func(dep, node string) []string {
		t.Helper()
		insts, err := client.ListNodeInstances(ctx, dep, node)
		require.NoError(t, err)
		var ids []string
		for _, ni := range insts {
			ids = append(ids, ni.ID)
		}
		sort.Strings(ids)
		return ids
	}

	// Scale.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(scaleBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "log.sh"), []byte(logScript), 0o755))
	log := filepath.Join(work, "ops.log")
	_, err := client.UploadBlueprint(ctx, "s", dir)
	require.NoError(t, err)
	_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "s", BlueprintID: "s", Inputs: map[string]any{"log": log}, Seed: 5})
	require.NoError(t, err)
	r, err := client.StartExecution(ctx, api.StartRequest{DeploymentID: "s", Workflow: "install"})
	require.NoError(t, err)
	wait(r)
	before := instances("s", "web")
	require.Len(t, before, 1)

	_, err = client.StartExecution(ctx, api.StartRequest{DeploymentID: "s", Workflow: workflowScale,
		Parameters: map[string]any{"scalable_entity_name": "web", "delta": 9}})
	require.ErrorContains(t, err, "max_instances", "a scale that cannot be planned is refused before it is queued")

	r, err = client.StartExecution(ctx, api.StartRequest{DeploymentID: "s", Workflow: workflowScale,
		Parameters: map[string]any{"scalable_entity_name": "web", "delta": 2}})
	require.NoError(t, err)
	e := wait(r)
	after := instances("s", "web")
	require.Len(t, after, 3)
	require.Len(t, e.ScaleAdded, 2, "the worker recorded the added instances")
	require.Subset(t, after, e.ScaleAdded)
	require.Subset(t, after, before)
	plan, err := client.DeploymentPlan(ctx, "s")
	require.NoError(t, err)
	for _, n := range plan.Nodes {
		if n.ID == "web" {
			require.Equal(t, 3, n.PlannedInstances, "the deployment's plan took the scale")
		}
	}
	ops := readLog(t, log)
	for _, id := range e.ScaleAdded {
		require.Contains(t, ops, id+" cloudify.interfaces.lifecycle.create")
		require.Contains(t, ops, id+" cloudify.interfaces.lifecycle.start")
	}

	r, err = client.StartExecution(ctx, api.StartRequest{DeploymentID: "s", Workflow: workflowScale,
		Parameters: map[string]any{"scalable_entity_name": "web", "delta": -2}})
	require.NoError(t, err)
	wait(r)
	require.Len(t, instances("s", "web"), 1)

	// Deployment update.
	uploadUpdateBlueprints(t, client, updateV1, updateV2)
	_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: "v1", Inputs: map[string]any{"log": log}, Seed: 3})
	require.NoError(t, err)
	r, err = client.StartExecution(ctx, api.StartRequest{DeploymentID: "d", Workflow: "install"})
	require.NoError(t, err)
	wait(r)
	u, err := client.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", BlueprintID: "v2", Inputs: map[string]any{"msg": "bye"}})
	require.NoError(t, err)
	require.Len(t, u.AddedInstances, 1)
	e = wait(u.Run)
	require.Equal(t, u.AddedInstances, e.ScaleAdded, "the worker added the instances the start announced")
	d, err := client.GetDeployment(ctx, "d")
	require.NoError(t, err)
	require.Equal(t, "v2", d.BlueprintID)
	require.Equal(t, "bye", d.Inputs["msg"])
	require.Equal(t, u.AddedInstances, instances("d", "web2"))
	require.Empty(t, instances("d", "cache"))
	problems, err := client.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestQueuedUpdateHoldsItsBlueprint: the blueprint a queued deployment
// update moves its deployment to is not deleted while the update waits
// for a worker (it used to be, and the worker's run then failed); once the
// update is cancelled it is free again. A rolled-back or finished update
// holds nothing (TestUpdateRolledBackWhenAnAddedInstanceFails).
func TestQueuedUpdateHoldsItsBlueprint(t *testing.T) {
	ctx := context.Background()
	url := testenv.StartEtcdCluster(t, 3).URL("held")
	m, err := OpenLocal(url, Config{DataDir: filepath.Join(t.TempDir(), "data"), QueueExecutions: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	uploadUpdateBlueprints(t, m, updateV1, updateV2)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: "v1", Inputs: map[string]any{"log": filepath.Join(t.TempDir(), "log")}})
	require.NoError(t, err)

	u, err := m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", BlueprintID: "v2"})
	require.NoError(t, err)
	require.True(t, u.Run.Execution().Queued)
	require.Equal(t, "v2", u.Run.Execution().TargetBlueprintID)
	err = m.DeleteBlueprint(ctx, "v2")
	require.ErrorIs(t, err, store.ErrInUse)
	require.ErrorContains(t, err, "deployment update(s) "+u.Run.Execution().ID+" will move a deployment to it")

	// Cancelled: no worker claimed it, so it ends at once.
	e, err := m.Cancel(ctx, u.Run.Execution().ID, false)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionCancelled, e.Status)
	require.NoError(t, m.DeleteBlueprint(ctx, "v2"), "a cancelled update holds nothing")
	problems, err := m.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}
