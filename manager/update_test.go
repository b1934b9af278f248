package manager

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca/plandiff"
)

// updateBlueprintHead declares a logged node type (every operation appends
// "<instance> <operation> <msg>" to $LOG; create records a runtime
// property) and a relationship whose source establish / unlink log too.
// FAIL_NODE names a node whose create fails.
const updateBlueprintHead = `tosca_definitions_version: cloudify_dsl_1_3
imports: [http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml]
inputs:
  log: {type: string}
  msg: {default: hello}
  fail_node: {default: none}
node_types:
  logged:
    derived_from: cloudify.nodes.Root
    properties:
      msg: {default: ''}
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: op.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}, FAIL: {default: {get_input: fail_node}}}}
        start: {implementation: op.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
        stop: {implementation: op.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
        delete: {implementation: op.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
relationships:
  linked:
    derived_from: cloudify.relationships.connected_to
    source_interfaces:
      cloudify.interfaces.relationship_lifecycle:
        establish: {implementation: op.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
        unlink: {implementation: op.sh, executor: central_deployment_agent, inputs: {LOG: {default: {get_input: log}}}}
node_templates:
`

const updateScript = `#!/bin/sh
op=$(ctx operation name); op=${op##*.}
node=$(ctx node id)
echo "$node $op $(ctx node properties msg)" >> "$LOG"
if [ "$op" = create ]; then
  [ "$FAIL" = "$node" ] && { echo "create of $node fails" >&2; exit 1; }
  ctx instance runtime-properties created "$node"
fi
exit 0
`

// v1: db; web (msg from the input) linked to db; cache linked to db.
const updateV1 = `  db:
    type: logged
  web:
    type: logged
    properties: {msg: {get_input: msg}}
    relationships: [{type: linked, target: db}]
  cache:
    type: logged
    relationships: [{type: linked, target: db}]
`

// v2: cache removed, web2 added (linked to db and web), web unchanged.
const updateV2 = `  db:
    type: logged
  web:
    type: logged
    properties: {msg: {get_input: msg}}
    relationships: [{type: linked, target: db}]
  web2:
    type: logged
    relationships: [{type: linked, target: db}, {type: linked, target: web}]
`

// updateEnv is a manager with deployment "d" of blueprint v1 installed and
// blueprint v2 uploaded.
type updateEnv struct {
	m   *Manager
	log string
}

func newUpdateEnv(t *testing.T, v1, v2 string) *updateEnv {
	t.Helper()
	m := newManager(t)
	ctx := context.Background()
	uploadUpdateBlueprints(t, m, v1, v2)
	log := filepath.Join(t.TempDir(), "ops.log")
	_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: "v1", Inputs: map[string]any{"log": log}, Seed: 3})
	require.NoError(t, err)
	e, _ := run(t, m, "d", "install", nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	require.NoError(t, os.WriteFile(log, nil, 0o644))
	return &updateEnv{m: m, log: log}
}

// uploadUpdateBlueprints uploads blueprints v1 and v2 of the node
// templates given.
func uploadUpdateBlueprints(t *testing.T, m *Manager, v1, v2 string) {
	t.Helper()
	for id, body := range map[string]string{"v1": v1, "v2": v2} {
		dir := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(updateBlueprintHead+body), 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(dir, "op.sh"), []byte(updateScript), 0o755))
		_, err := m.UploadBlueprint(context.Background(), id, dir)
		require.NoError(t, err)
	}
}

// update runs a deployment update to v2 and waits for it.
func (u *updateEnv) update(t *testing.T, req api.UpdateDeploymentRequest) (*api.DeploymentUpdate, *store.Execution) {
	t.Helper()
	ctx := context.Background()
	req.DeploymentID, req.BlueprintID = "d", "v2"
	out, err := u.m.UpdateDeployment(ctx, req)
	require.NoError(t, err)
	if req.Preview {
		require.Nil(t, out.Run)
		return out, nil
	}
	e, err := out.Run.Wait(ctx)
	require.NoError(t, err)
	return out, e
}

// ops returns the logged operations, in order, and empties the log.
func (u *updateEnv) ops(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(u.log)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(u.log, nil, 0o644))
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// requireOps checks that ops are want in any order, and that each pair
// of before holds in that order (first occurrences).
func requireOps(t *testing.T, ops, want []string, before ...[2]string) {
	t.Helper()
	got := append([]string(nil), ops...)
	sort.Strings(got)
	w := append([]string(nil), want...)
	sort.Strings(w)
	require.Equal(t, w, got, "operations run (in order: %q)", ops)
	pos := map[string]int{}
	for i := len(ops) - 1; i >= 0; i-- {
		pos[ops[i]] = i
	}
	for _, b := range before {
		require.Less(t, pos[b[0]], pos[b[1]], "%q runs before %q (in order: %q)", b[0], b[1], ops)
	}
}

// state is the deployment as stored: blueprint, inputs and node -> its
// instances' ids, states and runtime property "created".
func (u *updateEnv) state(t *testing.T) (string, map[string]any, map[string][]string) {
	t.Helper()
	ctx := context.Background()
	d, err := u.m.GetDeployment(ctx, "d")
	require.NoError(t, err)
	insts, err := u.m.ListNodeInstances(ctx, "d", "")
	require.NoError(t, err)
	nodes := map[string][]string{}
	for _, ni := range insts {
		nodes[ni.NodeID] = append(nodes[ni.NodeID], ni.ID+" "+string(ni.State)+" "+anyString(ni.RuntimeProperties["created"]))
	}
	return d.BlueprintID, d.Inputs, nodes
}

func anyString(v any) string {
	s, _ := v.(string)
	return s
}

func TestUpdatePreviewChangesNothing(t *testing.T) {
	u := newUpdateEnv(t, updateV1, updateV2)
	bp, inputs, before := u.state(t)
	out, _ := u.update(t, api.UpdateDeploymentRequest{Preview: true, Inputs: map[string]any{"msg": "bye"}})
	require.Equal(t, "v1", out.OldBlueprintID)
	require.Equal(t, "v2", out.BlueprintID)
	require.Equal(t, "bye", out.Inputs["msg"])
	require.Equal(t, []plandiff.NodeChange{
		{Node: "cache", Kind: plandiff.Removed},
		{Node: "web", Kind: plandiff.Modified, Properties: []string{"msg"}},
		{Node: "web2", Kind: plandiff.Added},
	}, out.Change.Nodes)
	require.Equal(t, []string{"web"}, out.ReinstallNodes)
	require.Len(t, out.AddedInstances, 1)
	require.Len(t, out.RemovedInstances, 1)
	require.Len(t, out.ReinstallInstances, 1)
	require.Empty(t, u.ops(t), "a preview runs nothing")
	bp2, inputs2, after := u.state(t)
	require.Equal(t, bp, bp2)
	require.Equal(t, inputs, inputs2)
	require.Equal(t, before, after)
	execs, err := u.m.ListExecutions(context.Background(), "d")
	require.NoError(t, err)
	require.Len(t, execs, 1, "only the install: a preview starts no execution")
}

// The update uninstalls the removed node (unlinking first), installs the
// added one and establishes its relationships, reinstalls web (its
// property changed), and leaves db alone (same instance, runtime
// properties kept). The deployment then is on v2 with the new input.
func TestUpdateApplies(t *testing.T) {
	u := newUpdateEnv(t, updateV1, updateV2)
	_, _, before := u.state(t)
	out, e := u.update(t, api.UpdateDeploymentRequest{Inputs: map[string]any{"msg": "bye"}})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	require.Equal(t, "update", e.WorkflowID)
	requireOps(t, u.ops(t), []string{
		"cache stop", "cache unlink", "cache delete", // removed
		"web2 create", "web2 start", "web2 establish", "web2 establish", // added
		"web stop bye", "web unlink bye", "web delete bye", // reinstalled with the new definition,
		"web create bye", "web start bye", "web establish bye",
		"web2 unlink", "web2 establish", // web2's relationship to web follows web's reinstall
	}, [2]string{"cache stop", "cache unlink"}, [2]string{"cache unlink", "cache delete"},
		[2]string{"cache delete", "web2 create"}, [2]string{"web2 start", "web stop bye"},
		[2]string{"web delete bye", "web create bye"})
	bp, inputs, after := u.state(t)
	require.Equal(t, "v2", bp)
	require.Equal(t, "bye", inputs["msg"])
	require.Equal(t, before["db"], after["db"], "db untouched")
	require.Equal(t, before["web"], after["web"], "web keeps its instance")
	require.NotContains(t, after, "cache")
	require.Equal(t, []string{out.AddedInstances[0] + " started web2"}, after["web2"])
	plan, err := u.m.DeploymentPlan(context.Background(), "d")
	require.NoError(t, err)
	var nodes []string
	for _, n := range plan.Nodes {
		nodes = append(nodes, n.ID)
	}
	require.Equal(t, []string{"db", "web", "web2"}, nodes)
	// The added instance relates to db's and web's instances.
	web2, err := u.m.ListNodeInstances(context.Background(), "d", "web2")
	require.NoError(t, err)
	require.Len(t, web2[0].Relationships, 2)

	// Nothing changes the second time: an empty update runs no operation.
	out, e = u.update(t, api.UpdateDeploymentRequest{})
	require.True(t, out.Change.Empty(), "%+v", out.Change)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	require.Empty(t, u.ops(t))
}

func TestUpdateReinstallChoices(t *testing.T) {
	for _, tc := range []struct {
		name string
		req  api.UpdateDeploymentRequest
		want []string
	}{
		{"skip reinstall", api.UpdateDeploymentRequest{SkipReinstall: true}, []string{}},
		// db is reinstalled, its dependents unlink and establish again;
		// web's changed property does not reinstall it.
		{"reinstall list", api.UpdateDeploymentRequest{SkipReinstall: true, ReinstallList: []string{"db"}},
			[]string{"web unlink bye", "cache unlink", "db stop", "db delete", "db create", "db start", "web establish bye", "cache establish"}},
		{"automatic reinstall", api.UpdateDeploymentRequest{},
			[]string{"web stop bye", "web unlink bye", "web delete bye", "web create bye", "web start bye", "web establish bye"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := newUpdateEnv(t, updateV1, updateV1)
			tc.req.Inputs = map[string]any{"msg": "bye"}
			_, e := u.update(t, tc.req)
			require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
			requireOps(t, u.ops(t), tc.want)
			_, inputs, _ := u.state(t)
			require.Equal(t, "bye", inputs["msg"])
		})
	}
}

func TestUpdateBadRequests(t *testing.T) {
	u := newUpdateEnv(t, updateV1, updateV2)
	ctx := context.Background()
	_, err := u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", BlueprintID: "nope"})
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", BlueprintID: "v2", ReinstallList: []string{"ghost"}})
	require.ErrorIs(t, err, ErrInvalid)
	_, err = u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", BlueprintID: "v2", Inputs: map[string]any{"unknown": 1}})
	var pe *ProblemsError
	require.True(t, errors.As(err, &pe), "%v", err)
	_, err = u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", BlueprintID: "v2", Options: api.ExecOptions{Queue: true}})
	require.ErrorIs(t, err, ErrInvalid)
	require.ErrorContains(t, err, "etcd://", "queued on a store workers do not share")
	require.Empty(t, u.ops(t))
}

// When an added instance fails to install, the update is rolled back: the
// added instances are uninstalled and removed, the deployment stays on
// its blueprint, and the execution is failed, rolled back, not resumable.
func TestUpdateRolledBackWhenAnAddedInstanceFails(t *testing.T) {
	u := newUpdateEnv(t, updateV1, updateV2)
	_, _, before := u.state(t)
	out, e := u.update(t, api.UpdateDeploymentRequest{SkipReinstall: true, Inputs: map[string]any{"fail_node": "web2"}})
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.True(t, e.RolledBack)
	require.Contains(t, e.Error, "rolled back")
	ops := u.ops(t)
	require.Contains(t, ops, "web2 create")
	require.Contains(t, ops, "web2 delete", "the added instance is uninstalled")
	require.NotContains(t, ops, "web2 start")
	bp, inputs, after := u.state(t)
	require.Equal(t, "v1", bp, "the deployment stays on its blueprint")
	require.Equal(t, "none", inputs["fail_node"], "the deployment keeps its inputs")
	require.NotContains(t, after, "web2", "the added instance is removed")
	require.Equal(t, before["db"], after["db"])
	require.Equal(t, before["web"], after["web"])
	_, err := u.m.GetNodeInstance(context.Background(), "d", out.AddedInstances[0])
	require.ErrorIs(t, err, store.ErrNotFound)
	_, err = u.m.Resume(context.Background(), e.ID, api.ExecOptions{})
	require.ErrorIs(t, err, ErrNotResumable)
	require.Equal(t, "v2", e.TargetBlueprintID)
	require.NoError(t, u.m.DeleteBlueprint(context.Background(), "v2"), "a rolled-back update holds its blueprint no more")
}
