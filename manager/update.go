package manager

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
	"github.com/gantryhq/gantry/tosca/plandiff"
	"github.com/gantryhq/gantry/workflow"
)

// Parameters an update execution records (workflow.UpdateParams).
const (
	paramUpdateBlueprint     = "blueprint_id"
	paramUpdateInputs        = "inputs"
	paramReinstallList       = "reinstall_list"
	paramSkipReinstall       = "skip_reinstall"
	paramReinstallInstances  = "reinstall_instances"
	updateRolledBackErrorFmt = "%s; rolled back: the %d added instance(s) were uninstalled and removed, the deployment stays on blueprint %s"
)

// UpdateDeployment computes the change from the deployment's plan to the
// plan of req.BlueprintID (after uploading req.Blueprint when it is a
// path: ResolveUpdateBlueprint) and, unless req.Preview, starts the execution
// of workflow `update` that applies it (docs/differences.md, "Deployment
// update", has the rules).
func (m *Manager) UpdateDeployment(ctx context.Context, req api.UpdateDeploymentRequest) (*api.DeploymentUpdate, error) {
	// Queued (--detach, or a server that runs no execution itself): a
	// worker plans it again with the same seed and runs it (prepareQueued).
	queued := !req.Preview && m.queues(req.Options) && !runsInProcess(ctx)
	if queued {
		if err := m.CheckQueue(); err != nil {
			return nil, err
		}
	}
	main, cleanup, err := ResolveUpdateBlueprint(&req)
	defer cleanup()
	if err != nil {
		return nil, err
	}
	d, insts, err := m.deploymentWithInstances(ctx, req.DeploymentID)
	if err != nil {
		return nil, err
	}
	if !req.Preview {
		if err := m.checkNoActive(ctx, d.ID); err != nil {
			return nil, err
		}
	}
	uploaded := false
	if main != "" {
		// After the refusals above, as install uploads: a refused update
		// leaves no blueprint behind.
		bp, reused, err := m.EnsureBlueprint(ctx, req.BlueprintID, main)
		if err != nil {
			return nil, err
		}
		req.BlueprintID, uploaded = bp.ID, !reused
	}
	states := make(map[string]string, len(insts))
	for _, ni := range insts {
		states[ni.ID] = string(ni.State)
	}
	executionID := newID()
	u, err := m.planUpdate(ctx, d, updateAsk{
		blueprintID: req.BlueprintID, inputs: req.Inputs, merge: true,
		reinstallList: req.ReinstallList, skipReinstall: req.SkipReinstall, states: states,
	}, executionID)
	if err != nil {
		return nil, err
	}
	out := u.describe()
	out.BlueprintUploaded = uploaded
	if req.Preview {
		return out, nil
	}
	params := map[string]any{
		paramUpdateBlueprint: u.bp.ID, paramUpdateInputs: u.inputs,
		paramReinstallList: stringsOrEmpty(req.ReinstallList), paramSkipReinstall: req.SkipReinstall,
		paramReinstallInstances: stringsOrEmpty(u.reinstallInstances),
	}
	wreq := workflow.Request{DeploymentID: d.ID, BlueprintID: u.bp.ID, ExecutionID: executionID, Workflow: workflow.WorkflowUpdate,
		Params: params, Plan: u.execPlan, Update: u.change, DryRun: req.Options.DryRun}
	if queued {
		r, err := m.enqueue(ctx, wreq, req.Options, store.AfterNothing, false)
		if err != nil {
			return nil, err
		}
		out.Execution, out.Run = r.Execution(), r
		return out, nil
	}
	var rollback afterFunc
	var apply switchFunc
	if !req.Options.DryRun {
		if apply, rollback, err = m.storeUpdate(ctx, m.st, u, false); err != nil {
			return nil, err
		}
	}
	r, err := m.createAndStart(ctx, wreq, req.Options, nil, rollback, apply)
	if err != nil {
		if rollback != nil {
			err = errors.Join(err, rollback(context.WithoutCancel(ctx)))
		}
		return nil, err
	}
	out.Execution, out.Run = r.Execution(), r
	return out, nil
}

// updateAsk is what an update was asked: on its start (inputs merged
// with the deployment's, reinstalled instances chosen from states) or on
// its resume (from the execution's parameters).
type updateAsk struct {
	blueprintID   string
	inputs        map[string]any
	merge         bool
	reinstallList []string
	skipReinstall bool
	// states are the instances' states at the start: instances are
	// reinstalled only when started. On resume, reinstall is the list
	// chosen then.
	states    map[string]string
	reinstall []string
	// added: on resume, the instances the update stored before it ran.
	added []string
}

// updatePlan is a deployment update planned.
type updatePlan struct {
	executionID string
	d           *store.Deployment // as it is (old plan, with its instances)
	bp          *store.Blueprint  // the new blueprint
	inputs      map[string]any    // given to the new plan
	// newPlan is the deployment's plan after the update (compact, its
	// counts applied), without instances.
	newPlan *tosca.Plan
	mod     *plan.Modification
	diff    *plandiff.Change
	// execPlan is the plan the execution runs over (plandiff.Merge).
	execPlan           *tosca.Plan
	change             *workflow.UpdateChange
	reinstallNodes     []string
	reinstallInstances []string
}

// planUpdate plans the update of d (with its instances) that ask names;
// executionID seeds the new instances' ids.
func (m *Manager) planUpdate(ctx context.Context, d *store.Deployment, ask updateAsk, executionID string) (*updatePlan, error) {
	if ask.blueprintID == "" {
		return nil, fmt.Errorf("%w: deployment update: a blueprint id is required", ErrInvalid)
	}
	bp, err := m.st.GetBlueprint(ctx, ask.blueprintID)
	if err != nil {
		return nil, err
	}
	inputs := ask.inputs
	p, err := m.prepareStored(ctx, bp, func(parsed *tosca.Blueprint) map[string]any {
		if ask.merge {
			inputs = mergeInputs(d.Plan.InputDefs, d.Inputs, parsed.InputDefs(), ask.inputs)
		}
		return inputs
	})
	if err != nil {
		return nil, err
	}
	newPlan := compactPlan(p)
	newPlan.NodeInstances, newPlan.BlueprintDir = nil, ""
	diff, err := plandiff.Diff(d.Plan, newPlan)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, nc := range diff.Nodes {
		if len(nc.Instances) == 2 {
			counts[nc.Node] = nc.Instances[1]
		}
	}
	old := d.Plan.NodeInstances
	if len(ask.added) > 0 {
		old = withoutInstances(d.Plan, ask.added).NodeInstances
	}
	mod, err := plan.Reconcile(newPlan, old, counts, plan.Options{Seed: scaleRun{executionID: executionID}.seed()})
	if err != nil {
		return nil, fmt.Errorf("deployment update of %s: %w", d.ID, err)
	}
	u := &updatePlan{executionID: executionID, d: d, bp: bp, inputs: inputs, newPlan: newPlan, mod: mod, diff: diff}
	if u.reinstallNodes, err = reinstallNodes(diff, newPlan, ask.reinstallList, ask.skipReinstall); err != nil {
		return nil, err
	}
	u.reinstallInstances = ask.reinstall
	if ask.states != nil {
		u.reinstallInstances = reinstallInstances(newPlan, mod, u.reinstallNodes, ask.states)
	}
	u.execPlan = plandiff.Merge(d.Plan, newPlan)
	u.execPlan.NodeInstances = mod.NodeInstances
	u.change = &workflow.UpdateChange{Added: mod.Added, Removed: mod.Removed, Extended: mod.Extended, Reduced: mod.Reduced, Reinstall: u.reinstallInstances}
	mod.Apply(newPlan)
	newPlan.NodeInstances = nil
	return u, nil
}

// mergeInputs is the inputs of the updated deployment: the given ones,
// then the deployment's values of the inputs the new blueprint declares,
// except values that were the old default (the new default applies).
func mergeInputs(oldDefs map[string]*tosca.PropertyDef, oldValues map[string]any, newDefs map[string]*tosca.PropertyDef, given map[string]any) map[string]any {
	out := make(map[string]any, len(newDefs))
	for name, v := range oldValues {
		if _, declared := newDefs[name]; !declared {
			continue
		}
		if def := oldDefs[name]; def != nil && (def.HasDefault || def.Default != nil) && sameValue(def.Default, v) {
			continue
		}
		out[name] = v
	}
	for name, v := range given {
		out[name] = v
	}
	return out
}

// reinstallNodes is the nodes an update reinstalls: those asked for, and
// those whose type, properties or operations changed unless skip.
func reinstallNodes(diff *plandiff.Change, p *tosca.Plan, asked []string, skip bool) ([]string, error) {
	set := map[string]bool{}
	known := map[string]bool{}
	for _, n := range p.Nodes {
		known[n.ID] = true
	}
	added := map[string]bool{}
	for _, nc := range diff.Nodes {
		if nc.Kind == plandiff.Added {
			added[nc.Node] = true
		}
		if !skip && nc.Reinstallable() {
			set[nc.Node] = true
		}
	}
	for _, id := range asked {
		if !known[id] {
			return nil, fmt.Errorf("%w: --reinstall-list: the updated deployment has no node %q", ErrInvalid, id)
		}
		if !added[id] {
			set[id] = true
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	sort.Strings(out)
	return out, nil
}

// reinstallInstances is the intact, started instances of nodes and every
// intact, started instance contained in one (transitively), in plan order.
func reinstallInstances(p *tosca.Plan, mod *plan.Modification, nodes []string, states map[string]string) []string {
	if len(nodes) == 0 {
		return []string{}
	}
	want := map[string]bool{}
	for _, n := range nodes {
		want[n] = true
	}
	added := map[string]bool{}
	for _, ni := range mod.Added {
		added[ni.ID] = true
	}
	containedIn := map[[2]string]bool{} // node -> target node of a contained_in
	for _, n := range p.Nodes {
		for _, r := range n.Relationships {
			if r.IsA(tosca.RelContainedIn) || r.Type == tosca.RelContainedIn {
				containedIn[[2]string{n.ID, r.TargetID}] = true
			}
		}
	}
	in := map[string]bool{}
	for _, ni := range mod.NodeInstances {
		if want[ni.NodeID] && !added[ni.ID] {
			in[ni.ID] = true
		}
	}
	// Contained instances follow their container (a few passes: one per
	// level of containment).
	for changed := true; changed; {
		changed = false
		for _, ni := range mod.NodeInstances {
			if in[ni.ID] || added[ni.ID] {
				continue
			}
			for _, r := range ni.Relationships {
				if in[r.TargetID] && containedIn[[2]string{ni.NodeID, r.TargetName}] {
					in[ni.ID], changed = true, true
					break
				}
			}
		}
	}
	out := []string{}
	for _, ni := range mod.NodeInstances {
		if in[ni.ID] && states[ni.ID] == workflow.StateStarted {
			out = append(out, ni.ID)
		}
	}
	return out
}

// describe is the update as the boundary shows it.
func (u *updatePlan) describe() *api.DeploymentUpdate {
	ids := func(l []*tosca.NodeInstance) []string {
		out := make([]string, 0, len(l))
		for _, ni := range l {
			out = append(out, ni.ID)
		}
		sort.Strings(out)
		return out
	}
	re := append([]string{}, u.reinstallInstances...)
	sort.Strings(re)
	return &api.DeploymentUpdate{
		DeploymentID: u.d.ID, OldBlueprintID: u.d.BlueprintID, BlueprintID: u.bp.ID, Inputs: u.newPlan.Inputs,
		Change: u.diff, AddedInstances: ids(u.mod.Added), RemovedInstances: ids(u.mod.Removed),
		ReinstallNodes: u.reinstallNodes, ReinstallInstances: re,
	}
}

// storeUpdate stores, through w (a worker's claim writer, else the
// store), the instances the update adds (on resume, those not stored
// yet) and returns what switches the deployment to the new plan
// with the execution's success and what rolls the update back after a
// failure.
func (m *Manager) storeUpdate(ctx context.Context, w store.Store, u *updatePlan, resume bool) (apply switchFunc, rollback afterFunc, err error) {
	added := addedIDs(u.mod.Added)
	if err := storeAdded(ctx, w, u.d.ID, u.mod.Added, resume); err != nil {
		return nil, nil, fmt.Errorf("deployment update: %w", err)
	}
	apply = func(ctx context.Context, tx store.Store) error { return applyUpdate(ctx, tx, u) }
	if len(added) > 0 {
		rollback = func(ctx context.Context) error { return m.rollbackUpdate(ctx, u, added) }
	}
	return apply, rollback, nil
}

// applyUpdate switches the deployment to the new plan through tx (the
// transaction that ends the execution, switch.go): removed instances
// deleted, intact ones given their new relationships, then the deployment
// record with its blueprint, inputs, plan and marker.
func applyUpdate(ctx context.Context, tx store.Store, u *updatePlan) error {
	d, mod := u.d, u.mod
	if err := deleteInstances(ctx, tx, d.ID, mod.Removed); err != nil {
		return fmt.Errorf("deployment update: removing instances: %w", err)
	}
	byID := make(map[string]*tosca.NodeInstance, len(mod.NodeInstances))
	for _, ni := range mod.NodeInstances {
		byID[ni.ID] = ni
	}
	if err := storeRelationships(ctx, tx, d.ID, mod, byID); err != nil {
		return fmt.Errorf("deployment update: %w", err)
	}
	_, err := tx.UpdateDeployment(ctx, d.ID, func(x *store.Deployment) error {
		x.BlueprintID, x.Inputs, x.Description, x.Plan = u.bp.ID, u.newPlan.Inputs, u.newPlan.Description, u.newPlan
		x.ModifiedBy = u.executionID
		return nil
	})
	if err != nil {
		return fmt.Errorf("deployment update: switching %s to blueprint %s: %w", d.ID, u.bp.ID, err)
	}
	return nil
}

// sameValue compares two input values by their JSON form (a stored value
// reads back with float64 numbers).
func sameValue(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func sortedIDs(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for id := range m {
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}

func stringsOrEmpty(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

// resumedUpdate is what an update execution was asked, from its
// parameters.
func resumedUpdate(e *store.Execution) updateAsk {
	ask := updateAsk{added: e.ScaleAdded, reinstall: []string{}}
	ask.blueprintID, _ = e.Parameters[paramUpdateBlueprint].(string)
	ask.inputs, _ = e.Parameters[paramUpdateInputs].(map[string]any)
	ask.skipReinstall, _ = e.Parameters[paramSkipReinstall].(bool)
	ask.reinstallList = anyStrings(e.Parameters[paramReinstallList])
	ask.reinstall = anyStrings(e.Parameters[paramReinstallInstances])
	return ask
}

func anyStrings(v any) []string {
	out := []string{}
	switch l := v.(type) {
	case []any:
		for _, x := range l {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case []string:
		out = append(out, l...)
	}
	return out
}
