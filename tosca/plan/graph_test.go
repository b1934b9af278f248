package plan

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// rawPlan builds a plan with hand-written instances: deps maps an
// instance id to the ids it has relationships to.
func rawPlan(order []string, deps map[string][]string) *tosca.Plan {
	p := &tosca.Plan{}
	for _, id := range order {
		ni := &tosca.NodeInstance{ID: id, Name: id, NodeID: id[:1]}
		for _, d := range deps[id] {
			ni.Relationships = append(ni.Relationships, &tosca.InstanceRelationship{
				Type: tosca.RelDependsOn, TargetName: d[:1], TargetID: d,
			})
		}
		p.NodeInstances = append(p.NodeInstances, ni)
	}
	return p
}

func TestGraphLayers(t *testing.T) {
	tests := []struct {
		name  string
		order []string
		deps  map[string][]string
		want  [][]string
	}{
		{"empty", nil, nil, [][]string{}},
		{"independent", []string{"a1", "b1"}, nil, [][]string{{"a1", "b1"}}},
		{"diamond", []string{"d1", "b1", "c1", "a1"},
			map[string][]string{"d1": {"b1", "c1"}, "b1": {"a1"}, "c1": {"a1"}},
			[][]string{{"a1"}, {"b1", "c1"}, {"d1"}}},
		{"longest path decides", []string{"a1", "b1", "c1", "d1"},
			map[string][]string{"d1": {"a1", "c1"}, "c1": {"b1"}, "b1": {"a1"}},
			[][]string{{"a1"}, {"b1"}, {"c1"}, {"d1"}}},
		{"duplicate edges count once", []string{"a1", "b1"},
			map[string][]string{"b1": {"a1", "a1", "a1"}},
			[][]string{{"a1"}, {"b1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := BuildGraph(rawPlan(tc.order, tc.deps))
			layers, err := g.Layers()
			require.NoError(t, err)
			assert.Equal(t, tc.want, layers)
			require.NoError(t, g.Check())
		})
	}
}

func TestGraphAccessors(t *testing.T) {
	g := BuildGraph(rawPlan([]string{"a1", "b1", "c1"}, map[string][]string{"c1": {"a1", "b1", "a1"}, "b1": {"a1"}}))
	assert.Equal(t, 3, g.Len())
	c, ok := g.Index("c1")
	require.True(t, ok)
	assert.Equal(t, "c1", g.ID(c))
	assert.Equal(t, "c", g.NodeID(c))
	assert.Equal(t, []int{0, 1}, g.Dependencies(c))
	assert.Equal(t, []int{1, 2}, g.Dependents(0))
	assert.Empty(t, g.Dependents(c))
	_, ok = g.Index("zz")
	assert.False(t, ok)
}

func TestGraphCycle(t *testing.T) {
	g := BuildGraph(rawPlan([]string{"a1", "b1", "c1", "d1"},
		map[string][]string{"a1": {"d1"}, "b1": {"a1"}, "c1": {"b1"}, "d1": {"c1"}}))
	_, err := g.Layers()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrCycle)
	var ce *CycleError
	require.ErrorAs(t, err, &ce)
	require.Len(t, ce.Path, 5)
	assert.Equal(t, ce.Path[0], ce.Path[4], "the path closes the cycle")
	assert.ElementsMatch(t, []string{"a1", "b1", "c1", "d1"}, ce.Path[:4])
	assert.Contains(t, err.Error(), " -> ")
	assert.ErrorIs(t, g.Check(), ErrCycle)

	// A cycle hanging off an acyclic part is still found.
	g = BuildGraph(rawPlan([]string{"a1", "b1", "c1"}, map[string][]string{"b1": {"a1", "c1"}, "c1": {"b1"}}))
	_, err = g.Layers()
	require.ErrorAs(t, err, &ce)
	assert.ElementsMatch(t, []string{"b1", "c1", "b1"}, ce.Path)
}

func TestGraphUnknownTarget(t *testing.T) {
	g := BuildGraph(rawPlan([]string{"a1"}, map[string][]string{"a1": {"x1", "y1"}}))
	_, err := g.Layers()
	assert.ErrorIs(t, err, ErrUnknownTarget)
	assert.Contains(t, err.Error(), "a1 -> x1")
	assert.Contains(t, err.Error(), "1 more")
}

func TestGraphOfExpandedPlan(t *testing.T) {
	p := expand(t, mkPlan(
		mkHost("vm", 2), mkNode("db", 1, mkRel("contained_in", "vm")),
		mkNode("web", 2, mkRel("contained_in", "vm"), mkRel("connected_to", "db")),
	))
	g := BuildGraph(p)
	layers, err := g.Layers()
	require.NoError(t, err)
	require.Len(t, layers, 3)
	nodeOf := map[string]string{}
	for _, ni := range p.NodeInstances {
		nodeOf[ni.ID] = ni.NodeID
	}
	for k, want := range []string{"vm", "db", "web"} {
		for _, id := range layers[k] {
			assert.Equal(t, want, nodeOf[id])
		}
	}
	assert.Len(t, layers[2], 4)
	// Every relationship target is in an earlier layer than its source.
	layerOf := map[string]int{}
	for k, l := range layers {
		for _, id := range l {
			layerOf[id] = k
		}
	}
	for _, ni := range p.NodeInstances {
		for _, r := range ni.Relationships {
			assert.Less(t, layerOf[r.TargetID], layerOf[ni.ID])
		}
	}
}
