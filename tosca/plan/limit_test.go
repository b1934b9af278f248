package plan

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// A plan over the instance limit is refused before anything is allocated
// (it used to die with "fatal error: out of memory"), whether the count
// comes from one node, nested containment or scaling groups.
func TestExpandRefusesTooManyInstances(t *testing.T) {
	big := func() *tosca.Plan { return mkPlan(mkHost("vm", 100_000_000)) }
	nested := func() *tosca.Plan {
		return mkPlan(mkHost("vm", 1000), mkNode("app", 1000, mkRel("contained_in", "vm")))
	}
	grouped := func() *tosca.Plan {
		p := mkPlan(mkHost("vm", 1000), mkNode("app", 10, mkRel("contained_in", "vm")))
		p.ScalingGroups["g"] = mkGroup(1000, "vm", "app")
		return p
	}
	for name, mk := range map[string]func() *tosca.Plan{"one node": big, "nested": nested, "scaling group": grouped} {
		start := time.Now()
		err := Expand(mk(), Options{Seed: 1})
		require.ErrorIs(t, err, ErrTooManyInstances, name)
		assert.Contains(t, err.Error(), tosca.EnvMaxInstances, name)
		assert.Less(t, time.Since(start), 2*time.Second, name)
	}
	small := func() *tosca.Plan {
		return mkPlan(mkHost("vm", 10), mkNode("app", 10, mkRel("contained_in", "vm")))
	}
	require.ErrorIs(t, Expand(small(), Options{Seed: 1, MaxInstances: 109}), ErrTooManyInstances)
	p := small()
	require.NoError(t, Expand(p, Options{Seed: 1, MaxInstances: 110}))
	assert.Len(t, p.NodeInstances, 110)
}

func TestModifyRefusesGrowthOverTheLimit(t *testing.T) {
	p := expand(t, mkPlan(mkHost("vm", 2), mkNode("app", 10, mkRel("contained_in", "vm"))))
	_, err := Modify(p, []Change{{Name: "vm", Delta: 100_000_000}}, Options{Seed: 1})
	require.ErrorIs(t, err, ErrTooManyInstances)
	_, err = Modify(p, []Change{{Name: "vm", Delta: 8}}, Options{Seed: 1, MaxInstances: 100})
	require.ErrorIs(t, err, ErrTooManyInstances, "10 vms with 10 apps each are 110 instances")
	m, err := Modify(p, []Change{{Name: "vm", Delta: 7}}, Options{Seed: 1, MaxInstances: 99})
	require.NoError(t, err, "9 vms with 10 apps each are 99 instances")
	assert.Len(t, m.NodeInstances, 99)
}
