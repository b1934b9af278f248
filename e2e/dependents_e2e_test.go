//go:build e2e

package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// exitBusy is the CLI's exit code for a refusal (cmd/cli/cmdutil.ExitBusy).
const exitBusy = 5

// TestUninstallClusterWithDependentRouter: while the router deployment's
// proxy depends on the cluster deployment, uninstalling or deleting the
// cluster is refused (manager.ErrDependents; CLI exit 5, naming the
// dependent and --force) and changes nothing; --force is allowed.
func TestUninstallClusterWithDependentRouter(t *testing.T) {
	const node = "kwok-node-0"
	const interfaces, routes = "eth0", "10.5.0.0/16 10.200.0.1"
	env := routerEnv(t, node)
	w := newWorld(t, env)
	w.bestEffortUninstall("router", "cluster")
	ctx := context.Background()

	w.create("cluster", clusterBlueprint, clusterInputs(t, env, node, nil))
	w.mustRun("cluster", "install", nil, manager.ExecOptions{})
	w.create("router", routerBlueprint, routerInputs(env, "cluster", interfaces, routes))
	w.mustRun("router", "install", nil, manager.ExecOptions{})

	// The manager API.
	_, err := w.m.StartExecution(ctx, api.StartRequest{DeploymentID: "cluster", Workflow: "uninstall"})
	require.ErrorIs(t, err, manager.ErrDependents)
	assert.Contains(t, err.Error(), "router (node instance kubernetes_proxy_")
	err = w.m.DeleteDeployment(ctx, "cluster", false)
	require.ErrorIs(t, err, manager.ErrDependents)
	execs, err := w.st.ListExecutions(ctx, "cluster")
	require.NoError(t, err)
	assert.Len(t, execs, 1, "no uninstall execution was even created")

	// The CLI, on the same store.
	w.close()
	for _, args := range [][]string{
		{"uninstall", "cluster"},
		{"executions", "start", "uninstall", "-d", "cluster"},
		{"deployments", "delete", "cluster"},
	} {
		code, out := w.cli(args...)
		assert.Equal(t, exitBusy, code, "gantry %v:\n%s", args, out)
		assert.Contains(t, out, "other deployments depend on this one: router")
		assert.Contains(t, out, "--force")
	}
	// Nothing changed.
	assert.Equal(t, "router", nodeLabels(t, env, node)[routerLabel])
	assertRouterPod(t, env, node, interfaces, routes)

	// --force: the cluster goes (its labels with it); the router's pod stays.
	code, out := w.cli("uninstall", "cluster", "--force")
	require.Equal(t, 0, code, "gantry uninstall cluster --force:\n%s", out)
	assert.NotContains(t, nodeLabels(t, env, node), routerLabel)
	assert.NotNil(t, getPod(t, env, routerNS, routerPod), "forcing the cluster away does not touch the router's pod")

	w.open()
	_, err = w.st.GetDeployment(ctx, "cluster")
	require.ErrorIs(t, err, store.ErrNotFound)
	w.uninstallAndDelete("router")
	assert.Nil(t, getPod(t, env, routerNS, routerPod))
	deps, err := w.st.ListDependencies(ctx, store.DependencyFilter{SourceDeploymentID: "router"})
	require.NoError(t, err)
	assert.Empty(t, deps, "the router's uninstall forgot its dependency")
}
