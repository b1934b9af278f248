package manager

import (
	"context"
	"errors"
	"fmt"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// Workflow names the manager treats specially.
const (
	workflowInstall   = "install"
	workflowUninstall = "uninstall"
	workflowScale     = "scale"
)

// Install uploads the blueprint at req.Path (or reuses an identical
// upload), creates the deployment unless it exists, and starts install.
// A deployment that exists keeps its inputs and its blueprint: new inputs,
// or another blueprint under its id, are refused with ErrConflict.
func (m *Manager) Install(ctx context.Context, req api.InstallRequest) (*api.InstallStarted, error) {
	main, err := ResolveBlueprintPath(req.Path)
	if err != nil {
		return nil, err
	}
	bpID := req.BlueprintID
	if bpID == "" {
		bpID = DefaultBlueprintID(main)
	}
	id := req.DeploymentID
	if id == "" {
		id = bpID
	}
	// Refusals come first: a refused install leaves nothing behind.
	d, err := m.st.GetDeploymentRecord(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d = nil
	case err != nil:
		return nil, err
	case d.BlueprintID != bpID:
		return nil, refused(api.CodeConflict, "deployment %s exists, of blueprint %s, not %s: uninstall it first or choose another id with -d", id, d.BlueprintID, bpID)
	case len(req.Inputs) > 0:
		return nil, refused(api.CodeConflict, "deployment %s exists: its inputs cannot change; uninstall it first or choose another id with -d", id)
	}
	bp, reused, err := m.EnsureBlueprint(ctx, bpID, main)
	if err != nil {
		return nil, err
	}
	out := &api.InstallStarted{Blueprint: bp, BlueprintReused: reused, Deployment: d}
	if d == nil {
		create := api.CreateDeploymentRequest{ID: id, BlueprintID: bp.ID, Inputs: req.Inputs, Seed: req.Seed}
		if out.Deployment, err = m.CreateDeployment(ctx, create); err != nil {
			return nil, err
		}
		out.DeploymentCreated = true
	}
	if out.Run, err = m.StartExecution(ctx, api.StartRequest{DeploymentID: id, Workflow: workflowInstall, Options: req.Options}); err != nil {
		return nil, err
	}
	return out, nil
}

// refused is an error whose message is exactly the given one, wrapping
// code's sentinel.
func refused(code api.Code, format string, args ...any) error {
	return &api.Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Uninstall starts uninstall; once it succeeds the deployment is deleted
// and then its blueprint, unless req.KeepBlueprint or other deployments use
// it. A dry run deletes nothing. Failing deletions are the Run's error.
func (m *Manager) Uninstall(ctx context.Context, req api.UninstallRequest) (api.Run, error) {
	d, err := m.st.GetDeploymentRecord(ctx, req.DeploymentID)
	if err != nil {
		return nil, err
	}
	params := map[string]any{"ignore_failure": req.IgnoreFailure}
	if req.Force {
		params["force"] = true
	}
	after := m.afterUninstall(d, req.Force, req.KeepBlueprint, req.Options.DryRun)
	queuedAfter := store.AfterDeleteDeploymentAndBlueprint
	if req.KeepBlueprint {
		queuedAfter = store.AfterDeleteDeployment
	}
	if req.Options.DryRun {
		queuedAfter = store.AfterNothing
	}
	return m.startWorkflow(ctx, api.StartRequest{DeploymentID: d.ID, Workflow: workflowUninstall, Parameters: params, Options: req.Options}, after, queuedAfter)
}

// afterUninstall deletes the deployment after a successful uninstall,
// then its blueprint unless keepBlueprint or other deployments use it. A
// dry run deletes nothing.
func (m *Manager) afterUninstall(d *store.Deployment, force, keepBlueprint, dryRun bool) afterFunc {
	return func(ctx context.Context) error {
		if dryRun {
			return nil
		}
		if err := m.deleteDeployment(ctx, d.ID, force, false); err != nil {
			return fmt.Errorf("uninstalled; deleting deployment %s: %w", d.ID, err)
		}
		if keepBlueprint {
			return nil
		}
		others, err := m.st.ListDeployments(ctx, d.BlueprintID)
		if err != nil || len(others) > 0 {
			return nil // the blueprint stays: in use, or unknown
		}
		if err := m.DeleteBlueprint(ctx, d.BlueprintID); err != nil && !errors.Is(err, store.ErrInUse) && !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("deployment %s deleted; deleting blueprint %s: %w", d.ID, d.BlueprintID, err)
		}
		return nil
	}
}
