package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

const capProvider = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
node_templates:
  db:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: set.sh, executor: central_deployment_agent}
capabilities:
  endpoint:
    value: {concat: ["postgres://", {get_attribute: [db, address]}, ":5432"]}
`

const capConsumer = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
node_templates:
  app:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: use.sh
          executor: central_deployment_agent
          inputs:
            DB: {get_capability: [provider, endpoint]}
outputs:
  db:
    value: {get_attribute: [app, db]}
`

// get_capability reads another deployment's capability, evaluated from
// that deployment's runtime state when the operation runs.
func TestGetCapabilityAcrossDeployments(t *testing.T) {
	ctx := context.Background()
	write := func(bp, script, body string) string {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(bp), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, script), []byte(body), 0o755))
		return dir
	}
	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "provider", write(capProvider, "set.sh", "#!/bin/sh\nctx instance runtime-properties address 10.1.2.3\n"))
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "provider", BlueprintID: "provider"})
	require.NoError(t, err)
	_, res := run(t, m, "provider", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	caps, err := m.Capabilities(ctx, "provider")
	require.NoError(t, err)
	require.Equal(t, "postgres://10.1.2.3:5432", caps["endpoint"])

	_, err = m.UploadBlueprint(ctx, "consumer", write(capConsumer, "use.sh", "#!/bin/sh\nctx instance runtime-properties db \"$DB\"\n"))
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "consumer", BlueprintID: "consumer"})
	require.NoError(t, err)
	_, res = run(t, m, "consumer", "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	out, err := m.Outputs(ctx, "consumer")
	require.NoError(t, err)
	require.Equal(t, "postgres://10.1.2.3:5432", out["db"])

	// The consumer depends on the provider now, as through a DeploymentProxy:
	// the provider is neither uninstalled nor deleted under it.
	deps, err := m.Store().ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "provider"})
	require.NoError(t, err)
	require.Len(t, deps, 1)
	require.Equal(t, "consumer", deps[0].SourceDeploymentID)
	_, err = m.StartExecution(ctx, api.StartRequest{DeploymentID: "provider", Workflow: "uninstall"})
	require.ErrorIs(t, err, ErrDependents)
	require.ErrorContains(t, err, "consumer (get_capability provider.endpoint)")
	_, err = m.Uninstall(ctx, api.UninstallRequest{DeploymentID: "provider"})
	require.ErrorIs(t, err, ErrDependents)
	require.ErrorIs(t, m.DeleteDeployment(ctx, "provider", false), ErrDependents)

	// Deleting the consumer (here by uninstall) removes the dependency.
	r, err := m.Uninstall(ctx, api.UninstallRequest{DeploymentID: "consumer"})
	require.NoError(t, err)
	e, err := r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	deps, err = m.Store().ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "provider"})
	require.NoError(t, err)
	require.Empty(t, deps)
	_, res = run(t, m, "provider", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
}
