package workflow

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// updatePlan is the plan an update of a, b, c runs over: c's relationship
// to a is removed (lost), one to b added (gained); x is removed, y (depends
// on a) added, b reinstalled.
func updatePlan() (*tosca.Plan, *UpdateChange) {
	lifecycle := map[string]*tosca.Operation{opCreate: op("p", nil), opDelete: op("p", nil)}
	relOps := map[string]*tosca.Operation{relEstablish: op("p", nil), relUnlink: op("p", nil)}
	pb := newPlan()
	for _, id := range []string{"a", "b", "c", "y", "x"} {
		pb.node(id, []string{tosca.TypeRoot}, lifecycle, 1)
	}
	pb.rel("c", tosca.RelConnectedTo, "b", relOps, nil)
	pb.rel("c", tosca.RelConnectedTo, "a", relOps, nil) // lost: appended last
	pb.rel("y", tosca.RelConnectedTo, "a", relOps, nil)
	pb.rel("x", tosca.RelConnectedTo, "a", relOps, nil)
	p := pb.p
	byID := map[string]*tosca.NodeInstance{}
	for _, ni := range p.NodeInstances {
		byID[ni.ID] = ni
	}
	c := byID["c_1"]
	lost, gained := *c, *c
	lost.Relationships, gained.Relationships = c.Relationships[1:], c.Relationships[:1]
	c.Relationships = c.Relationships[:1] // the plan's instance has only the kept ones
	x := byID["x_1"]
	p.NodeInstances = p.NodeInstances[:4] // x_1 is removed: not in the plan's instances
	return p, &UpdateChange{Added: []*tosca.NodeInstance{byID["y_1"]}, Removed: []*tosca.NodeInstance{x},
		Extended: []*tosca.NodeInstance{&gained}, Reduced: []*tosca.NodeInstance{&lost}, Reinstall: []string{"b_1"}}
}

// reaches reports whether task to depends (transitively) on task from.
func reaches(g *Graph, from, to string) bool {
	f, ok1 := g.Lookup(from)
	_, ok2 := g.Lookup(to)
	if !ok1 || !ok2 {
		return false
	}
	seen := map[int32]bool{}
	stack := append([]int32(nil), f.succ...)
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[i] {
			continue
		}
		seen[i] = true
		if g.Tasks[i].ID == to {
			return true
		}
		stack = append(stack, g.Tasks[i].succ...)
	}
	return false
}

func taskIDs(g *Graph, prefix string) []string {
	var out []string
	for _, t := range g.Tasks {
		if strings.HasPrefix(t.ID, prefix) && t.Kind == KindOperation {
			out = append(out, t.ID)
		}
	}
	return out
}

func TestUpdateGraph(t *testing.T) {
	p, ch := updatePlan()
	states := map[string]string{"a_1": StateStarted, "b_1": StateStarted, "c_1": StateStarted, "x_1": StateStarted}
	g, err := BuildGraph(BuildOptions{Plan: p, Workflow: WorkflowUpdate, Update: ch, States: states,
		Params: map[string]any{"blueprint_id": "v2", "inputs": map[string]any{}}})
	require.NoError(t, err)
	// The lost relationship is unlinked, the gained one established, both
	// on the intact c_1; neither the other way round.
	require.Equal(t, []string{"update-unlink/c_1/rel1:a_1/source/" + relUnlink}, taskIDs(g, "update-unlink/"))
	require.Equal(t, []string{"update-establish/c_1/rel0:b_1/source/" + relEstablish}, taskIDs(g, "update-establish/"))
	// Removed before added, added before the reinstall.
	require.True(t, reaches(g, "uninstall/x_1/state:deleted", "install/y_1/state:initializing"))
	require.True(t, reaches(g, "update-unlink/c_1/rel1:a_1/source/"+relUnlink, "install/y_1/state:initializing"))
	require.True(t, reaches(g, "install/y_1/state:started", "reinstall-uninstall/b_1/state:stopping"))
	require.True(t, reaches(g, "reinstall-uninstall/b_1/state:deleted", "reinstall-install/b_1/state:initializing"))
	// c_1 follows b_1's reinstall through its kept relationship only.
	require.Equal(t, []string{"reinstall-uninstall/c_1/rel0:b_1/source/" + relUnlink}, taskIDs(g, "reinstall-uninstall/c_1/"))
	require.Equal(t, []string{"reinstall-install/c_1/rel0:b_1/source/" + relEstablish}, taskIDs(g, "reinstall-install/c_1/"))
	// Intact a_1 runs nothing of its own.
	for _, tk := range g.Tasks {
		if tk.Kind == KindOperation && tk.InstanceID == "a_1" {
			t.Errorf("task on the intact a_1: %s", tk.ID)
		}
	}

	// Without a change, update is not a workflow to start by name.
	_, err = BuildGraph(BuildOptions{Plan: p, Workflow: WorkflowUpdate})
	require.ErrorIs(t, err, ErrUnknownWorkflow)
}

func TestUpdateRollbackGraph(t *testing.T) {
	p, ch := updatePlan()
	ch.Rollback = true
	g, err := BuildGraph(BuildOptions{Plan: p, Workflow: WorkflowUpdate, Update: ch,
		States: map[string]string{"y_1": StateCreated, "x_1": StateDeleted}})
	require.NoError(t, err)
	var ops []string
	for _, tk := range g.Tasks {
		if tk.Kind == KindOperation {
			ops = append(ops, tk.ID)
			require.True(t, tk.IgnoreFailure, "%s: a rollback ignores failures", tk.ID)
		}
	}
	require.Equal(t, []string{"rollback-uninstall/y_1/rel0:a_1/source/" + relUnlink, "rollback-uninstall/y_1/" + opDelete}, ops)
	// Nothing to undo when the added instance never started to install.
	g, err = BuildGraph(BuildOptions{Plan: p, Workflow: WorkflowUpdate, Update: ch, States: map[string]string{}})
	require.NoError(t, err)
	require.Zero(t, g.OperationCount())
}
