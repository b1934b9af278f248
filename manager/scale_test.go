package manager

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// scaleBlueprint: a database and a scalable web tier connected to it. Every
// operation appends "<instance> <operation>" to $LOG.
const scaleBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
inputs:
  log: {type: string}
node_types:
  logged:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: log.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
        start: {implementation: log.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
        stop: {implementation: log.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
        delete: {implementation: log.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
node_templates:
  db:
    type: logged
  web:
    type: logged
    capabilities:
      scalable:
        properties: {default_instances: 1, min_instances: 0, max_instances: 5}
    relationships:
      - type: cloudify.relationships.connected_to
        target: db
        target_interfaces:
          cloudify.interfaces.relationship_lifecycle:
            establish: {implementation: log.sh, executor: central_deployment_agent, inputs: {LOG: {get_input: log}}}
            unlink: {implementation: log.sh, executor: central_deployment_agent, inputs: {LOG: {get_input: log}}}
`

const logScript = `#!/bin/sh
echo "$(ctx instance id) $(ctx operation name)" >> "$LOG"
`

func readLog(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	require.NoError(t, os.WriteFile(path, nil, 0o644))
	sort.Strings(lines)
	return lines
}

// installLogged installs scaleBlueprint as deployment id and returns the
// manager and the file its operations log to.
func installLogged(t *testing.T, id string) (*Manager, string) {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(scaleBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "log.sh"), []byte(logScript), 0o755))
	logFile := filepath.Join(t.TempDir(), "ops.log")
	m := newManager(t)
	ctx := context.Background()
	_, err := m.UploadBlueprint(ctx, id, dir)
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: id, BlueprintID: id, Inputs: map[string]any{"log": logFile}, Seed: 5})
	require.NoError(t, err)
	_, res := run(t, m, id, "install", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	return m, logFile
}

func instancesOf(t *testing.T, m *Manager, dep, node string) []*store.NodeInstance {
	t.Helper()
	insts, err := m.Store().ListNodeInstances(context.Background(), dep, node)
	require.NoError(t, err)
	return insts
}

// Scale out runs the new instances' lifecycle and, on the database side,
// establish for the new relationships only; scale in uninstalls the
// removed instance, unlinks it, and removes it from the store and the plan.
func TestScaleOutAndIn(t *testing.T) {
	ctx := context.Background()
	m, logFile := installLogged(t, "scale")
	first := instancesOf(t, m, "scale", "web")
	require.Len(t, first, 1)
	db := instancesOf(t, m, "scale", "db")[0].ID
	require.Len(t, readLog(t, logFile), 5, "db create/start, web create/start, establish on db")

	// Scale out by 2.
	_, res := run(t, m, "scale", "scale", map[string]any{"scalable_entity_name": "web", "delta": 2})
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	webs := instancesOf(t, m, "scale", "web")
	require.Len(t, webs, 3)
	var added []string
	for _, w := range webs {
		require.Equal(t, store.StateStarted, w.State, w.ID)
		require.Len(t, w.Relationships, 1)
		require.Equal(t, db, w.Relationships[0].TargetID)
		if w.ID != first[0].ID {
			added = append(added, w.ID)
		}
	}
	var want []string
	for _, id := range added {
		want = append(want,
			id+" cloudify.interfaces.lifecycle.create",
			id+" cloudify.interfaces.lifecycle.start",
			db+" cloudify.interfaces.relationship_lifecycle.establish")
	}
	sort.Strings(want)
	require.Equal(t, want, readLog(t, logFile), "only the new instances and their relationships run")
	d, err := m.Store().GetDeployment(ctx, "scale")
	require.NoError(t, err)
	for _, n := range d.Plan.Nodes {
		if n.ID == "web" {
			require.Equal(t, 3, n.PlannedInstances)
		}
	}

	// Scale in by 1: one web goes, with its relationship.
	_, res = run(t, m, "scale", "scale", map[string]any{"scalable_entity_name": "web", "delta": -1})
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	after := instancesOf(t, m, "scale", "web")
	require.Len(t, after, 2)
	gone := map[string]bool{}
	for _, w := range webs {
		gone[w.ID] = true
	}
	for _, w := range after {
		delete(gone, w.ID)
	}
	require.Len(t, gone, 1)
	var removed string
	for id := range gone {
		removed = id
	}
	want = []string{
		db + " cloudify.interfaces.relationship_lifecycle.unlink",
		removed + " cloudify.interfaces.lifecycle.delete",
		removed + " cloudify.interfaces.lifecycle.stop",
	}
	sort.Strings(want)
	require.Equal(t, want, readLog(t, logFile))

	// Beyond max_instances is refused before anything runs.
	_, err = m.StartExecution(ctx, api.StartRequest{DeploymentID: "scale", Workflow: "scale", Parameters: map[string]any{"scalable_entity_name": "web", "delta": 10}})
	require.ErrorContains(t, err, "scale web by 10")

	// Uninstall takes what is left; the store stays consistent.
	_, res = run(t, m, "scale", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	problems, err := m.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// Heal reinstalls the instance: stop/delete then create/start again.
func TestHealReinstallsTheInstance(t *testing.T) {
	m, logFile := installLogged(t, "heal")
	readLog(t, logFile)
	web := instancesOf(t, m, "heal", "web")[0].ID

	_, res := run(t, m, "heal", "heal", map[string]any{"node_instance_id": web})
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	got := readLog(t, logFile)
	for _, op := range []string{"stop", "delete", "create", "start"} {
		require.Contains(t, got, web+" cloudify.interfaces.lifecycle."+op)
	}
	require.Equal(t, store.StateStarted, instancesOf(t, m, "heal", "web")[0].State)
}

// A failed scale is rolled back: the added instance leaves the store, the
// plan keeps its count, and the next scale +1 adds exactly one (it used to
// leave an instance in creating and overshoot to 3).
func TestFailedScaleRollsBack(t *testing.T) {
	ctx := context.Background()
	m, logFile := installLogged(t, "sfail")
	require.Len(t, instancesOf(t, m, "sfail", "web"), 1)
	// Operations fail while the log is a folder.
	require.NoError(t, os.Remove(logFile))
	require.NoError(t, os.Mkdir(logFile, 0o755))
	retries := 0
	scale := func(params map[string]any) *api.Execution {
		r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "sfail", Workflow: "scale", Parameters: params, Options: api.ExecOptions{TaskRetries: &retries}})
		require.NoError(t, err)
		e, err := r.Wait(ctx)
		require.NoError(t, err, "the rollback succeeds")
		return e
	}
	e := scale(map[string]any{"scalable_entity_name": "web", "delta": 1})
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.Len(t, instancesOf(t, m, "sfail", "web"), 1, "the added instance is rolled back")
	d, err := m.Store().GetDeployment(ctx, "sfail")
	require.NoError(t, err)
	for _, n := range d.Plan.Nodes {
		if n.ID == "web" {
			require.Equal(t, 1, n.PlannedInstances, "the plan is untouched")
		}
	}

	require.NoError(t, os.Remove(logFile))
	e = scale(map[string]any{"scalable_entity_name": "web", "delta": 1})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	webs := instancesOf(t, m, "sfail", "web")
	require.Len(t, webs, 2, "no overshoot")
	for _, w := range webs {
		require.Equal(t, store.StateStarted, w.State, w.ID)
	}

	// A bad scale_compute is refused before anything is stored; custom
	// parameters reach the engine when allowed.
	_, err = m.StartExecution(ctx, api.StartRequest{DeploymentID: "sfail", Workflow: "scale", Parameters: map[string]any{"scalable_entity_name": "web", "scale_compute": "yes"}})
	require.ErrorIs(t, err, ErrBadParameter)
	require.ErrorContains(t, err, "scale_compute")
	require.Len(t, instancesOf(t, m, "sfail", "web"), 2)
	r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "sfail", Workflow: "scale",
		Parameters: map[string]any{"scalable_entity_name": "web", "delta": -1, "note": "x"},
		Options:    api.ExecOptions{AllowCustomParameters: true}})
	require.NoError(t, err)
	e, err = r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	require.Len(t, instancesOf(t, m, "sfail", "web"), 1)
}

const slowScaleBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
node_templates:
  web:
    type: cloudify.nodes.Root
    capabilities:
      scalable:
        properties: {default_instances: 0}
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: slow.sh, executor: central_deployment_agent}
`

// A cancelled scale is rolled back like a failed one.
func TestCancelledScaleRollsBack(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(slowScaleBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "slow.sh"), []byte("#!/bin/sh\nexec sleep 30\n"), 0o755))
	m := newManager(t)
	_, err := m.UploadBlueprint(ctx, "slow", dir)
	require.NoError(t, err)
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "slow", BlueprintID: "slow"})
	require.NoError(t, err)
	r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "slow", Workflow: "scale", Parameters: map[string]any{"scalable_entity_name": "web", "delta": 2}})
	require.NoError(t, err)
	require.Len(t, instancesOf(t, m, "slow", "web"), 2, "added instances are stored while the scale runs")
	r.Cancel(true)
	e, err := r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionCancelled, e.Status, e.Error)
	require.Empty(t, instancesOf(t, m, "slow", "web"), "the added instances are rolled back")
}

// A failed scale resumes: the resumed run plans the same modification
// (the instance ids come from a seed of the execution's id), stores the
// instances the rollback removed, and applies the scale when it succeeds.
func TestFailedScaleResumes(t *testing.T) {
	ctx := context.Background()
	m, logFile := installLogged(t, "sres")
	original := instancesOf(t, m, "sres", "web")[0].ID
	require.NoError(t, os.Remove(logFile))
	require.NoError(t, os.Mkdir(logFile, 0o755))
	retries := 0
	r, err := m.StartExecution(ctx, api.StartRequest{DeploymentID: "sres", Workflow: "scale", Parameters: map[string]any{"scalable_entity_name": "web", "delta": 1}, Options: api.ExecOptions{TaskRetries: &retries}})
	require.NoError(t, err)
	e, err := r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionFailed, e.Status)
	failed := map[string]bool{}
	evs, err := m.Events(ctx, e.ID, 0, 1000)
	require.NoError(t, err)
	for _, ev := range evs {
		if ev.NodeInstanceID != "" {
			failed[ev.NodeInstanceID] = true
		}
	}
	require.Len(t, instancesOf(t, m, "sres", "web"), 1, "rolled back")

	require.NoError(t, os.Remove(logFile))
	r, err = m.Resume(ctx, e.ID, api.ExecOptions{})
	require.NoError(t, err)
	e, err = r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	webs := instancesOf(t, m, "sres", "web")
	require.Len(t, webs, 2, "applied once, no overshoot")
	var added int
	for _, w := range webs {
		require.Equal(t, store.StateStarted, w.State, w.ID)
		if w.ID != original && failed[w.ID] {
			added++
		}
	}
	require.Equal(t, 1, added, "the resumed scale added the instance the failed run had planned (%v)", failed)
	d, err := m.Store().GetDeployment(ctx, "sres")
	require.NoError(t, err)
	for _, n := range d.Plan.Nodes {
		if n.ID == "web" {
			require.Equal(t, 2, n.PlannedInstances, "the plan records the scale")
		}
	}
}
