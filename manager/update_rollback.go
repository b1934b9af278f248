package manager

import (
	"context"
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// rollbackUpdate undoes a failed or cancelled update whose added instances
// are not all started (the failure was in its first two phases): the
// added instances are uninstalled (failures ignored) and removed, and the
// execution is marked rolled back. The deployment stays on its blueprint
// (it switches only on success). When every added instance is started,
// the failure was in the reinstall phase: nothing is undone and the
// execution can be resumed.
func (m *Manager) rollbackUpdate(ctx context.Context, u *updatePlan, added []string) error {
	insts, err := m.st.ListNodeInstances(ctx, u.d.ID, "")
	if err != nil {
		return fmt.Errorf("deployment update: rolling back: %w", err)
	}
	isAdded := make(map[string]bool, len(added))
	for _, id := range added {
		isAdded[id] = true
	}
	allStarted := true
	for _, ni := range insts {
		if isAdded[ni.ID] && ni.State != workflow.StateStarted {
			allStarted = false
		}
	}
	if allStarted {
		return nil
	}
	dir, remove, err := m.extractForUpdate(ctx, u.d.ID, u.bp, u.executionID+"-rollback")
	if err != nil {
		return fmt.Errorf("deployment update: rolling back: %w", err)
	}
	defer remove()
	p := *u.execPlan
	p.BlueprintDir = dir
	cfg := m.engineConfig(u.d.ID, m.st, ExecOptions{})
	cfg.State = statusKept{cfg.State}
	ch := *u.change
	ch.Rollback = true
	req := workflow.Request{DeploymentID: u.d.ID, BlueprintID: u.bp.ID, ExecutionID: u.executionID, Workflow: workflow.WorkflowUpdate,
		Plan: &p, Update: &ch, AllowCustomParameters: true}
	res, err := workflow.Run(context.WithoutCancel(ctx), cfg, req)
	if err == nil && res != nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		return fmt.Errorf("deployment update: rolling back, uninstalling the added instances: %w", err)
	}
	if err := m.st.DeleteNodeInstances(ctx, u.d.ID, added); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("deployment update: rolling back, removing the added instances: %w", err)
	}
	_, err = m.st.UpdateExecution(ctx, u.executionID, func(x *store.Execution) error {
		x.RolledBack = true
		x.Error = fmt.Sprintf(updateRolledBackErrorFmt, x.Error, len(added), u.d.BlueprintID)
		return nil
	})
	return err
}

// statusKept is the State of a rollback run under an ended execution: its
// status stays what the failed run left, and a cancel asked of that run
// does not stop the rollback.
type statusKept struct{ workflow.State }

func (statusKept) SetExecutionStatus(context.Context, string, workflow.ExecStatus, string) error {
	return nil
}

func (statusKept) CancelRequested(context.Context, string) (workflow.CancelMode, error) {
	return workflow.CancelNone, nil
}

// extractForUpdate extracts the files an update's operations read into a
// private folder: the deployment's current blueprint's, overlaid with the
// new blueprint's (the removed nodes' scripts come from the old one when
// the new one lacks them).
func (m *Manager) extractForUpdate(ctx context.Context, deploymentID string, bp *store.Blueprint, purpose string) (string, func(), error) {
	first := bp
	if rec, err := m.st.GetDeploymentRecord(ctx, deploymentID); err == nil && rec.BlueprintID != bp.ID {
		if old, err := m.st.GetBlueprint(ctx, rec.BlueprintID); err == nil {
			first = old
		}
	}
	dir, remove, err := m.extractBlueprint(ctx, first, purpose)
	if err != nil || first == bp {
		return dir, remove, err
	}
	if err := m.st.BlueprintFiles(ctx, bp.ID, dir); err != nil {
		remove()
		return "", nil, fmt.Errorf("extracting blueprint %s: %w", bp.ID, err)
	}
	return dir, remove, nil
}
