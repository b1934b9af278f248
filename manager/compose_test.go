package manager

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/workflow"
)

// composeChild is a blueprint a Component deploys: its create script
// writes its greeting input into a marker file and a runtime property, its
// delete script removes the marker; its capability comes from both.
const composeChild = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  greeting: {type: string}
  marker: {type: string}
node_templates:
  svc:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: create.sh
          executor: central_deployment_agent
          inputs: {GREETING: {get_input: greeting}, MARKER: {get_input: marker}}
        delete:
          implementation: delete.sh
          executor: central_deployment_agent
          inputs: {MARKER: {get_input: marker}}
capabilities:
  endpoint:
    value: {concat: [{get_attribute: [svc, said]}, "@child"]}
`

const composeParent = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  marker: {type: string}
node_templates:
  comp:
    type: cloudify.nodes.ServiceComponent
    properties:
      resource_config:
        blueprint: {external_resource: true, id: childbp}
        deployment:
          id: kid
          inputs: {greeting: hello, marker: {get_input: marker}}
outputs:
  endpoint:
    value: {get_attribute: [comp, capabilities, endpoint]}
`

func writeBlueprint(t *testing.T, bp string, scripts map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(bp), 0o644))
	for name, body := range scripts {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\nset -e\n"+body), 0o755))
	}
	return dir
}

func childScripts(create string) map[string]string {
	return map[string]string{
		"create.sh": create,
		"delete.sh": "rm -f \"$MARKER\"\n",
	}
}

// installDeployment uploads dir as blueprint id, creates deployment id and
// runs install, returning the final record.
func installDeployment(t *testing.T, m *Manager, id, dir string, inputs map[string]any) *store.Execution {
	t.Helper()
	ctx := context.Background()
	_, err := m.UploadBlueprint(ctx, id, dir)
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: id, BlueprintID: id, Inputs: inputs})
	require.NoError(t, err)
	e, _ := run(t, m, id, "install", nil)
	return e
}

// A Component installs its child deployment (the child's scripts run with
// the inputs the parent gives), shows the child's capabilities in the
// component's runtime properties, keeps the child from being deleted
// while the parent uses it, and uninstalls and deletes it on uninstall.
func TestComponentInstallsAndUninstallsChild(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	marker := filepath.Join(t.TempDir(), "child-ran")
	_, err := m.UploadBlueprint(ctx, "childbp", writeBlueprint(t, composeChild, childScripts(
		"echo \"$GREETING\" > \"$MARKER\"\nctx instance runtime-properties said \"$GREETING\"\n")))
	require.NoError(t, err)

	e := installDeployment(t, m, "parent", writeBlueprint(t, composeParent, nil), map[string]any{"marker": marker})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	b, err := os.ReadFile(marker)
	require.NoError(t, err, "the child's create script ran")
	require.Equal(t, "hello\n", string(b))

	kid, err := m.GetDeployment(ctx, "kid")
	require.NoError(t, err)
	require.Equal(t, "childbp", kid.BlueprintID)
	require.Equal(t, "hello", kid.Inputs["greeting"])
	out, err := m.Outputs(ctx, "parent")
	require.NoError(t, err)
	require.Equal(t, "hello@child", out["endpoint"], "the child's capability, through the component's runtime properties")
	insts, err := m.ListNodeInstances(ctx, "parent", "comp")
	require.NoError(t, err)
	require.Len(t, insts, 1)
	require.Equal(t, map[string]any{"id": "kid"}, insts[0].RuntimeProperties["deployment"])

	deps, err := m.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "kid"})
	require.NoError(t, err)
	require.Len(t, deps, 1)
	require.Equal(t, "parent", deps[0].SourceDeploymentID)
	require.Equal(t, insts[0].ID, deps[0].Creator)
	require.ErrorIs(t, m.DeleteDeployment(ctx, "kid", false), ErrDependents)
	_, err = m.Uninstall(ctx, api.UninstallRequest{DeploymentID: "kid"})
	require.ErrorIs(t, err, ErrDependents)

	r, err := m.Uninstall(ctx, api.UninstallRequest{DeploymentID: "parent"})
	require.NoError(t, err)
	e, err = r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	_, err = os.Stat(marker)
	require.ErrorIs(t, err, os.ErrNotExist, "the child's delete script ran")
	_, err = m.GetDeployment(ctx, "kid")
	require.ErrorIs(t, err, store.ErrNotFound, "the child deployment is deleted")
	_, err = m.GetBlueprint(ctx, "childbp")
	require.NoError(t, err, "an external_resource blueprint stays")
	deps, err = m.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "kid"})
	require.NoError(t, err)
	require.Empty(t, deps)
}

// A child whose install fails fails the parent's install with the child's
// error.
func TestComponentChildFailureFailsParent(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "childbp", writeBlueprint(t, composeChild, childScripts("echo 'disk on fire' >&2\nexit 3\n")))
	require.NoError(t, err)
	e := installDeployment(t, m, "parent", writeBlueprint(t, composeParent, nil), map[string]any{"marker": filepath.Join(t.TempDir(), "m")})
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.Contains(t, e.Error, "component deployment kid: install")
	require.Contains(t, e.Error, "exited with status 3: disk on fire", "the child's error")
	kid, err := m.ListExecutions(ctx, "kid")
	require.NoError(t, err)
	require.Len(t, kid, 1)
	require.Equal(t, store.ExecutionFailed, kid[0].Status)
}

const sharedParent = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
node_templates:
  db:
    type: cloudify.nodes.SharedResource
    properties:
      resource_config:
        deployment: {id: shared}
outputs:
  endpoint:
    value: {get_attribute: [db, capabilities, endpoint]}
`

// A SharedResource waits for the shared deployment's install, records the
// dependency (deleting or uninstalling the shared deployment is refused
// while it is used) and exposes its capabilities; the parent's uninstall
// leaves the shared deployment installed.
func TestSharedResourceWaitsAndRecordsDependency(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "shared", writeBlueprint(t, composeChild, childScripts(
		"sleep 1\nctx instance runtime-properties said \"$GREETING\"\n")))
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "shared", BlueprintID: "shared",
		Inputs: map[string]any{"greeting": "db", "marker": filepath.Join(t.TempDir(), "m")}})
	require.NoError(t, err)

	// The consumer's install starts first and waits for the shared install.
	_, err = m.UploadBlueprint(ctx, "app", writeBlueprint(t, sharedParent, nil))
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "app", BlueprintID: "app"})
	require.NoError(t, err)
	app, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "app", Workflow: "install"})
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	select {
	case <-app.Done():
		t.Fatal("the SharedResource did not wait for the shared deployment's install")
	default:
	}
	e, _ := run(t, m, "shared", "install", nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	e, err = app.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	out, err := m.Outputs(ctx, "app")
	require.NoError(t, err)
	require.Equal(t, "db@child", out["endpoint"])

	deps, err := m.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "shared"})
	require.NoError(t, err)
	require.Len(t, deps, 1)
	require.Equal(t, "app", deps[0].SourceDeploymentID)
	require.ErrorIs(t, m.DeleteDeployment(ctx, "shared", false), ErrDependents)
	_, err = m.Uninstall(ctx, api.UninstallRequest{DeploymentID: "shared"})
	require.ErrorIs(t, err, ErrDependents)

	_, res := run(t, m, "app", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	deps, err = m.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "shared"})
	require.NoError(t, err)
	require.Empty(t, deps)
	st, err := (&proxyDeployments{m: m}).InstallStatus(ctx, "shared")
	require.NoError(t, err)
	require.True(t, st.Installed, "the shared deployment is left installed")
	require.NoError(t, m.DeleteDeployment(ctx, "app", false))
}

// A SharedResource naming a deployment that does not exist fails at once.
func TestSharedResourceMissingDeployment(t *testing.T) {
	m := newManager(t)
	e := installDeployment(t, m, "app", writeBlueprint(t, sharedParent, nil), nil)
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.Contains(t, e.Error, `deployment "shared" does not exist`)
}

const archiveParent = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  marker: {type: string}
node_templates:
  comp:
    type: cloudify.nodes.Component
    properties:
      resource_config:
        blueprint: {id: packed, blueprint_archive: child/}
        deployment:
          auto_inc_suffix: true
          inputs: {greeting: packed, marker: {get_input: marker}}
      secrets: {child_token: s3cret}
`

// A Component whose blueprint_archive is a folder of the parent blueprint
// stores that blueprint, names its deployment with auto_inc_suffix, sets
// its secrets, and deletes the blueprint it stored on uninstall.
func TestComponentBlueprintArchive(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	parent := writeBlueprint(t, archiveParent, nil)
	require.NoError(t, os.MkdirAll(filepath.Join(parent, "child"), 0o755))
	child := writeBlueprint(t, composeChild, childScripts("echo \"$GREETING\" > \"$MARKER\"\nctx instance runtime-properties said \"$GREETING\"\n"))
	require.NoError(t, os.CopyFS(filepath.Join(parent, "child"), os.DirFS(child)))
	marker := filepath.Join(t.TempDir(), "m")
	e := installDeployment(t, m, "parent", parent, map[string]any{"marker": marker})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	_, err := m.GetBlueprint(ctx, "packed")
	require.NoError(t, err, "the archive folder is stored as blueprint packed")
	insts, err := m.ListNodeInstances(ctx, "parent", "comp")
	require.NoError(t, err)
	kid := insts[0].ID + "-0"
	require.Equal(t, map[string]any{"id": kid}, insts[0].RuntimeProperties["deployment"], "the instance's id with the first free suffix")
	require.Equal(t, "packed@child", insts[0].RuntimeProperties["capabilities"].(map[string]any)["endpoint"])
	s, err := m.GetSecret(ctx, "child_token")
	require.NoError(t, err)
	require.Equal(t, "s3cret", s.Value)

	_, res := run(t, m, "parent", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	_, err = m.GetDeployment(ctx, kid)
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = m.GetBlueprint(ctx, "packed")
	require.ErrorIs(t, err, store.ErrNotFound, "the blueprint the component stored is deleted with it")
}

const sharedWorkflowParent = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
node_templates:
  db:
    type: cloudify.nodes.SharedResource
    properties:
      resource_config:
        deployment: {id: shared}
  app:
    type: cloudify.nodes.Root
    relationships:
      - type: cloudify.relationships.connected_to_shared_resource
        target: db
        target_interfaces:
          cloudify.interfaces.relationship_lifecycle:
            establish:
              inputs: {workflow_id: restart, parameters: {node_ids: [svc]}, timeout: 60}
            unlink:
              inputs: {workflow_id: start, timeout: 60}
`

// The *_shared_resource relationships run a workflow of the shared
// deployment on establish.
func TestSharedResourceRelationshipRunsWorkflow(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	log := filepath.Join(t.TempDir(), "starts")
	const sharedBP = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  log: {type: string}
node_templates:
  svc:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        start:
          implementation: start.sh
          executor: central_deployment_agent
          inputs: {LOG: {get_input: log}}
`
	e := installDeployment(t, m, "shared", writeBlueprint(t, sharedBP, map[string]string{"start.sh": "echo start >> \"$LOG\"\n"}), map[string]any{"log": log})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	e = installDeployment(t, m, "app", writeBlueprint(t, sharedWorkflowParent, nil), nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	b, err := os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, "start\nstart\n", string(b), "install, then the restart the relationship ran")
	execs, err := m.ListExecutions(ctx, "shared")
	require.NoError(t, err)
	require.Len(t, execs, 2)
	require.Equal(t, "restart", execs[1].WorkflowID)
	_, res := run(t, m, "app", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	b, err = os.ReadFile(log)
	require.NoError(t, err)
	require.Equal(t, "start\nstart\nstart\n", string(b), "and the start its unlink ran")
}

// A Component's child runs in the process that runs the parent's
// operation, never queued: a parent queued on a shared store and run by a
// worker that runs one execution at a time completes (a queued child would
// wait for that worker forever).
func TestComponentQueuedOnWorker(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartEtcdCluster(t, 3)
	url := c.URL("compose") + "?lease-ttl=2s"
	work := t.TempDir()
	client, err := OpenLocal(url, Config{DataDir: filepath.Join(work, "client")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close() })
	// The worker's manager queues the executions it starts, as a server
	// with workers does.
	wm, err := OpenLocal(url, Config{DataDir: filepath.Join(work, "worker"), QueueExecutions: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = wm.Close() })
	w, err := wm.NewWorker(WorkerConfig{Name: "w", Parallel: 1, Log: func(msg string) { t.Log(msg) }})
	require.NoError(t, err)
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- w.Run(wctx) }()
	t.Cleanup(func() { stop(); require.NoError(t, <-done) })

	marker := filepath.Join(work, "child-ran")
	_, err = client.UploadBlueprint(ctx, "childbp", writeBlueprint(t, composeChild, childScripts("echo \"$GREETING\" > \"$MARKER\"\nctx instance runtime-properties said \"$GREETING\"\n")))
	require.NoError(t, err)
	_, err = client.UploadBlueprint(ctx, "parent", writeBlueprint(t, composeParent, nil))
	require.NoError(t, err)
	_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "parent", BlueprintID: "parent", Inputs: map[string]any{"marker": marker}})
	require.NoError(t, err)
	r, err := client.StartExecution(ctx, api.StartRequest{DeploymentID: "parent", Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	e, err := r.Wait(wait)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	out, err := client.Outputs(ctx, "parent")
	require.NoError(t, err)
	require.Equal(t, "hello@child", out["endpoint"])
	kid, err := client.ListExecutions(ctx, "kid")
	require.NoError(t, err)
	require.Len(t, kid, 1)
	require.Equal(t, store.ExecutionTerminated, kid[0].Status)
}
