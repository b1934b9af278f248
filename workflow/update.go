package workflow

import (
	"fmt"

	"github.com/gantryhq/gantry/tosca"
)

// WorkflowUpdate is the workflow of a deployment update. It is not offered
// to start by name (tosca.GantryRuntime does not list it): it runs only
// with an UpdateChange, which the manager's deployment update plans.
const WorkflowUpdate = tosca.WorkflowUpdate

// UpdateChange is what the update workflow applies to a deployment whose
// plan (Request.Plan) is the update's: the new blueprint's nodes, each
// with the relationships of its old version that it lost appended, then
// the nodes the update removes (plandiff.Merge), and the instances of the
// new plan (tosca/plan.Reconcile). The graph, in Cloudify's order:
//
//  1. unlink the lost relationships of intact instances and uninstall the
//     removed instances (reverse dependency order), those never installed
//     (uninitialized, deleted) skipped;
//  2. install the added instances, intact instances establishing their
//     relationships to them, and run preconfigure, postconfigure and
//     establish for the relationships intact instances gain between them;
//  3. reinstall the instances of Reinstall (uninstall, then install, their
//     intact neighbours unlinking and establishing).
type UpdateChange struct {
	// Added instances are installed; they are in the plan's instances.
	Added []*tosca.NodeInstance
	// Removed instances are uninstalled; they are not in the plan's
	// instances, their nodes are in the plan's nodes.
	Removed []*tosca.NodeInstance
	// Extended are intact instances with only the relationship instances
	// they gain (they are in the plan's instances with all of them).
	Extended []*tosca.NodeInstance
	// Reduced are intact instances with only the relationship instances
	// they lose (not in the plan's instances: the workflow appends them).
	Reduced []*tosca.NodeInstance
	// Reinstall are the ids of intact instances reinstalled last.
	Reinstall []string
	// Rollback builds instead the undoing of a failed update: the Added
	// instances that got past uninitialized are uninstalled (failures
	// ignored), intact instances unlinking their relationships to them.
	Rollback bool
}

// relMark identifies a relationship instance of a source instance.
type relMark struct{ source, typ, target string }

func marks(l []*tosca.NodeInstance) map[relMark]bool {
	out := make(map[relMark]bool)
	for _, ni := range l {
		for _, r := range ni.Relationships {
			out[relMark{ni.ID, r.Type, r.TargetID}] = true
		}
	}
	return out
}

// instances returns the change's instances for the topology: the intact
// instances that lose relationships with those appended to the plan's
// list, then the removed ones.
func (c *UpdateChange) instances(p *tosca.Plan) []*tosca.NodeInstance {
	if c == nil || p == nil {
		return nil
	}
	var out []*tosca.NodeInstance
	if len(c.Reduced) > 0 {
		byID := make(map[string]*tosca.NodeInstance, len(p.NodeInstances))
		for _, ni := range p.NodeInstances {
			byID[ni.ID] = ni
		}
		for _, red := range c.Reduced {
			cur := byID[red.ID]
			if cur == nil {
				continue
			}
			union := *cur
			union.Relationships = append(append([]*tosca.InstanceRelationship(nil), cur.Relationships...), red.Relationships...)
			out = append(out, &union)
		}
	}
	return append(out, c.Removed...)
}

// Task id prefixes of the update's phases.
const (
	prefixUpdateUnlink     = "update-unlink"
	prefixUpdateEstablish  = "update-establish"
	prefixReinstallRemove  = "reinstall-uninstall"
	prefixReinstallInstall = "reinstall-install"
	prefixRollback         = "rollback-uninstall"
)

// buildUpdate builds the update graph (see UpdateChange).
func (b *builder) buildUpdate(p *params, c *UpdateChange, states map[string]string) error {
	if c == nil {
		return fmt.Errorf("workflow %q: %w: it runs as a deployment update (`gantry deployments update`)", WorkflowUpdate, ErrUnknownWorkflow)
	}
	p.ignore(UpdateParams...)
	b.lost = marks(c.Reduced)
	gained := marks(c.Extended)
	resolve := func(l []*tosca.NodeInstance) []*tosca.NodeInstance {
		out := make([]*tosca.NodeInstance, 0, len(l))
		for _, ni := range l {
			if v := b.topo.instances[ni.ID]; v != nil {
				out = append(out, v)
			}
		}
		return out
	}
	var removed []*tosca.NodeInstance
	for _, ni := range resolve(c.Removed) {
		switch states[ni.ID] {
		case "", StateUninitialized, StateDeleted:
			continue
		}
		removed = append(removed, ni)
	}
	added, reduced, extended := resolve(c.Added), resolve(c.Reduced), resolve(c.Extended)
	if c.Rollback {
		var undo []*tosca.NodeInstance
		for _, ni := range added {
			if s := states[ni.ID]; s != "" && s != StateUninitialized && s != StateDeleted {
				undo = append(undo, ni)
			}
		}
		if len(undo) > 0 {
			(&lifecycle{b: b, prefix: prefixRollback, insts: undo, related: b.relatedTo(undo, extended), ignore: true}).build(false)
		}
		return nil
	}
	removedSet, addedSet := idSet(removed), idSet(added)

	// 1. Lost relationships unlinked, removed instances uninstalled.
	var phase1 subgraph
	if len(removed) > 0 {
		phase1 = (&lifecycle{b: b, prefix: WorkflowUninstall, insts: removed, related: b.relatedTo(removed, reduced), lostToo: true}).build(false)
	}
	for _, ni := range reduced {
		s := b.seq()
		s.relSteps(prefixUpdateUnlink, ni, relUnlink, true, false, func(r *tosca.InstanceRelationship) bool {
			return b.lost[relMark{ni.ID, r.Type, r.TargetID}] && !removedSet[r.TargetID]
		})
		phase1 = phase1.join(s.done())
	}
	// 2. Added instances installed, gained relationships established.
	var phase2 subgraph
	if len(added) > 0 {
		phase2 = (&lifecycle{b: b, prefix: WorkflowInstall, insts: added, related: b.relatedTo(added, extended)}).build(true)
	}
	for _, ni := range extended {
		s := b.seq()
		between := func(r *tosca.InstanceRelationship) bool {
			return gained[relMark{ni.ID, r.Type, r.TargetID}] && !addedSet[r.TargetID]
		}
		for _, op := range []string{relPreconfigure, relPostconfigure, relEstablish} {
			s.relSteps(prefixUpdateEstablish, ni, op, false, false, between)
		}
		phase2 = phase2.join(s.done())
	}
	b.barrier("barrier/update-removed", phase1, phase2)
	// 3. Reinstall.
	if len(c.Reinstall) > 0 {
		var set []*tosca.NodeInstance
		for _, id := range c.Reinstall {
			ni, ok := b.topo.instances[id]
			if !ok {
				return fmt.Errorf("update: reinstall: no node instance %q in the deployment", id)
			}
			set = append(set, ni)
		}
		var intact []*tosca.NodeInstance
		gone := idSet(c.Removed)
		for _, ni := range b.topo.order {
			if !gone[ni.ID] {
				intact = append(intact, ni)
			}
		}
		related := b.relatedTo(set, intact)
		un := (&lifecycle{b: b, prefix: prefixReinstallRemove, insts: set, related: related}).build(false)
		in := (&lifecycle{b: b, prefix: prefixReinstallInstall, insts: set, related: related}).build(true)
		b.barrier("barrier/reinstall-uninstalled", un, in)
		b.barrier("barrier/update-installed", phase1.join(phase2), un)
	}
	return nil
}

// UpdateParams are the parameters an update execution records (what the
// deployment update was asked); the graph is built from the UpdateChange.
var UpdateParams = []string{"blueprint_id", "inputs", "reinstall_list", "skip_reinstall", "reinstall_instances"}

// join is the union of two subgraphs' entries and exits.
func (s subgraph) join(o subgraph) subgraph {
	return subgraph{entry: append(append([]int32(nil), s.entry...), o.entry...), exit: append(append([]int32(nil), s.exit...), o.exit...)}
}

// barrier makes every entry of after wait for every exit of before through
// one no-op task (not a product of edges); nothing when either is empty.
func (b *builder) barrier(id string, before, after subgraph) {
	if before.empty() || after.empty() || b.err != nil {
		return
	}
	t, err := b.g.add(&Task{ID: id, Kind: KindNop})
	if err != nil {
		b.err = err
		return
	}
	for _, x := range before.exit {
		b.g.dep(t, x)
	}
	for _, e := range after.entry {
		b.g.dep(e, t)
	}
}

func idSet(l []*tosca.NodeInstance) map[string]bool {
	out := make(map[string]bool, len(l))
	for _, ni := range l {
		out[ni.ID] = true
	}
	return out
}
