package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func testDeployments(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d2", 3)
	seed(t, s, "d1", 1)

	d, err := s.GetDeployment(ctx, "d2")
	require.NoError(t, err)
	assert.Equal(t, "bp", d.BlueprintID)
	assert.EqualValues(t, 8080, d.Inputs["port"])
	require.NotNil(t, d.Plan)
	require.Len(t, d.Plan.Nodes, 2)
	assert.Equal(t, "web", d.Plan.Nodes[1].ID)
	assert.Equal(t, "host", d.Plan.Nodes[1].Relationships[0].TargetID)
	assert.Contains(t, d.Plan.Outputs, "url")
	assert.Contains(t, d.Plan.Capabilities, "endpoint")
	assert.Contains(t, d.Plan.Workflows, "install")
	assert.Empty(t, d.Plan.NodeInstances, "instances live in their own records")
	assert.False(t, d.CreatedAt.IsZero())

	rec, err := s.GetDeploymentRecord(ctx, "d2")
	require.NoError(t, err)
	assert.Nil(t, rec.Plan, "the record comes without its plan")
	want := *d
	want.Plan = nil
	assert.Equal(t, &want, rec, "and is otherwise the deployment")

	insts, err := s.ListNodeInstances(ctx, "d2", "")
	require.NoError(t, err)
	require.Len(t, insts, 4)
	for _, ni := range insts {
		assert.Equal(t, store.StateUninitialized, ni.State)
		assert.Equal(t, 1, ni.Version)
		assert.Equal(t, "d2", ni.DeploymentID)
		assert.NotNil(t, ni.RuntimeProperties)
	}

	list, err := s.ListDeployments(ctx, "")
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "d1", list[0].ID)
	assert.Nil(t, list[0].Plan, "lists carry no plans")
	byBP, err := s.ListDeployments(ctx, "bp")
	require.NoError(t, err)
	assert.Len(t, byBP, 2)
	none, err := s.ListDeployments(ctx, "other")
	require.NoError(t, err)
	assert.Empty(t, none)

	err = s.CreateDeployment(ctx, &store.Deployment{ID: "d1", BlueprintID: "bp", Plan: plan(0)})
	assert.ErrorIs(t, err, store.ErrExists)
	err = s.CreateDeployment(ctx, &store.Deployment{ID: "d3", BlueprintID: "missing", Plan: plan(0)})
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.Contains(t, err.Error(), `"missing"`)
	_, err = s.GetDeployment(ctx, "d3")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetDeploymentRecord(ctx, "d3")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetDeploymentRecord(ctx, "")
	assert.ErrorIs(t, err, store.ErrInvalid)

	// Duplicate instance ids in a plan are refused, atomically.
	p := plan(1)
	p.NodeInstances = append(p.NodeInstances, p.NodeInstances[1])
	err = s.CreateDeployment(ctx, &store.Deployment{ID: "dup", BlueprintID: "bp", Plan: p})
	assert.ErrorIs(t, err, store.ErrExists)
	_, err = s.GetDeployment(ctx, "dup")
	assert.ErrorIs(t, err, store.ErrNotFound, "nothing of it stored")
	requireClean(t, s)
}

func testUpdateDeployment(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	before, err := s.GetDeployment(ctx, "d")
	require.NoError(t, err)
	d, err := s.UpdateDeployment(ctx, "d", func(d *store.Deployment) error {
		d.Plan.Nodes[1].Capabilities.CurrentInstances = 5
		d.Description = "scaled"
		d.ID = "hijack" // ignored
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, "d", d.ID)
	got, err := s.GetDeployment(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, "scaled", got.Description)
	assert.Equal(t, "bp", got.BlueprintID)
	assert.Equal(t, 5, got.Plan.Nodes[1].Capabilities.CurrentInstances)
	rec, err := s.GetDeploymentRecord(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, "scaled", rec.Description, "the record follows updates")
	assert.True(t, rec.UpdatedAt.Equal(got.UpdatedAt))
	assert.True(t, before.CreatedAt.Equal(got.CreatedAt))
	assert.False(t, got.UpdatedAt.Before(before.UpdatedAt))

	boom := assert.AnError
	_, err = s.UpdateDeployment(ctx, "d", func(d *store.Deployment) error { d.Description = "no"; return boom })
	assert.ErrorIs(t, err, boom)
	got, err = s.GetDeployment(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, "scaled", got.Description, "failed update writes nothing")
	_, err = s.UpdateDeployment(ctx, "nope", func(*store.Deployment) error { return nil })
	assert.ErrorIs(t, err, store.ErrNotFound)

	// A deployment update moves it to another blueprint, which must exist;
	// the blueprint index follows.
	_, err = s.UpdateDeployment(ctx, "d", func(d *store.Deployment) error { d.BlueprintID = "other"; return nil })
	assert.ErrorIs(t, err, store.ErrNotFound)
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "other", MainFile: "blueprint.yaml"}, archive(t)))
	_, err = s.UpdateDeployment(ctx, "d", func(d *store.Deployment) error { d.BlueprintID = "other"; return nil })
	require.NoError(t, err)
	got, err = s.GetDeployment(ctx, "d")
	require.NoError(t, err)
	assert.Equal(t, "other", got.BlueprintID)
	byOld, err := s.ListDeployments(ctx, "bp")
	require.NoError(t, err)
	assert.Empty(t, byOld)
	byNew, err := s.ListDeployments(ctx, "other")
	require.NoError(t, err)
	assert.Len(t, byNew, 1)
	assert.ErrorIs(t, s.DeleteBlueprint(ctx, "other"), store.ErrInUse)
	require.NoError(t, s.DeleteBlueprint(ctx, "bp"))
	requireClean(t, s)
}

func testDeleteDeploymentCascades(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "gone", 20)
	seed(t, s, "kept", 2)
	for _, dep := range []string{"gone", "kept"} {
		e := execution(t, s, "e-"+dep, dep)
		require.NoError(t, s.PutTasks(ctx, e.ID, []*store.Task{{ID: "web_00000/create", Status: store.TaskSucceeded}}))
		require.NoError(t, s.AppendEvents(ctx, e.ID, []*store.Event{{Type: "log", Message: "hi"}}))
		_, err := s.UpdateExecution(ctx, e.ID, func(e *store.Execution) error { e.Status = store.ExecutionTerminated; return nil })
		require.NoError(t, err)
	}
	require.NoError(t, s.PutDependency(ctx, &store.Dependency{SourceDeploymentID: "gone", TargetDeploymentID: "kept", Creator: "proxy_1"}))

	require.NoError(t, s.DeleteDeployment(ctx, "gone", false))

	_, err := s.GetDeployment(ctx, "gone")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ListNodeInstances(ctx, "gone", "")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.GetExecution(ctx, "e-gone")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.ListTasks(ctx, "e-gone")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.Events(ctx, "e-gone", 0, 0)
	assert.ErrorIs(t, err, store.ErrNotFound)
	deps, err := s.ListDependencies(ctx, store.DependencyFilter{})
	require.NoError(t, err)
	assert.Empty(t, deps)
	all, err := s.ListExecutions(ctx, "")
	require.NoError(t, err)
	require.Len(t, all, 1)
	assert.Equal(t, "e-kept", all[0].ID)

	// The other deployment is intact.
	insts, err := s.ListNodeInstances(ctx, "kept", "")
	require.NoError(t, err)
	assert.Len(t, insts, 3)
	evs, err := s.Events(ctx, "e-kept", 0, 0)
	require.NoError(t, err)
	assert.Len(t, evs, 1)
	requireClean(t, s)

	// The id can be reused, from scratch.
	seed(t, s, "gone", 1)
	insts, err = s.ListNodeInstances(ctx, "gone", "")
	require.NoError(t, err)
	assert.Len(t, insts, 2)
	requireClean(t, s)
	assert.ErrorIs(t, s.DeleteDeployment(ctx, "never", false), store.ErrNotFound)
}

func testDeleteDeploymentInUse(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	seed(t, s, "user", 1)
	e := execution(t, s, "run", "d")
	err := s.DeleteDeployment(ctx, "d", false)
	assert.ErrorIs(t, err, store.ErrInUse)
	assert.Contains(t, err.Error(), `"run"`)
	_, err = s.UpdateExecution(ctx, e.ID, func(e *store.Execution) error { e.Status = store.ExecutionFailed; return nil })
	require.NoError(t, err)

	require.NoError(t, s.PutDependency(ctx, &store.Dependency{SourceDeploymentID: "user", TargetDeploymentID: "d", Creator: "proxy"}))
	err = s.DeleteDeployment(ctx, "d", false)
	assert.ErrorIs(t, err, store.ErrInUse)
	assert.Contains(t, err.Error(), `"user"`)

	require.NoError(t, s.DeleteDeployment(ctx, "d", true), "force")
	deps, err := s.ListDependencies(ctx, store.DependencyFilter{SourceDeploymentID: "user"})
	require.NoError(t, err)
	assert.Empty(t, deps, "dependencies on a force-deleted deployment go with it")
	requireClean(t, s)
}

func testDependencies(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, d := range []string{"a", "b", "c"} {
		seed(t, s, d, 0)
	}
	put := func(src, dst, creator string) {
		require.NoError(t, s.PutDependency(ctx, &store.Dependency{SourceDeploymentID: src, TargetDeploymentID: dst, Creator: creator}))
	}
	put("a", "b", "proxy_1")
	put("a", "c", "proxy_2")
	put("b", "c", "cap")
	put("a", "b", "proxy_2") // replaces a/proxy_2 -> c

	bySource, err := s.ListDependencies(ctx, store.DependencyFilter{SourceDeploymentID: "a"})
	require.NoError(t, err)
	require.Len(t, bySource, 2)
	assert.Equal(t, "b", bySource[1].TargetDeploymentID)
	byTarget, err := s.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: "c"})
	require.NoError(t, err)
	require.Len(t, byTarget, 1, "replaced dependency left the target's index")
	assert.Equal(t, "b", byTarget[0].SourceDeploymentID)
	both, err := s.ListDependencies(ctx, store.DependencyFilter{SourceDeploymentID: "a", TargetDeploymentID: "b"})
	require.NoError(t, err)
	assert.Len(t, both, 2)

	assert.ErrorIs(t, s.PutDependency(ctx, &store.Dependency{SourceDeploymentID: "a", TargetDeploymentID: "zz", Creator: "x"}), store.ErrNotFound)
	assert.ErrorIs(t, s.PutDependency(ctx, &store.Dependency{SourceDeploymentID: "a", TargetDeploymentID: "a", Creator: "x"}), store.ErrInvalid)
	require.NoError(t, s.DeleteDependency(ctx, "a", "proxy_1"))
	assert.ErrorIs(t, s.DeleteDependency(ctx, "a", "proxy_1"), store.ErrNotFound)
	all, err := s.ListDependencies(ctx, store.DependencyFilter{})
	require.NoError(t, err)
	assert.Len(t, all, 2)
	requireClean(t, s)
}
