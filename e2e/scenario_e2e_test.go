//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/testenv"
)

// The router pod's name and namespace, from blueprints/quagga-router/resources/kubernetes/pod.yaml.
const (
	routerPod   = "quagga"
	routerNS    = "default"
	routerLabel = "role"
)

// routerEnv takes the environment exclusively (the scenario labels a node
// and uses the fixed pod name quagga) and makes sure that the pod and the
// labels are gone at the end, whatever happens.
func routerEnv(t *testing.T, node string, labelKeys ...string) *testenv.Env {
	t.Helper()
	env := testenv.RequireExclusive(t)
	cleanupPod(t, env, routerNS, routerPod)
	cleanupLabels(t, env, node, append([]string{routerLabel}, labelKeys...)...)
	require.Nil(t, getPod(t, env, routerNS, routerPod), "a %s pod is left over from another run", routerPod)
	require.Empty(t, nodesWithLabel(t, env, routerLabel), "nodes labelled %s are left over from another run", routerLabel)
	return env
}

// clusterInputs are the kubernetes-cluster blueprint's inputs for the test
// environment, with the router on node and these labels.
func clusterInputs(t *testing.T, env *testenv.Env, node string, labels []any) map[string]any {
	in := map[string]any{
		"master_ip":        env.SSHHost,
		"master_port":      apiPort(t, env),
		"ssh_port":         env.SSHPort,
		"ssh_username":     env.SSHUser,
		"ssh_keyfilename":  env.SSHKeyPath,
		"known_hosts":      env.KnownHostsPath,
		"router_node_name": node,
	}
	if labels != nil {
		in["labels"] = labels
	}
	return in
}

// routerInputs are the quagga-router blueprint's inputs.
func routerInputs(env *testenv.Env, clusterDeployment, interfaces, routes string) map[string]any {
	return map[string]any{
		"kubernetes_deployment_id": clusterDeployment,
		"ssh_keyfilename":          env.SSHKeyPath,
		"known_hosts":              env.KnownHostsPath,
		"interfaces":               interfaces,
		"routes":                   routes,
	}
}

// assertRouterPod checks the running router pod against the scenario.
func assertRouterPod(t *testing.T, env *testenv.Env, node, interfaces, routes string) *pod {
	t.Helper()
	p := getPod(t, env, routerNS, routerPod)
	require.NotNil(t, p, "pod %s/%s does not exist", routerNS, routerPod)
	assert.Equal(t, "Running", p.Status.Phase)
	assert.Equal(t, node, p.Spec.NodeName, "the pod must run on the role=router node")
	assert.Equal(t, map[string]string{"role": "router"}, p.Spec.NodeSelector)
	assert.True(t, p.Spec.HostNetwork, "hostNetwork")
	require.Len(t, p.Spec.Containers, 1)
	priv := p.Spec.Containers[0].SecurityContext.Privileged
	assert.True(t, priv != nil && *priv, "privileged")
	got, ok := p.env(0, "INTERFACES")
	assert.True(t, ok, "INTERFACES is set")
	assert.Equal(t, interfaces, got)
	got, ok = p.env(0, "ROUTES")
	assert.True(t, ok, "ROUTES is set")
	assert.Equal(t, routes, got)
	return p
}

// TestRouterScenario is the reference scenario: the cluster deployment
// labels the router node and exports kubernetes_info; the router
// deployment's proxy inherits it and its Microservice applies the Quagga
// pod over SSH. Non-default inputs throughout (another node, an extra
// label, other interfaces and routes), so that defaults cannot pass for them.
func TestRouterScenario(t *testing.T) {
	const node = "kwok-node-1" // the blueprint's default is kwok-node-0
	env := routerEnv(t, node, "gantry-e2e")
	const (
		interfaces = "eth2,eth3,eth4"
		routes     = "192.168.50.0/24 10.9.0.1,172.20.0.0/16 10.9.0.2"
	)
	w := newWorld(t, env)
	w.bestEffortUninstall("router", "cluster")
	ctx := context.Background()

	labels := []any{map[string]any{"role": "router"}, map[string]any{"gantry-e2e": "scenario"}}
	w.create("cluster", clusterBlueprint, clusterInputs(t, env, node, labels))
	w.mustRun("cluster", "install", nil, manager.ExecOptions{})
	got := nodeLabels(t, env, node)
	assert.Equal(t, "router", got["role"])
	assert.Equal(t, "scenario", got["gantry-e2e"])
	assert.Equal(t, []string{"node/" + node}, nodesWithLabel(t, env, routerLabel), "only the router node is labelled")

	out, err := w.m.Outputs(ctx, "cluster")
	require.NoError(t, err)
	assert.Equal(t, node, out["router_node"])
	info, ok := out["kubernetes_info"].(map[string]any)
	require.True(t, ok, "kubernetes_info is a map: %#v", out["kubernetes_info"])
	assert.Equal(t, fmt.Sprintf("https://%s:%d", env.SSHHost, apiPort(t, env)), info["url"])
	assert.Equal(t, env.SSHHost, info["ssh_host"])
	assert.EqualValues(t, env.SSHPort, info["ssh_port"])
	assert.Equal(t, env.SSHUser, info["ssh_username"])

	w.create("router", routerBlueprint, routerInputs(env, "cluster", interfaces, routes))
	w.mustRun("router", "install", nil, manager.ExecOptions{})
	p := assertRouterPod(t, env, node, interfaces, routes)

	out, err = w.m.Outputs(ctx, "router")
	require.NoError(t, err)
	assert.Equal(t, env.SSHHost, out["master"])
	assert.Equal(t, []any{map[string]any{
		"apiVersion": "v1", "kind": "Pod", "namespace": routerNS, "name": routerPod, "uid": p.Metadata.UID,
	}}, out["pod"], "the pod output records exactly the object created, with its uid")

	// The proxy inherited kubernetes_info and recorded the dependency.
	deps, err := w.st.ListDependencies(ctx, storeFilter("cluster"))
	require.NoError(t, err)
	require.Len(t, deps, 1)
	assert.Equal(t, "router", deps[0].SourceDeploymentID)

	w.uninstallAndDelete("router")
	assert.Nil(t, getPod(t, env, routerNS, routerPod), "the pod is deleted on uninstall")
	w.uninstallAndDelete("cluster")
	got = nodeLabels(t, env, node)
	assert.NotContains(t, got, "role")
	assert.NotContains(t, got, "gantry-e2e")
	assert.Empty(t, nodesWithLabel(t, env, routerLabel), "no node keeps role=router")
	assert.Empty(t, nodesWithLabel(t, env, "gantry-e2e"))
}
