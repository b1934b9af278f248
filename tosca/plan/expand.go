package plan

import (
	"fmt"

	"github.com/gantryhq/gantry/tosca"
)

// Options tunes instance planning.
type Options struct {
	// Seed makes instance ids reproducible; 0 draws a random seed.
	Seed int64
	// MaxInstances bounds the node instances of the plan (0:
	// tosca.InstanceLimit's default); a plan over it is refused with
	// ErrTooManyInstances before anything is allocated.
	MaxInstances int
}

// Expand creates the node instances of a new deployment of p and stores
// them in p.NodeInstances (replacing any there). Each node gets
// capabilities.scalable.default_instances instances per instance of its
// container (contained_in target or scaling group), so counts multiply
// along containment chains; depends_on / connected_to relationships become
// relationship instances (all_to_all: every target instance; all_to_one:
// the smallest target instance id; pairs are kept within one scaling-group
// instance when source and target share a group). On error p is unchanged.
func Expand(p *tosca.Plan, opts Options) error {
	if p == nil {
		return fmt.Errorf("expand: nil plan: %w", ErrUnknownTarget)
	}
	t, err := buildTopology(p)
	if err != nil {
		return fmt.Errorf("expand: %w", err)
	}
	limit := tosca.InstanceLimit(opts.MaxInstances)
	if n := t.count(limit); n > limit {
		return fmt.Errorf("expand: more than %d node instances: %w (raise it with %s)", limit, ErrTooManyInstances, tosca.EnvMaxInstances)
	}
	hint := t.sizeHint()
	f := newForest(t, newIDGen(opts.Seed, hint), hint)
	f.expandAll()
	out, err := f.instances(nil)
	if err != nil {
		return fmt.Errorf("expand: %w", err)
	}
	p.NodeInstances = out
	return nil
}

// count is the number of instances Expand creates, or limit+1 when there
// would be more than limit.
func (t *topology) count(limit int) int {
	n := make([]int, len(t.units))
	total := 0
	for _, u := range t.order {
		c := t.units[u].count
		if p := t.units[u].parent; p >= 0 && c > 0 {
			if n[p] > limit/c {
				return limit + 1
			}
			c *= n[p]
		}
		n[u] = c
		if !t.units[u].isGroup() {
			total += c
			if total > limit {
				return limit + 1
			}
		}
	}
	return total
}

// sizeHint estimates the number of instances (capped, it only sizes maps).
func (t *topology) sizeHint() int {
	n := make([]int, len(t.units))
	total := 0
	for _, u := range t.order {
		c := t.units[u].count
		if p := t.units[u].parent; p >= 0 {
			c *= n[p]
		}
		if c > 1<<22 || c < 0 {
			c = 1 << 22
		}
		n[u] = c
		total += c
		if total > 1<<22 {
			return 1 << 22
		}
	}
	return total
}
