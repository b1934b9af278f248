//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// The second router pod of the updated router blueprint.
const routerPod2 = "quagga2"

// extraPod is a Microservice node added to the router blueprint: its pod
// is the router's pod under another name, with another container port.
type extraPod struct{ node, pod, port string }

// routerBlueprintWith copies the router blueprint into a new folder with
// the extra Microservice nodes.
func routerBlueprintWith(t *testing.T, extras ...extraPod) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "quagga-router")
	require.NoError(t, exec.Command("cp", "-r", routerBlueprint, dir).Run())
	b, err := os.ReadFile(filepath.Join(dir, "resources", "kubernetes", "pod.yaml"))
	require.NoError(t, err)
	bp, err := os.ReadFile(filepath.Join(dir, "blueprint.yaml"))
	require.NoError(t, err)
	var nodes strings.Builder
	for _, x := range extras {
		manifest := strings.Replace(string(b), "name: quagga\n", "name: "+x.pod+"\n", 1)
		manifest = strings.Replace(manifest, "containerPort: 80", "containerPort: "+x.port, 1)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "resources", "kubernetes", x.pod+".yaml"), []byte(manifest), 0o644))
		nodes.WriteString(`
  ` + x.node + `:
    type: cloudify.kubernetes.Microservice
    properties:
      name: ` + x.pod + `
      ssh_username: { get_input: ssh_username }
      ssh_keyfilename: { get_input: ssh_keyfilename }
      ssh_known_hosts: { get_input: known_hosts }
      config_files:
        - file: resources/kubernetes/` + x.pod + `.yaml
          overrides:
            "spec.containers[0].env[name=INTERFACES].value": { get_input: interfaces }
            "spec.containers[0].env[name=ROUTES].value": { get_input: routes }
    relationships:
      - type: cloudify.kubernetes.relationships.connected_to_master
        target: kubernetes_proxy
`)
	}
	text := strings.Replace(string(bp), "\noutputs:", nodes.String()+"\noutputs:", 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(text), 0o644))
	return dir
}

// instanceRecords is every node instance of a deployment by id.
func instanceRecords(t *testing.T, w *world, dep string) map[string]*store.NodeInstance {
	t.Helper()
	insts, err := w.m.ListNodeInstances(context.Background(), dep, "")
	require.NoError(t, err)
	out := map[string]*store.NodeInstance{}
	for _, ni := range insts {
		out[ni.ID] = ni
	}
	return out
}

// TestRouterDeploymentUpdate updates the router deployment to a blueprint
// with a second Microservice and new routes: the router pod is replaced
// (the Microservice's properties changed: automatic reinstall) and carries
// the new routes, the second pod is created with them, and nothing else
// is touched (the cluster deployment's instances and the router's proxy
// keep their records). A second update whose added Microservice has an
// invalid manifest fails and is rolled back: the deployment stays on its
// blueprint, its pods as they were.
func TestRouterDeploymentUpdate(t *testing.T) {
	const node = "kwok-node-1"
	env := routerEnv(t, node)
	cleanupPod(t, env, routerNS, routerPod2)
	t.Cleanup(func() { cleanupPod(t, env, routerNS, routerPod2) })
	const (
		interfaces = "eth2,eth3"
		routes     = "192.168.50.0/24 10.9.0.1"
		routes2    = "192.168.60.0/24 10.9.0.7,172.21.0.0/16 10.9.0.8"
	)
	w := newWorld(t, env)
	w.bestEffortUninstall("router", "cluster")
	ctx := context.Background()
	w.create("cluster", clusterBlueprint, clusterInputs(t, env, node, nil))
	w.mustRun("cluster", "install", nil, manager.ExecOptions{})
	w.create("router", routerBlueprint, routerInputs(env, "cluster", interfaces, routes))
	w.mustRun("router", "install", nil, manager.ExecOptions{})
	before := assertRouterPod(t, env, node, interfaces, routes)
	clusterBefore := instanceRecords(t, w, "cluster")
	routerBefore := instanceRecords(t, w, "router")

	v2, _, err := w.m.EnsureBlueprint(ctx, "router-v2", routerBlueprintWith(t, extraPod{"quagga2", routerPod2, "81"}))
	require.NoError(t, err)
	up, err := w.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "router", BlueprintID: v2.ID, Inputs: map[string]any{"routes": routes2}})
	require.NoError(t, err)
	assert.Equal(t, []string{"quagga"}, up.ReinstallNodes, "the router's properties changed: it is reinstalled")
	require.Len(t, up.AddedInstances, 1)
	e, err := up.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, "%s\nevents:\n%s", e.Error, w.dump("router"))

	after := assertRouterPod(t, env, node, interfaces, routes2)
	assert.NotEqual(t, before.Metadata.UID, after.Metadata.UID, "the router pod is replaced")
	second := getPod(t, env, routerNS, routerPod2)
	require.NotNil(t, second, "the second pod is created")
	got, _ := second.env(0, "ROUTES")
	assert.Equal(t, routes2, got)
	assert.Equal(t, node, second.Spec.NodeName)

	clusterAfter := instanceRecords(t, w, "cluster")
	require.Len(t, clusterAfter, len(clusterBefore))
	for id, ni := range clusterBefore {
		assert.Equal(t, ni.Version, clusterAfter[id].Version, "cluster instance %s untouched", id)
		assert.Equal(t, ni.State, clusterAfter[id].State)
	}
	routerAfter := instanceRecords(t, w, "router")
	require.Len(t, routerAfter, len(routerBefore)+1)
	for id, ni := range routerBefore {
		require.Contains(t, routerAfter, id, "the router's instances keep their ids")
		if ni.NodeID == "kubernetes_proxy" {
			assert.Equal(t, ni.Version, routerAfter[id].Version, "the proxy is untouched")
		}
	}
	d, err := w.m.GetDeployment(ctx, "router")
	require.NoError(t, err)
	assert.Equal(t, v2.ID, d.BlueprintID)
	assert.Equal(t, routes2, d.Inputs["routes"])

	// A failing update: the added Microservice's manifest is invalid.
	second2 := extraPod{"quagga2", routerPod2, "81"}
	bad := routerBlueprintWith(t, second2, extraPod{"broken", "quagga3", `"eighty"`})
	v3, _, err := w.m.EnsureBlueprint(ctx, "router-v3", bad)
	require.NoError(t, err)
	up, err = w.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "router", BlueprintID: v3.ID})
	require.NoError(t, err)
	assert.Empty(t, up.ReinstallNodes, "nothing else changed")
	e, err = up.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionFailed, e.Status)
	assert.True(t, e.RolledBack, e.Error)
	assert.Contains(t, e.Error, "rolled back")
	d, err = w.m.GetDeployment(ctx, "router")
	require.NoError(t, err)
	assert.Equal(t, v2.ID, d.BlueprintID, "the deployment stays on its blueprint")
	assert.Len(t, instanceRecords(t, w, "router"), len(routerAfter), "the added instance is removed")
	kept := assertRouterPod(t, env, node, interfaces, routes2)
	assert.Equal(t, after.Metadata.UID, kept.Metadata.UID, "the router pod is untouched by the failed update")
	assert.Nil(t, getPod(t, env, routerNS, "quagga3"))

	w.uninstallAndDelete("router")
	assert.Nil(t, getPod(t, env, routerNS, routerPod), "uninstall deletes the pods of the updated deployment")
	assert.Nil(t, getPod(t, env, routerNS, routerPod2))
	w.uninstallAndDelete("cluster")
}
