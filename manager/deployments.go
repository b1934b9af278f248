package manager

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
)

// CreateDeployment plans a deployment of a stored blueprint with inputs and
// stores it with its node instances (state uninitialized). The plan is made
// from the stored copy of the blueprint's files. Problems with the inputs
// return a *ProblemsError. The id defaults to the blueprint's.
func (m *Manager) CreateDeployment(ctx context.Context, req api.CreateDeploymentRequest) (*store.Deployment, error) {
	id, blueprintID := req.ID, req.BlueprintID
	if id == "" {
		id = blueprintID
	}
	bp, err := m.st.GetBlueprint(ctx, blueprintID)
	if err != nil {
		return nil, err
	}
	if _, err := m.st.GetDeploymentRecord(ctx, id); err == nil {
		return nil, fmt.Errorf("deployment %s: %w", id, store.ErrExists)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	p, err := m.planFor(ctx, bp, req.Inputs, req.Seed)
	if err != nil {
		return nil, err
	}
	d := &store.Deployment{ID: id, BlueprintID: blueprintID, Description: p.Description, Inputs: p.Inputs, Plan: compactPlan(p)}
	if err := m.st.CreateDeployment(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// planFor parses the stored blueprint and expands a plan with inputs.
func (m *Manager) planFor(ctx context.Context, bp *store.Blueprint, inputs map[string]any, seed int64) (*tosca.Plan, error) {
	p, err := m.prepareStored(ctx, bp, func(*tosca.Blueprint) map[string]any { return inputs })
	if err != nil {
		return nil, err
	}
	if err := plan.Expand(p, plan.Options{Seed: seed}); err != nil {
		return nil, fmt.Errorf("planning deployment of %s: %w", bp.ID, err)
	}
	return p, nil
}

// prepareStored parses the stored blueprint from a private copy of its
// files (removed after) and prepares its plan with the inputs that
// inputsFor gives for it; problems come back as *ProblemsError.
func (m *Manager) prepareStored(ctx context.Context, bp *store.Blueprint, inputsFor func(*tosca.Blueprint) map[string]any) (*tosca.Plan, error) {
	dir, remove, err := m.extractBlueprint(ctx, bp, planPurpose)
	if err != nil {
		return nil, err
	}
	defer remove()
	main := filepath.Join(dir, bp.MainFile)
	opts, done := m.withStoredBlueprints(ctx, m.parseOptions())
	defer done()
	parsed, problems := tosca.Parse(main, opts)
	if len(problems) > 0 {
		return nil, &ProblemsError{Path: main, Problems: problems}
	}
	p, problems := parsed.Prepare(inputsFor(parsed))
	if len(problems) > 0 {
		return nil, &ProblemsError{Path: main, Problems: problems}
	}
	return p, nil
}

// loadDeployment returns a deployment with its plan's node instances.
// Its plan has no BlueprintDir: an execution extracts its own copy of the
// blueprint's files (start).
func (m *Manager) loadDeployment(ctx context.Context, id string) (*store.Deployment, error) {
	d, _, err := m.deploymentWithInstances(ctx, id)
	return d, err
}

// deploymentWithInstances returns the deployment with its plan's
// NodeInstances filled from the instance records (the store keeps them
// there, not in the plan), and the records themselves.
func (m *Manager) deploymentWithInstances(ctx context.Context, id string) (*store.Deployment, []*store.NodeInstance, error) {
	d, err := m.st.GetDeployment(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	insts, err := m.st.ListNodeInstances(ctx, id, "")
	if err != nil {
		return nil, nil, err
	}
	d.Plan.NodeInstances = make([]*tosca.NodeInstance, len(insts))
	for i, ni := range insts {
		ti := ni.NodeInstance
		d.Plan.NodeInstances[i] = &ti
	}
	return d, insts, nil
}

// DeleteDeployment removes a deployment and everything it owns. It refuses
// (ErrActiveExecution, ErrDependents, ErrInUse) while an execution runs,
// while other deployments depend on it, or while any of its node instances
// is live (neither uninitialized nor deleted), unless force.
func (m *Manager) DeleteDeployment(ctx context.Context, id string, force bool) error {
	return m.deleteDeployment(ctx, id, force, true)
}

// deleteDeployment is DeleteDeployment; checkLive false skips the live
// instances check (after an uninstall that succeeded, which is its fix).
func (m *Manager) deleteDeployment(ctx context.Context, id string, force, checkLive bool) error {
	if _, err := m.st.GetDeploymentRecord(ctx, id); err != nil {
		return err
	}
	if !force {
		if err := m.checkNoActive(ctx, id); err != nil {
			return err
		}
		if err := m.checkNoDependents(ctx, id); err != nil {
			return err
		}
		if checkLive {
			if err := m.checkNoLiveInstances(ctx, id); err != nil {
				return err
			}
		}
	}
	return m.st.DeleteDeployment(ctx, id, force)
}

// checkNoLiveInstances refuses (ErrInUse) when a node instance of the
// deployment is in any state but uninitialized or deleted: deleting it would
// forget resources that still exist. Cloudify refuses the same way.
func (m *Manager) checkNoLiveInstances(ctx context.Context, id string) error {
	insts, err := m.st.ListNodeInstances(ctx, id, "")
	if err != nil {
		return err
	}
	live := 0
	var example *store.NodeInstance
	for _, ni := range insts {
		if ni.State != store.StateUninitialized && ni.State != store.StateDeleted {
			if live == 0 {
				example = ni
			}
			live++
		}
	}
	if live == 0 {
		return nil
	}
	return fmt.Errorf("deployment %s: %w: %d of its %d node instances are live (e.g. %s is %s); run `gantry uninstall %s` first, or pass --force to forget them",
		id, ErrInUse, live, len(insts), example.ID, example.State, id)
}

func (m *Manager) checkNoActive(ctx context.Context, id string) error {
	execs, err := m.ListExecutions(ctx, id) // reaped: a dead process's execution is no obstacle
	if err != nil {
		return err
	}
	for _, e := range execs {
		if e.Status.Active() {
			return fmt.Errorf("deployment %s: %w (execution %s, %s, status %s); wait for it or cancel it with `gantry executions cancel %s`",
				id, ErrActiveExecution, e.ID, e.WorkflowID, e.Status, e.ID)
		}
	}
	return nil
}

// checkNoDependents refuses when live proxies of other deployments, or their
// get_capability functions, point here.
func (m *Manager) checkNoDependents(ctx context.Context, id string) error {
	deps, err := m.st.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: id})
	if err != nil {
		return err
	}
	if len(deps) == 0 {
		return nil
	}
	var who []string
	for _, d := range deps {
		via := "node instance " + d.Creator
		if c, ok := strings.CutPrefix(d.Creator, capabilityCreator); ok {
			via = "get_capability " + c
		}
		who = append(who, d.SourceDeploymentID+" ("+via+")")
	}
	return fmt.Errorf("deployment %s: %w: %s; uninstall those first, or pass --force", id, ErrDependents, strings.Join(who, ", "))
}
