package plan

import (
	"regexp"
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

var idRE = regexp.MustCompile(`^(.+)_[0-9a-z]{6}$`)

func TestExpandIDsAndHosts(t *testing.T) {
	p := expand(t, mkPlan(mkHost("vm", 2), mkNode("app", 3, mkRel("contained_in", "vm")), mkNode("free", 2)))
	require.Len(t, p.NodeInstances, 2+6+2)
	seen := map[string]bool{}
	for _, ni := range p.NodeInstances {
		m := idRE.FindStringSubmatch(ni.ID)
		require.NotNil(t, m, ni.ID)
		assert.Equal(t, ni.NodeID, m[1])
		assert.Equal(t, ni.ID, ni.Name)
		assert.False(t, seen[ni.ID], "duplicate id %s", ni.ID)
		seen[ni.ID] = true
		assert.NotNil(t, ni.Relationships, "relationships must be a list, not null")
	}
	// Instances come in node declaration order.
	var order []string
	for _, ni := range p.NodeInstances {
		if len(order) == 0 || order[len(order)-1] != ni.NodeID {
			order = append(order, ni.NodeID)
		}
	}
	assert.Equal(t, []string{"vm", "app", "free"}, order)
	ids := instByID(p)
	perHost := map[string]int{}
	for _, ni := range byNode(p)["vm"] {
		assert.Equal(t, ni.ID, ni.HostID, "a host instance is its own host")
	}
	for _, ni := range byNode(p)["app"] {
		tg := targetsOf(ni, "vm")
		require.Len(t, tg, 1)
		assert.Equal(t, tg[0], ni.HostID)
		assert.Equal(t, "vm", ids[tg[0]].NodeID)
		perHost[tg[0]]++
	}
	assert.Equal(t, []int{3, 3}, sortedValues(perHost), "every host instance gets its own 3 apps")
	for _, ni := range byNode(p)["free"] {
		assert.Empty(t, ni.HostID)
	}
}

func sortedValues(m map[string]int) []int {
	var out []int
	for _, v := range m {
		out = append(out, v)
	}
	sort.Ints(out)
	return out
}

func TestExpandContainmentMultiplies(t *testing.T) {
	tests := []struct {
		name  string
		nodes []*tosca.Node
		want  map[string]int
	}{
		{"single", []*tosca.Node{mkNode("a", 3)}, map[string]int{"a": 3}},
		{"chain", []*tosca.Node{
			mkHost("h", 2), mkNode("m", 3, mkRel("contained_in", "h")), mkNode("l", 2, mkRel("contained_in", "m")),
		}, map[string]int{"h": 2, "m": 6, "l": 12}},
		{"declared child first", []*tosca.Node{
			mkNode("l", 2, mkRel("contained_in", "m")), mkNode("m", 3, mkRel("contained_in", "h")), mkHost("h", 2),
		}, map[string]int{"h": 2, "m": 6, "l": 12}},
		{"zero container", []*tosca.Node{mkHost("h", 0), mkNode("m", 3, mkRel("contained_in", "h"))}, map[string]int{}},
		{"siblings", []*tosca.Node{
			mkHost("h", 2), mkNode("a", 1, mkRel("contained_in", "h")), mkNode("b", 2, mkRel("contained_in", "h")),
		}, map[string]int{"h": 2, "a": 2, "b": 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := expand(t, mkPlan(tc.nodes...))
			assert.Equal(t, tc.want, counts(p))
			// host ids: every leaf's host is the host instance it sits on.
			ids := instByID(p)
			for _, ni := range p.NodeInstances {
				if ni.HostID == "" {
					continue
				}
				assert.Equal(t, "h", ids[ni.HostID].NodeID)
				cur := ni
				for cur.NodeID != "h" {
					require.NotEmpty(t, cur.Relationships)
					cur = ids[cur.Relationships[0].TargetID]
				}
				assert.Equal(t, ni.HostID, cur.ID)
			}
		})
	}
}

func TestExpandConnectionTypes(t *testing.T) {
	p := expand(t, mkPlan(
		mkNode("src", 2, mkRel("connected_to", "all"), toOne(mkRel("depends_on", "one"))),
		mkNode("all", 3), mkNode("one", 4), mkNode("none", 0),
		mkNode("toNone", 1, mkRel("connected_to", "none")),
	))
	nodes := byNode(p)
	var allIDs, oneIDs []string
	for _, ni := range nodes["all"] {
		allIDs = append(allIDs, ni.ID)
	}
	for _, ni := range nodes["one"] {
		oneIDs = append(oneIDs, ni.ID)
	}
	sort.Strings(oneIDs)
	for _, ni := range nodes["src"] {
		assert.ElementsMatch(t, allIDs, targetsOf(ni, "all"), "all_to_all: every target instance")
		assert.Equal(t, []string{oneIDs[0]}, targetsOf(ni, "one"), "all_to_one: smallest target id")
		require.Len(t, ni.Relationships, 4)
		assert.Equal(t, tosca.RelConnectedTo, ni.Relationships[0].Type)
		assert.Equal(t, tosca.RelDependsOn, ni.Relationships[3].Type)
	}
	assert.Empty(t, nodes["toNone"][0].Relationships, "no target instances, no relationship instances")
}

func TestExpandRelationshipOrderFollowsDeclaration(t *testing.T) {
	p := expand(t, mkPlan(
		mkNode("x", 1), mkHost("h", 1), mkNode("y", 2),
		mkNode("a", 1, mkRel("connected_to", "x"), mkRel("contained_in", "h"), mkRel("depends_on", "y")),
	))
	a := byNode(p)["a"][0]
	var names []string
	for _, r := range a.Relationships {
		names = append(names, r.TargetName)
	}
	assert.Equal(t, []string{"x", "h", "y", "y"}, names)
}

func TestExpandScalingGroups(t *testing.T) {
	t.Run("group partitions relationships", func(t *testing.T) {
		// Cloudify's scale_groups.yaml shape: compute and db scale together,
		// webserver lives on compute, db talks to the webserver of its own
		// group instance only.
		p := mkPlan(mkHost("compute", 1), mkNode("webserver", 1, mkRel("contained_in", "compute")),
			mkNode("db", 1, mkRel("connected_to", "webserver")))
		p.ScalingGroups["group1"] = mkGroup(3, "compute", "db")
		expand(t, p)
		assert.Equal(t, map[string]int{"compute": 3, "webserver": 3, "db": 3}, counts(p))
		ids := instByID(p)
		groupOf := map[string]string{} // instance -> group instance
		for _, ni := range p.NodeInstances {
			switch ni.NodeID {
			case "compute", "db":
				require.Len(t, ni.ScalingGroups, 1, ni.ID)
				assert.Equal(t, "group1", ni.ScalingGroups[0].Name)
				assert.Regexp(t, `^group1_[0-9a-z]{6}$`, ni.ScalingGroups[0].ID)
				groupOf[ni.ID] = ni.ScalingGroups[0].ID
			default:
				assert.Empty(t, ni.ScalingGroups, "only direct members carry scaling groups")
			}
		}
		for _, ni := range byNode(p)["db"] {
			tg := targetsOf(ni, "webserver")
			require.Len(t, tg, 1, "partitioned: one webserver per group instance")
			host := ids[tg[0]].HostID
			assert.Equal(t, groupOf[ni.ID], groupOf[host], "db and its webserver share a group instance")
		}
	})
	t.Run("member contained outside the group", func(t *testing.T) {
		p := mkPlan(mkHost("vm", 2), mkNode("app", 1, mkRel("contained_in", "vm")))
		p.ScalingGroups["g"] = mkGroup(2, "app")
		expand(t, p)
		assert.Equal(t, map[string]int{"vm": 2, "app": 4}, counts(p))
		ids := instByID(p)
		for _, ni := range byNode(p)["app"] {
			tg := targetsOf(ni, "vm")
			require.Len(t, tg, 1)
			assert.Equal(t, "vm", ids[tg[0]].NodeID, "contained_in still targets the vm instance")
			assert.Equal(t, tg[0], ni.HostID)
			require.Len(t, ni.ScalingGroups, 1)
		}
	})
	t.Run("contained member shares the group with its container", func(t *testing.T) {
		// app leaves the group (it is multiplied through vm already).
		p := mkPlan(mkHost("vm", 1), mkNode("app", 1, mkRel("contained_in", "vm")))
		p.ScalingGroups["g"] = mkGroup(2, "vm", "app")
		expand(t, p)
		assert.Equal(t, map[string]int{"vm": 2, "app": 2}, counts(p))
		for _, ni := range byNode(p)["app"] {
			assert.Empty(t, ni.ScalingGroups)
		}
	})
	t.Run("nested groups", func(t *testing.T) {
		p := mkPlan(mkNode("x", 1), mkNode("y", 2))
		p.ScalingGroups["outer"] = mkGroup(2, "inner", "x")
		p.ScalingGroups["inner"] = mkGroup(3, "y")
		expand(t, p)
		assert.Equal(t, map[string]int{"x": 2, "y": 12}, counts(p))
		y := byNode(p)["y"][0]
		require.Len(t, y.ScalingGroups, 2)
		assert.Equal(t, "inner", y.ScalingGroups[0].Name)
		assert.Equal(t, "outer", y.ScalingGroups[1].Name)
	})
}

func TestExpandErrors(t *testing.T) {
	tests := []struct {
		name   string
		plan   func() *tosca.Plan
		target error
		msg    string
	}{
		{"unknown target", func() *tosca.Plan { return mkPlan(mkNode("a", 1, mkRel("connected_to", "nope"))) },
			ErrUnknownTarget, `target node "nope" does not exist`},
		{"unsupported relationship", func() *tosca.Plan {
			r := mkRel("connected_to", "b")
			r.Type, r.TypeHierarchy = "my.rel", []string{"cloudify.relationships.Root", "my.rel"}
			return mkPlan(mkNode("a", 1, r), mkNode("b", 1))
		}, ErrUnsupportedRelationship, `"my.rel"`},
		{"bad connection type", func() *tosca.Plan {
			r := mkRel("connected_to", "b")
			r.Properties["connection_type"] = "some_to_some"
			return mkPlan(mkNode("a", 1, r), mkNode("b", 1))
		}, ErrConnectionType, "some_to_some"},
		{"two contained_in", func() *tosca.Plan {
			return mkPlan(mkHost("h1", 1), mkHost("h2", 1), mkNode("a", 1, mkRel("contained_in", "h1"), mkRel("contained_in", "h2")))
		}, ErrContainment, "two contained_in"},
		{"contained cycle", func() *tosca.Plan {
			return mkPlan(mkNode("a", 1, mkRel("contained_in", "b")), mkNode("b", 1, mkRel("contained_in", "a")))
		}, ErrContainment, "cycle"},
		{"self relationship", func() *tosca.Plan { return mkPlan(mkNode("a", 1, mkRel("depends_on", "a"))) },
			ErrCycle, "itself"},
		{"all_to_one in group", func() *tosca.Plan {
			p := mkPlan(mkNode("a", 1, toOne(mkRel("connected_to", "b"))), mkNode("b", 1))
			p.ScalingGroups["g"] = mkGroup(1, "a", "b")
			return p
		}, ErrAllToOneInGroup, `scaling group "g"`},
		{"member in two groups", func() *tosca.Plan {
			p := mkPlan(mkNode("a", 1))
			p.ScalingGroups["g1"] = mkGroup(1, "a")
			p.ScalingGroups["g2"] = mkGroup(1, "a")
			return p
		}, ErrScalingGroup, "two scaling groups"},
		{"group cycle", func() *tosca.Plan {
			p := mkPlan(mkNode("a", 1))
			p.ScalingGroups["g1"] = mkGroup(1, "g2", "a")
			p.ScalingGroups["g2"] = mkGroup(1, "g1")
			return p
		}, ErrScalingGroup, "member of itself"},
		{"unknown member", func() *tosca.Plan {
			p := mkPlan(mkNode("a", 1))
			p.ScalingGroups["g1"] = mkGroup(1, "zz")
			return p
		}, ErrUnknownTarget, `"zz"`},
		{"members contained in different nodes", func() *tosca.Plan {
			p := mkPlan(mkHost("h1", 1), mkHost("h2", 1),
				mkNode("a", 1, mkRel("contained_in", "h1")), mkNode("b", 1, mkRel("contained_in", "h2")))
			p.ScalingGroups["g"] = mkGroup(1, "a", "b")
			return p
		}, ErrScalingGroup, "different nodes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.plan()
			err := Expand(p, Options{Seed: 1})
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.target)
			assert.Contains(t, err.Error(), tc.msg)
			assert.Nil(t, p.NodeInstances, "plan is unchanged on error")
		})
	}
	assert.Error(t, Expand(nil, Options{}))
}

func TestExpandSeed(t *testing.T) {
	ids := func(seed int64) []string {
		p := mkPlan(mkHost("h", 3), mkNode("a", 2, mkRel("contained_in", "h")))
		require.NoError(t, Expand(p, Options{Seed: seed}))
		var out []string
		for _, ni := range p.NodeInstances {
			out = append(out, ni.ID)
		}
		return out
	}
	assert.Equal(t, ids(7), ids(7), "same seed, same ids")
	assert.NotEqual(t, ids(7), ids(8))
	assert.NotEqual(t, ids(0), ids(0), "seed 0 is random")
}

func TestIDGenRegeneratesOnCollision(t *testing.T) {
	first := newIDGen(5, 0).next("n")
	g := newIDGen(5, 0)
	g.reserve(first)
	second := g.next("n")
	assert.NotEqual(t, first, second)
	assert.Regexp(t, `^n_[0-9a-z]{6}$`, second)
	// Many ids from one generator never repeat.
	seen := map[string]bool{}
	for i := 0; i < 20000; i++ {
		id := g.next("x")
		require.False(t, seen[id])
		seen[id] = true
	}
}
