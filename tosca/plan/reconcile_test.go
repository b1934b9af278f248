package plan

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

func nodeIDsOf(l []*tosca.NodeInstance) []string {
	out := []string{}
	for _, ni := range l {
		out = append(out, ni.NodeID)
	}
	sort.Strings(out)
	return out
}

func TestReconcile(t *testing.T) {
	cases := []struct {
		name     string
		old, new func() *tosca.Plan
		counts   map[string]int
		// node ids of added, removed, extended and reduced instances
		added, removed, extended, reduced []string
		// nodes whose old instances all keep their ids
		kept []string
	}{
		{
			name:  "same plan keeps everything",
			old:   func() *tosca.Plan { return mkPlan(mkHost("vm", 2), mkNode("app", 1, mkRel("contained_in", "vm"))) },
			new:   func() *tosca.Plan { return mkPlan(mkHost("vm", 2), mkNode("app", 1, mkRel("contained_in", "vm"))) },
			added: []string{}, removed: []string{}, extended: []string{}, reduced: []string{},
			kept: []string{"vm", "app"},
		},
		{
			name: "added node connected to a kept one, removed node",
			old: func() *tosca.Plan {
				return mkPlan(mkNode("db", 1), mkNode("web", 1, mkRel("connected_to", "db")), mkNode("cache", 1))
			},
			new: func() *tosca.Plan {
				return mkPlan(mkNode("db", 1), mkNode("web", 1, mkRel("connected_to", "db")), mkNode("web2", 2, mkRel("connected_to", "db")))
			},
			added: []string{"web2", "web2"}, removed: []string{"cache"}, extended: []string{}, reduced: []string{},
			kept: []string{"db", "web"},
		},
		{
			name: "relationship added and removed between kept nodes",
			old: func() *tosca.Plan {
				return mkPlan(mkNode("a", 1), mkNode("b", 1), mkNode("c", 1, mkRel("connected_to", "a")))
			},
			new: func() *tosca.Plan {
				return mkPlan(mkNode("a", 1), mkNode("b", 1), mkNode("c", 1, mkRel("connected_to", "b")))
			},
			added: []string{}, removed: []string{}, extended: []string{"c"}, reduced: []string{"c"},
			kept: []string{"a", "b", "c"},
		},
		{
			name: "moved to another host: replaced with what it contains",
			old: func() *tosca.Plan {
				return mkPlan(mkHost("vm1", 1), mkHost("vm2", 1), mkNode("app", 1, mkRel("contained_in", "vm1")), mkNode("mod", 1, mkRel("contained_in", "app")))
			},
			new: func() *tosca.Plan {
				return mkPlan(mkHost("vm1", 1), mkHost("vm2", 1), mkNode("app", 1, mkRel("contained_in", "vm2")), mkNode("mod", 1, mkRel("contained_in", "app")))
			},
			added: []string{"app", "mod"}, removed: []string{"app", "mod"}, extended: []string{}, reduced: []string{},
			kept: []string{"vm1", "vm2"},
		},
		{
			name:   "count given grows a kept node; a new contained node goes under every host",
			old:    func() *tosca.Plan { return mkPlan(mkHost("vm", 2)) },
			new:    func() *tosca.Plan { return mkPlan(mkHost("vm", 3), mkNode("app", 1, mkRel("contained_in", "vm"))) },
			counts: map[string]int{"vm": 3},
			added:  []string{"app", "app", "app", "vm"}, removed: []string{}, extended: []string{}, reduced: []string{},
			kept: []string{"vm"},
		},
		{
			name:   "count given shrinks a kept node",
			old:    func() *tosca.Plan { return mkPlan(mkNode("db", 1), mkNode("w", 3, mkRel("connected_to", "db"))) },
			new:    func() *tosca.Plan { return mkPlan(mkNode("db", 1), mkNode("w", 1, mkRel("connected_to", "db"))) },
			counts: map[string]int{"w": 1},
			added:  []string{}, removed: []string{"w", "w"}, extended: []string{}, reduced: []string{},
			kept: []string{"db"},
		},
		{
			name:  "a scaled node keeps its instances when its count is not given",
			old:   func() *tosca.Plan { return mkPlan(mkNode("w", 3)) },
			new:   func() *tosca.Plan { return mkPlan(mkNode("w", 1)) },
			added: []string{}, removed: []string{}, extended: []string{}, reduced: []string{},
			kept: []string{"w"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := tc.old()
			require.NoError(t, Expand(old, Options{Seed: 1}))
			np := tc.new()
			m, err := Reconcile(np, old.NodeInstances, tc.counts, Options{Seed: 2})
			require.NoError(t, err)
			require.Equal(t, tc.added, nodeIDsOf(m.Added), "added")
			require.Equal(t, tc.removed, nodeIDsOf(m.Removed), "removed")
			require.Equal(t, tc.extended, nodeIDsOf(m.Extended), "extended")
			require.Equal(t, tc.reduced, nodeIDsOf(m.Reduced), "reduced")
			ids := map[string]bool{}
			for _, ni := range m.NodeInstances {
				require.False(t, ids[ni.ID], "id %s twice", ni.ID)
				ids[ni.ID] = true
			}
			keptNode := map[string]bool{}
			for _, n := range tc.kept {
				keptNode[n] = true
			}
			for _, ni := range old.NodeInstances {
				if keptNode[ni.NodeID] {
					require.True(t, ids[ni.ID], "instance %s of %s kept", ni.ID, ni.NodeID)
				}
			}
			// Deterministic for a seed.
			again, err := Reconcile(tc.new(), old.NodeInstances, tc.counts, Options{Seed: 2})
			require.NoError(t, err)
			require.Equal(t, m.NodeInstances, again.NodeInstances)
			require.Nil(t, np.NodeInstances, "the plan is not modified")
			// Apply makes a plan whose instances are these.
			m.Apply(np)
			require.Len(t, np.NodeInstances, len(m.NodeInstances))
		})
	}
}

func TestReconcileRemovedIDsNotReused(t *testing.T) {
	old := mkPlan(mkNode("a", 50))
	require.NoError(t, Expand(old, Options{Seed: 7}))
	// a is removed and added again under another container: same name,
	// new instances, never an old id.
	m, err := Reconcile(mkPlan(mkHost("h", 1), mkNode("a", 50, mkRel("contained_in", "h"))), old.NodeInstances, nil, Options{Seed: 7})
	require.NoError(t, err)
	oldIDs := map[string]bool{}
	for _, ni := range old.NodeInstances {
		oldIDs[ni.ID] = true
	}
	for _, ni := range m.Added {
		require.False(t, oldIDs[ni.ID], "new instance reuses removed id %s", ni.ID)
	}
	require.Len(t, m.Removed, 50)
}
