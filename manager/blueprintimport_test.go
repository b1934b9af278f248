package manager

import (
	"context"
	"errors"
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

// libBlueprint is a blueprint of the store whose types and node template
// run scripts of its own folder (one from a type of a relative import).
const libBlueprint = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml, types/cache.yaml]
node_types:
  lib.Web:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: scripts/create.sh, executor: central_deployment_agent}
node_templates:
  db:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: scripts/create.sh, executor: central_deployment_agent}
workflows:
  report:
    mapping: scripts/report.sh
    parameters:
      out: {type: string}
  report2:
    mapping: script.script_runner.tasks.execute_workflow
    parameters:
      script_path: {default: scripts/report.sh}
      out: {type: string}
`

// appBlueprint imports libBlueprint as lib and has a script of the same
// name as lib's.
const appBlueprint = `tosca_definitions_version: cloudify_dsl_1_4
imports:
  - cloudify/types/types.yaml
  - lib--blueprint:lib
node_templates:
  web: {type: lib--lib.Web}
  cache: {type: lib--lib.Cache}
  own:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: scripts/create.sh, executor: central_deployment_agent}
`

// writeFiles writes files (path relative to a new folder: content) and
// returns the folder.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(body), 0o755))
	}
	return dir
}

// The scripts a blueprint imported from the store (`NS--blueprint:ID`)
// maps its operations to are its own: named NS--path in the plan
// (Cloudify's notation, with namespaces_mapping), extracted next to the
// importer's files for the run, told apart from the importer's script of
// the same path. A run whose imported blueprint was deleted says so.
func TestBlueprintImportRunsItsScripts(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	lib := writeFiles(t, map[string]string{
		"blueprint.yaml":       libBlueprint,
		"types/cache.yaml":     "node_types:\n  lib.Cache:\n    derived_from: cloudify.nodes.Root\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        configure: {implementation: scripts/configure.sh, executor: central_deployment_agent}\n",
		"scripts/create.sh":    "#!/bin/sh\nctx instance runtime-properties from lib\n",
		"scripts/configure.sh": "#!/bin/sh\nctx instance runtime-properties configured-by lib\n",
		"scripts/report.sh":    "#!/bin/sh\necho \"report from lib\" > \"$out\"\n",
	})
	app := writeFiles(t, map[string]string{
		"blueprint.yaml":    appBlueprint,
		"scripts/create.sh": "#!/bin/sh\nctx instance runtime-properties from app\n",
	})
	_, err := m.UploadBlueprint(ctx, "lib", lib)
	require.NoError(t, err)
	_, err = m.UploadBlueprint(ctx, "app", app)
	require.NoError(t, err)
	d, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "app", BlueprintID: "app"})
	require.NoError(t, err)
	require.Equal(t, map[string]string{"lib": "lib"}, d.Plan.NamespacesMapping)
	for _, n := range d.Plan.Nodes {
		if n.ID == "web" {
			op := n.Operations["cloudify.interfaces.lifecycle.create"]
			require.Equal(t, "lib--scripts/create.sh", op.Implementation)
			require.Equal(t, "lib--scripts/create.sh", op.ScriptPath)
		}
	}
	e, _ := run(t, m, "app", "install", nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	props := func(node, key string) any {
		t.Helper()
		insts, err := m.ListNodeInstances(ctx, "app", node)
		require.NoError(t, err)
		require.Len(t, insts, 1)
		return insts[0].RuntimeProperties[key]
	}
	require.Equal(t, "lib", props("web", "from"), "the imported type's script is lib's")
	require.Equal(t, "lib", props("lib--db", "from"), "the imported node template's script is lib's")
	require.Equal(t, "lib", props("cache", "configured-by"), "a type of lib's relative import runs lib's script")
	require.Equal(t, "app", props("own", "from"), "the importer's script of the same path is its own")
	// The imported blueprint's workflow runs its script.
	out := filepath.Join(t.TempDir(), "report")
	e, _ = run(t, m, "app", "lib--report", map[string]any{"out": out})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	report, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "report from lib\n", string(report))
	// And its workflow naming its script by a script_path parameter.
	out = filepath.Join(t.TempDir(), "report2")
	e, _ = run(t, m, "app", "lib--report2", map[string]any{"out": out})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	report, err = os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, "report from lib\n", string(report))

	// An imported blueprint is not deleted while its importer is stored.
	err = m.DeleteBlueprint(ctx, "lib")
	require.ErrorIs(t, err, store.ErrInUse)
	require.ErrorContains(t, err, "blueprint(s) app import it")
	bp, err := m.GetBlueprint(ctx, "app")
	require.NoError(t, err)
	require.Equal(t, []string{"lib"}, bp.Imports)

	// Gone all the same (a store written by a gantry that did not record
	// what a blueprint imports): a run says which and what to do.
	archive, err := m.st.BlueprintArchive(ctx, "app")
	require.NoError(t, err)
	unrecorded := *bp
	unrecorded.ID, unrecorded.Imports = "app-unrecorded", nil
	require.NoError(t, m.st.CreateBlueprint(ctx, &unrecorded, archive))
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "app2", BlueprintID: unrecorded.ID})
	require.NoError(t, err)
	require.NoError(t, m.st.DeleteDeployment(ctx, "app", true))
	require.NoError(t, m.st.DeleteBlueprint(ctx, "app"))
	require.NoError(t, m.st.DeleteBlueprint(ctx, "lib"))
	r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "app2", Workflow: "install"})
	if err == nil {
		var werr error
		e, werr = r.Wait(ctx)
		require.NoError(t, werr)
		require.Equal(t, store.ExecutionFailed, e.Status)
		err = errors.New(e.Error)
	}
	require.ErrorContains(t, err, "blueprint lib (imported as lib--blueprint:lib), which is no longer in the store: upload it again")
}
