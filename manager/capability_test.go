package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
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
}
