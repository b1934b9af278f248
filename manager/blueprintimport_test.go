package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

const importedBase = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml, types/extra.yaml]
inputs:
  size: {default: 2}
node_types:
  base.Server:
    derived_from: cloudify.nodes.Root
    properties:
      size: {default: 1}
node_templates:
  server:
    type: base.Server
    properties:
      size: {get_input: size}
`

const importingParent = `tosca_definitions_version: cloudify_dsl_1_4
imports:
  - cloudify/types/types.yaml
  - infra--blueprint:base
node_templates:
  app:
    type: infra--base.Extra
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: create.sh, executor: central_deployment_agent}
    relationships:
      - {type: cloudify.relationships.depends_on, target: infra--server}
`

// A `NS--blueprint:ID` import reads the blueprint of that id from the store
// when the importing blueprint is uploaded and when a deployment is
// planned: its types, inputs and node templates come in namespaced, its
// own relative imports from its folder.
func TestBlueprintImportFromStore(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	parent := writeBlueprint(t, importingParent, map[string]string{"create.sh": "ctx instance runtime-properties ok yes\n"})
	_, err := m.UploadBlueprint(ctx, "app", parent)
	var pe *ProblemsError
	require.ErrorAs(t, err, &pe, "base is not in the store yet")
	require.Contains(t, pe.Error(), `no blueprint "base" in the store`)

	base := writeBlueprint(t, importedBase, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(base, "types"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(base, "types", "extra.yaml"),
		[]byte("node_types:\n  base.Extra: {derived_from: cloudify.nodes.Root}\n"), 0o644))
	_, err = m.UploadBlueprint(ctx, "base", base)
	require.NoError(t, err)
	_, err = m.UploadBlueprint(ctx, "app", parent)
	require.NoError(t, err)

	d, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "app", BlueprintID: "app", Inputs: map[string]any{"infra--size": 5}})
	require.NoError(t, err)
	var ids []string
	for _, n := range d.Plan.Nodes {
		ids = append(ids, n.ID)
		if n.ID == "infra--server" {
			require.Equal(t, "infra--base.Server", n.Type)
			require.EqualValues(t, 5, n.Properties["size"], "the imported blueprint's input, namespaced")
		}
	}
	require.ElementsMatch(t, []string{"app", "infra--server"}, ids)
	e, _ := run(t, m, "app", "install", nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)

	// Nothing of the extracted copies is left behind.
	left, err := filepath.Glob(filepath.Join(m.cfg.DataDir, "resources", "base-*"))
	require.NoError(t, err)
	require.Empty(t, left)
}
