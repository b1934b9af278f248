package plan

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

func idsOf(nis []*tosca.NodeInstance) []string {
	var out []string
	for _, ni := range nis {
		out = append(out, ni.ID)
	}
	return out
}

func nodeCounts(nis []*tosca.NodeInstance) map[string]int {
	out := map[string]int{}
	for _, ni := range nis {
		out[ni.NodeID]++
	}
	return out
}

func vmAppPlan(t *testing.T) *tosca.Plan {
	vm := mkHost("vm", 2)
	vm.Capabilities.MinInstances, vm.Capabilities.MaxInstances = 1, 3
	return expand(t, mkPlan(vm, mkNode("app", 2, mkRel("contained_in", "vm"))))
}

func TestModifyScaleOutAndIn(t *testing.T) {
	p := vmAppPlan(t)
	before := idsOf(p.NodeInstances)

	m, err := Modify(p, []Change{{Name: "vm", Delta: 1}}, Options{Seed: 9})
	require.NoError(t, err)
	assert.Equal(t, before, idsOf(p.NodeInstances), "Modify does not touch the plan")
	assert.Equal(t, map[string]int{"vm": 1, "app": 2}, nodeCounts(m.Added))
	assert.Empty(t, m.Removed)
	assert.Empty(t, m.Extended)
	assert.Empty(t, m.Reduced)
	assert.Len(t, m.NodeInstances, 9)
	assert.Subset(t, idsOf(m.NodeInstances), before, "existing instances keep their ids")
	assert.Equal(t, map[string]int{"vm": 3}, m.Counts)
	var newVM string
	for _, ni := range m.Added {
		if ni.NodeID == "vm" {
			newVM = ni.ID
			assert.Equal(t, ni.ID, ni.HostID)
		}
	}
	for _, ni := range m.Added {
		if ni.NodeID == "app" {
			assert.Equal(t, []string{newVM}, targetsOf(ni, "vm"))
			assert.Equal(t, newVM, ni.HostID)
		}
	}

	m.Apply(p)
	assert.Equal(t, 3, p.Nodes[0].Capabilities.CurrentInstances)
	assert.Equal(t, 3, p.Nodes[0].PlannedInstances)
	require.NoError(t, BuildGraph(p).Check())

	// Scale in: the newest vm goes, with its apps.
	m, err = Modify(p, []Change{{Name: "vm", Delta: -1}}, Options{Seed: 9})
	require.NoError(t, err)
	assert.Empty(t, m.Added)
	assert.Equal(t, map[string]int{"vm": 1, "app": 2}, nodeCounts(m.Removed))
	assert.Contains(t, idsOf(m.Removed), newVM)
	assert.ElementsMatch(t, before, idsOf(m.NodeInstances))
}

func TestModifyRemoveHints(t *testing.T) {
	p := vmAppPlan(t)
	vms := byNode(p)["vm"]
	apps := byNode(p)["app"]
	// Hinting an app removes the vm it sits on when scaling vm.
	var appOnFirst string
	for _, a := range apps {
		if targetsOf(a, "vm")[0] == vms[0].ID {
			appOnFirst = a.ID
		}
	}
	m, err := Modify(p, []Change{{Name: "vm", Delta: -1, RemoveIDs: []string{"unknown_x", appOnFirst}}}, Options{Seed: 1})
	require.NoError(t, err)
	assert.Contains(t, idsOf(m.Removed), vms[0].ID)
	assert.Contains(t, idsOf(m.Removed), appOnFirst)

	// Scaling a contained node removes per container instance.
	m, err = Modify(p, []Change{{Name: "app", Delta: -1, RemoveIDs: []string{apps[0].ID}}}, Options{Seed: 1})
	require.NoError(t, err)
	assert.Len(t, m.Removed, 2, "one app per vm")
	assert.Contains(t, idsOf(m.Removed), apps[0].ID)
	assert.Equal(t, map[string]int{"app": 1}, m.Counts)
}

func TestModifyBoundsAndErrors(t *testing.T) {
	p := vmAppPlan(t)
	tests := []struct {
		name   string
		change Change
		target error
		msg    string
	}{
		{"above max", Change{Name: "vm", Delta: 2}, ErrScaleBounds, "4 instances is outside min_instances 1 .. max_instances 3"},
		{"below min", Change{Name: "vm", Delta: -2}, ErrScaleBounds, "0 instances"},
		{"negative", Change{Name: "app", Delta: -3}, ErrScaleBounds, "-1 instances"},
		{"unknown", Change{Name: "nope", Delta: 1}, ErrUnknownEntity, `"nope"`},
	}
	t.Run("container without instances", func(t *testing.T) {
		q := expand(t, mkPlan(mkHost("h", 0), mkNode("c", 1, mkRel("contained_in", "h"))))
		_, err := Modify(q, []Change{{Name: "c", Delta: 1}}, Options{})
		assert.ErrorIs(t, err, ErrNoInstances)
		assert.Contains(t, err.Error(), `container "h" has no instances`)
		m, err := Modify(q, []Change{{Name: "h", Delta: 1}}, Options{})
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"h": 1, "c": 1}, nodeCounts(m.Added), "children at their default count")
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Modify(p, []Change{tc.change}, Options{})
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.target)
			assert.Contains(t, err.Error(), tc.msg)
		})
	}
	t.Run("broken instances", func(t *testing.T) {
		q := vmAppPlan(t)
		for _, ni := range q.NodeInstances {
			if ni.NodeID == "app" {
				ni.Relationships = nil
				break
			}
		}
		_, err := Modify(q, []Change{{Name: "vm", Delta: 1}}, Options{})
		assert.ErrorIs(t, err, ErrContainment)
	})
	t.Run("scale from zero", func(t *testing.T) {
		q := expand(t, mkPlan(mkNode("a", 0), mkHost("h", 1), mkNode("c", 0, mkRel("contained_in", "h"))))
		require.Empty(t, q.NodeInstances[1:])
		m, err := Modify(q, []Change{{Name: "a", Delta: 2}, {Name: "c", Delta: 1}}, Options{})
		require.NoError(t, err)
		assert.Equal(t, map[string]int{"a": 2, "c": 1}, nodeCounts(m.Added))
	})
}

func TestModifyRelationships(t *testing.T) {
	t.Run("all_to_all extends and reduces", func(t *testing.T) {
		p := expand(t, mkPlan(mkNode("web", 2, mkRel("connected_to", "db")), mkNode("db", 2)))
		m, err := Modify(p, []Change{{Name: "db", Delta: 1}}, Options{Seed: 3})
		require.NoError(t, err)
		require.Len(t, m.Added, 1)
		require.Len(t, m.Extended, 2, "both webs gain the new db")
		for _, e := range m.Extended {
			require.Len(t, e.Relationships, 1)
			assert.Equal(t, m.Added[0].ID, e.Relationships[0].TargetID)
		}
		m.Apply(p)
		m, err = Modify(p, []Change{{Name: "db", Delta: -2}}, Options{Seed: 3})
		require.NoError(t, err)
		require.Len(t, m.Removed, 2)
		require.Len(t, m.Reduced, 2)
		for _, r := range m.Reduced {
			assert.Len(t, r.Relationships, 2)
		}
		for _, ni := range m.NodeInstances {
			if ni.NodeID == "web" {
				assert.Len(t, ni.Relationships, 1)
			}
		}
	})
	t.Run("all_to_one keeps its target", func(t *testing.T) {
		p := expand(t, mkPlan(mkNode("web", 2, toOne(mkRel("depends_on", "db"))), mkNode("db", 3)))
		dbs := idsOf(byNode(p)["db"])
		sort.Strings(dbs)
		// Pretend an earlier modification chose the largest db.
		chosen := dbs[2]
		for _, ni := range byNode(p)["web"] {
			ni.Relationships[0].TargetID = chosen
		}
		m, err := Modify(p, []Change{{Name: "web", Delta: 1}, {Name: "db", Delta: 2}}, Options{Seed: 4})
		require.NoError(t, err)
		assert.Empty(t, m.Extended)
		assert.Empty(t, m.Reduced)
		for _, ni := range m.NodeInstances {
			if ni.NodeID == "web" {
				assert.Equal(t, []string{chosen}, targetsOf(ni, "db"))
			}
		}
		m.Apply(p)
		// Removing the chosen db moves everyone to the smallest remaining one.
		m, err = Modify(p, []Change{{Name: "db", Delta: -1, RemoveIDs: []string{chosen}}}, Options{Seed: 4})
		require.NoError(t, err)
		require.Equal(t, []string{chosen}, idsOf(m.Removed))
		var remaining []string
		for _, ni := range m.NodeInstances {
			if ni.NodeID == "db" {
				remaining = append(remaining, ni.ID)
			}
		}
		sort.Strings(remaining)
		assert.Len(t, m.Extended, 3)
		assert.Len(t, m.Reduced, 3)
		for _, e := range m.Extended {
			assert.Equal(t, remaining[0], e.Relationships[0].TargetID)
		}
		for _, r := range m.Reduced {
			assert.Equal(t, chosen, r.Relationships[0].TargetID)
		}
	})
}

func TestModifyScalingGroup(t *testing.T) {
	p := mkPlan(mkHost("compute", 1), mkNode("webserver", 1, mkRel("contained_in", "compute")),
		mkNode("db", 1, mkRel("connected_to", "webserver")))
	p.ScalingGroups["group1"] = mkGroup(2, "compute", "db")
	p.ScalingGroups["group1"].Properties.MaxInstances = 3
	expand(t, p)
	oldGroups := map[string]bool{}
	for _, ni := range p.NodeInstances {
		for _, g := range ni.ScalingGroups {
			oldGroups[g.ID] = true
		}
	}
	require.Len(t, oldGroups, 2)

	m, err := Modify(p, []Change{{Name: "group1", Delta: 1}}, Options{Seed: 5})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"compute": 1, "webserver": 1, "db": 1}, nodeCounts(m.Added))
	assert.Empty(t, m.Extended, "old dbs stay paired with their own webservers")
	added := instByIDList(m.Added)
	var newGroup string
	for _, ni := range m.Added {
		switch ni.NodeID {
		case "compute", "db":
			require.Len(t, ni.ScalingGroups, 1)
			assert.False(t, oldGroups[ni.ScalingGroups[0].ID], "a new group instance")
			if newGroup == "" {
				newGroup = ni.ScalingGroups[0].ID
			}
			assert.Equal(t, newGroup, ni.ScalingGroups[0].ID)
		}
	}
	for _, ni := range m.Added {
		if ni.NodeID == "db" {
			tg := targetsOf(ni, "webserver")
			require.Len(t, tg, 1)
			assert.Contains(t, added, tg[0], "the new db talks to the new webserver")
		}
	}
	_, err = Modify(p, []Change{{Name: "group1", Delta: 2}}, Options{})
	assert.ErrorIs(t, err, ErrScaleBounds)

	m.Apply(p)
	assert.Equal(t, 3, p.ScalingGroups["group1"].Properties.CurrentInstances)
	// Scale in by hinting a member instance: its whole group instance goes.
	victim := byNode(p)["db"][0]
	m, err = Modify(p, []Change{{Name: "group1", Delta: -1, RemoveIDs: []string{victim.ID}}}, Options{})
	require.NoError(t, err)
	assert.Equal(t, map[string]int{"compute": 1, "webserver": 1, "db": 1}, nodeCounts(m.Removed))
	assert.Contains(t, idsOf(m.Removed), victim.ID)
	for _, ni := range m.Removed {
		if len(ni.ScalingGroups) > 0 {
			assert.Equal(t, victim.ScalingGroups[0].ID, ni.ScalingGroups[0].ID)
		}
	}
}

func instByIDList(nis []*tosca.NodeInstance) map[string]bool {
	out := map[string]bool{}
	for _, ni := range nis {
		out[ni.ID] = true
	}
	return out
}
