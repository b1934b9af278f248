package storetest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// NewFunc returns a fresh, empty store; Run closes it after each test.
type NewFunc func(t *testing.T) store.Store

// blueprintDir writes a small blueprint folder and returns its path.
func blueprintDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]struct {
		body string
		mode os.FileMode
	}{
		"blueprint.yaml":         {"tosca_definitions_version: cloudify_dsl_1_3\n", 0o644},
		"scripts/create.sh":      {"#!/bin/sh\necho created\n", 0o755},
		"resources/conf/app.ini": {"[app]\nport=8080\n", 0o600},
	}
	for name, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(f.body), f.mode))
	}
	return dir
}

// archive returns the archive of a small blueprint folder.
func archive(t testing.TB) []byte {
	t.Helper()
	data, err := store.ArchiveDir(blueprintDir(t), 0)
	require.NoError(t, err)
	return data
}

// plan returns a plan with nodes web (contained in host) and host, and n
// instances of web on one host instance.
func plan(n int) *tosca.Plan {
	p := &tosca.Plan{
		Version: "cloudify_dsl_1_3",
		Inputs:  map[string]any{"port": 8080},
		Nodes: []*tosca.Node{
			{ID: "host", Name: "host", Type: tosca.TypeCompute, TypeHierarchy: []string{tosca.TypeRoot, tosca.TypeCompute}},
			{ID: "web", Name: "web", Type: "web.Server", TypeHierarchy: []string{tosca.TypeRoot, "web.Server"},
				Properties: map[string]any{"port": 8080},
				Relationships: []*tosca.Relationship{{Type: tosca.RelContainedIn, TargetID: "host",
					TypeHierarchy: []string{tosca.RelDependsOn, tosca.RelContainedIn}}}},
		},
		Outputs: map[string]*tosca.Output{
			"url": {Value: map[string]any{"get_attribute": []any{"web", "url"}}},
		},
		Capabilities: map[string]*tosca.Output{"endpoint": {Value: "x"}},
		Workflows:    map[string]*tosca.Workflow{"install": {Plugin: "default_workflows", Operation: "cloudify.plugins.workflows.install"}},
	}
	p.NodeInstances = append(p.NodeInstances, &tosca.NodeInstance{ID: "host_1", Name: "host_1", NodeID: "host", HostID: "host_1"})
	for i := range n {
		id := fmt.Sprintf("web_%05d", i)
		p.NodeInstances = append(p.NodeInstances, &tosca.NodeInstance{ID: id, Name: id, NodeID: "web", HostID: "host_1",
			Relationships: []*tosca.InstanceRelationship{{Type: tosca.RelContainedIn, TargetName: "host", TargetID: "host_1"}}})
	}
	return p
}

// seed creates blueprint "bp" and deployment dep with n web instances.
func seed(t testing.TB, s store.Store, dep string, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.GetBlueprint(ctx, "bp"); err != nil {
		require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "bp", MainFile: "blueprint.yaml"}, archive(t)))
	}
	require.NoError(t, s.CreateDeployment(ctx, &store.Deployment{ID: dep, BlueprintID: "bp",
		Inputs: map[string]any{"port": 8080}, Plan: plan(n)}))
}

// execution creates an execution of workflow on dep.
func execution(t testing.TB, s store.Store, id, dep string) *store.Execution {
	t.Helper()
	e := &store.Execution{ID: id, DeploymentID: dep, WorkflowID: "install", Parameters: map[string]any{"x": 1}}
	require.NoError(t, s.CreateExecution(context.Background(), e))
	return e
}

// requireClean asserts that the store passes its consistency check.
func requireClean(t testing.TB, s store.Store) {
	t.Helper()
	problems, err := s.Check(context.Background())
	require.NoError(t, err)
	require.Empty(t, problems)
}
