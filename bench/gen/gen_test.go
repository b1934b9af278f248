package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/tosca"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBuild(t *testing.T) {
	tests := []struct {
		name      string
		opts      Options
		width     int
		edges     int
		lastDeps  []string // dependencies of the last node
		firstDeps int      // dependencies of node 0
	}{
		{"one 100", Options{Nodes: 100, Layers: 10, Shape: ShapeOne}, 10, 90, []string{"n8_9"}, 0},
		{"all 100", Options{Nodes: 100, Layers: 10, Shape: ShapeAll, FanIn: 10}, 10, 900,
			[]string{"n8_9", "n8_0", "n8_1", "n8_2", "n8_3", "n8_4", "n8_5", "n8_6", "n8_7", "n8_8"}, 0},
		{"all 1000 fan-in 10 of 100 wide", Options{Nodes: 1000, Layers: 10, Shape: ShapeAll, FanIn: 10}, 100, 9000,
			[]string{"n8_99", "n8_0", "n8_1", "n8_2", "n8_3", "n8_4", "n8_5", "n8_6", "n8_7", "n8_8"}, 0},
		{"fan-in capped at width", Options{Nodes: 20, Layers: 10, Shape: ShapeAll, FanIn: 10}, 2, 36, []string{"n8_1", "n8_0"}, 0},
		{"one layer", Options{Nodes: 5, Layers: 1, Shape: ShapeAll, FanIn: 10}, 5, 0, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := Build(tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.width, g.Width)
			assert.Len(t, g.Names, tt.opts.Nodes)
			assert.Equal(t, tt.edges, g.Edges())
			assert.Equal(t, tt.lastDeps, g.Deps[len(g.Deps)-1])
			assert.Len(t, g.Deps[0], tt.firstDeps)
		})
	}
}

// TestBuildBalanced checks that in shape "all" every node of a layer but the
// last has the same number of dependents.
func TestBuildBalanced(t *testing.T) {
	g, err := Build(Options{Nodes: 1000, Layers: 10, Shape: ShapeAll, FanIn: 10})
	require.NoError(t, err)
	dependents := map[string]int{}
	for _, deps := range g.Deps {
		for _, d := range deps {
			dependents[d]++
		}
	}
	for k, name := range g.Names[:900] {
		assert.Equal(t, 10, dependents[name], "node %d (%s)", k, name)
	}
	for _, name := range g.Names[900:] {
		assert.Zero(t, dependents[name], name)
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		msg  string
	}{
		{"no layers", Options{Nodes: 10, Layers: 0, Shape: ShapeOne}, "layers must be positive"},
		{"too few nodes", Options{Nodes: 5, Layers: 10, Shape: ShapeOne}, "cannot fill"},
		{"not a multiple", Options{Nodes: 105, Layers: 10, Shape: ShapeOne}, "not a multiple"},
		{"bad shape", Options{Nodes: 100, Layers: 10, Shape: "some"}, `shape "some"`},
		{"no fan-in", Options{Nodes: 100, Layers: 10, Shape: ShapeAll}, "fan-in must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.opts)
			require.ErrorIs(t, err, ErrBadGraph)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

// TestGantryBlueprintPlans parses and plans the generated blueprint with
// Gantry's own parser: every node, every relationship, and the create script.
func TestGantryBlueprintPlans(t *testing.T) {
	for _, shape := range []Shape{ShapeOne, ShapeAll} {
		t.Run(string(shape), func(t *testing.T) {
			g, err := Build(Options{Nodes: 200, Layers: 10, Shape: shape, FanIn: 10})
			require.NoError(t, err)
			dir := t.TempDir()
			require.NoError(t, WriteGantry(dir, g))

			script, err := os.ReadFile(filepath.Join(dir, "scripts", "true.sh"))
			require.NoError(t, err)
			assert.Equal(t, TrueScript, string(script))
			fi, err := os.Stat(filepath.Join(dir, "scripts", "true.sh"))
			require.NoError(t, err)
			assert.NotZero(t, fi.Mode().Perm()&0o100, "script is executable")

			bp, probs := tosca.Parse(filepath.Join(dir, "blueprint.yaml"), tosca.Options{})
			require.Empty(t, probs)
			plan, probs := bp.Prepare(nil)
			require.Empty(t, probs)
			require.Len(t, plan.Nodes, 200)
			edges := 0
			for _, n := range plan.Nodes {
				edges += len(n.Relationships)
				for _, r := range n.Relationships {
					assert.True(t, r.IsA("cloudify.relationships.depends_on"), "%s -> %s", n.ID, r.TargetID)
				}
				op := n.Operations["cloudify.interfaces.lifecycle.create"]
				require.NotNil(t, op, n.ID)
				assert.Equal(t, "scripts/true.sh", op.Implementation, n.ID)
			}
			assert.Equal(t, g.Edges(), edges)
		})
	}
}

func TestTerraformConfig(t *testing.T) {
	g, err := Build(Options{Nodes: 100, Layers: 10, Shape: ShapeAll, FanIn: 10})
	require.NoError(t, err)
	tf := TerraformConfig(g)
	assert.Equal(t, 100, bytes.Count(tf, []byte(`resource "terraform_data"`)))
	assert.Equal(t, 100, bytes.Count(tf, []byte(`command = "true"`)))
	assert.Equal(t, 900, len(regexp.MustCompile(`terraform_data\.n\d+_\d+`).FindAll(tf, -1)))
	assert.Contains(t, string(tf), `resource "terraform_data" "n1_3" {
  depends_on = [terraform_data.n0_3, terraform_data.n0_4,`)
}

func TestRun(t *testing.T) {
	dir := t.TempDir()
	var out, errOut strings.Builder
	err := run([]string{"-n", "100", "-shape", "all", "-gantry", filepath.Join(dir, "g"), "-terraform", filepath.Join(dir, "tf")}, &out, &errOut)
	require.NoError(t, err)
	assert.Equal(t, "nodes=100 layers=10 width=10 edges=900\n", out.String())
	assert.FileExists(t, filepath.Join(dir, "g", "blueprint.yaml"))
	assert.FileExists(t, filepath.Join(dir, "tf", "main.tf"))

	for _, args := range [][]string{
		{"-n", "100"},                      // nothing to do
		{"-n", "7", "-gantry", dir},        // bad graph
		{"-shape", "x", "-terraform", dir}, // bad shape
		{"-gantry", dir, "extra"},          // stray argument
		{"-n", "abc", "-gantry", dir},      // bad flag value
	} {
		assert.Error(t, run(args, &out, &errOut), args)
	}
}
