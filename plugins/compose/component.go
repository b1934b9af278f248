package compose

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/proxy"
)

// uploadBlueprint (Component create) makes sure the child's blueprint is
// in the store: an external_resource must be there; otherwise
// blueprint_archive (see storeBlueprint) is stored under the blueprint id.
func (p *Plugin) uploadBlueprint(ctx context.Context, op *plugins.Context) error {
	if err := checkLocal(op); err != nil {
		return err
	}
	bp := section(op, cfgBlueprint)
	id := blueprintIDOf(op)
	archive := str(bp, cfgArchive)
	switch {
	case boolean(bp, cfgExternal):
		ok, err := p.Deployments.HasBlueprint(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return plugins.NonRecoverable(fmt.Errorf("node %s: blueprint %q is not in the store; upload it first (`gantry blueprints upload PATH -b %s`)", op.Node.ID, id, id))
		}
	case archive == "":
		return plugins.NonRecoverable(fmt.Errorf("node %s: resource_config.blueprint has neither external_resource: true nor a blueprint_archive; "+
			"set external_resource: true to use blueprint %q of the store, or blueprint_archive to a folder or archive of this blueprint or an http(s) URL", op.Node.ID, id))
	default:
		if err := p.storeBlueprint(ctx, op, id, archive, str(bp, cfgMainFile)); err != nil {
			return err
		}
	}
	return op.Runtime.Set(map[string]any{keyID: id}, RuntimeBlueprint)
}

// archivePath resolves blueprint_archive inside the parent blueprint's
// folder: a folder (its main_file_name) or a YAML file.
func archivePath(op *plugins.Context, archive, mainFile string) (string, error) {
	rel := filepath.Clean(filepath.FromSlash(archive))
	if !filepath.IsLocal(rel) || op.BlueprintDir == "" {
		return "", plugins.NonRecoverable(fmt.Errorf("node %s: blueprint_archive %q must name a folder or file inside the blueprint's folder", op.Node.ID, archive))
	}
	p := filepath.Join(op.BlueprintDir, rel)
	st, err := os.Stat(p)
	if err != nil {
		return "", plugins.NonRecoverable(fmt.Errorf("node %s: blueprint_archive %q: %w", op.Node.ID, archive, err))
	}
	if st.IsDir() {
		if mainFile == "" {
			mainFile = defaultMainFile
		}
		p = filepath.Join(p, filepath.FromSlash(mainFile))
	}
	return p, nil
}

// createDeployment (Component configure) sets the secrets and creates the
// child deployment, recording the parent's dependency on it.
func (p *Plugin) createDeployment(ctx context.Context, op *plugins.Context) error {
	if err := checkLocal(op); err != nil {
		return err
	}
	if err := checkNoPlugins(op); err != nil {
		return err
	}
	if err := p.setSecrets(ctx, op); err != nil {
		return err
	}
	dep := section(op, cfgDeployment)
	base := deploymentIDOf(op)
	if boolean(dep, cfgExternal) {
		if _, err := p.Deployments.InstallStatus(ctx, base); err != nil {
			return plugins.NonRecoverable(fmt.Errorf("node %s: deployment %q (external_resource): %w", op.Node.ID, base, err))
		}
		if err := p.Deployments.AddDependency(ctx, op.DeploymentID, op.Instance.ID, base); err != nil {
			return err
		}
		return op.Runtime.Set(map[string]any{keyID: base}, RuntimeDeployment)
	}
	ids := []string{base}
	if boolean(dep, cfgAutoSuffix) {
		if _, ok := op.Runtime.Get(RuntimeDeployment, keyID); !ok {
			ids = ids[:0]
			for i := 0; i < maxAutoSuffix; i++ {
				ids = append(ids, base+"-"+strconv.Itoa(i))
			}
		}
	}
	inputs := mapOf(dep[cfgInputs])
	bpID := blueprintIDOf(op)
	var err error
	for _, id := range ids {
		err = p.Deployments.CreateChild(ctx, op.DeploymentID, op.Instance.ID, bpID, id, inputs)
		if errors.Is(err, ErrExists) {
			continue
		}
		if err != nil {
			return plugins.NonRecoverable(fmt.Errorf("node %s: creating deployment %s of blueprint %s: %w", op.Node.ID, id, bpID, err))
		}
		op.Log(plugins.LevelInfo, "created component deployment %s of blueprint %s", id, bpID)
		return op.Runtime.Set(map[string]any{keyID: id}, RuntimeDeployment)
	}
	return plugins.NonRecoverable(fmt.Errorf("node %s: deployment %s exists already: choose another resource_config.deployment.id, "+
		"set auto_inc_suffix: true, or external_resource: true to use it", op.Node.ID, ids[len(ids)-1]))
}

// executeStart (Component start and stop) runs workflow_id on the child
// and waits for it; after any workflow but uninstall the child's
// capabilities are copied into the runtime properties.
func (p *Plugin) executeStart(ctx context.Context, op *plugins.Context) error {
	id := deploymentIDOf(op)
	wf, _ := op.Inputs[inWorkflowID].(string)
	if wf == "" {
		wf = defaultWorkflow
	}
	if wf == workflowUninstall {
		if _, err := p.Deployments.InstallStatus(ctx, id); errors.Is(err, proxy.ErrNoDeployment) {
			op.Log(plugins.LevelWarn, "component deployment %s does not exist: nothing to uninstall", id)
			return nil
		}
	}
	args := mapOf(mapOf(desired(op, propResourceConfig))[cfgStartArgs])
	rctx, cancel := context.WithTimeout(ctx, plugins.Seconds(op.Inputs[inTimeout], defaultTimeout))
	defer cancel()
	op.Log(plugins.LevelInfo, "running %s of component deployment %s", wf, id)
	execID, err := p.Deployments.RunWorkflow(rctx, op.DeploymentID, op.Instance.ID, id, wf, nil, boolean(args, argAllowCustom))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return plugins.NonRecoverable(fmt.Errorf("component deployment %s: %s (execution %s) failed: %w", id, wf, execID, err))
	}
	op.Log(plugins.LevelInfo, "%s of component deployment %s succeeded (execution %s)", wf, id, execID)
	if wf == workflowUninstall {
		return nil
	}
	return p.refresh(ctx, op, id)
}

// deleteDeployment (Component delete) deletes the child deployment, the
// parent's dependency on it and the blueprint it stored.
func (p *Plugin) deleteDeployment(ctx context.Context, op *plugins.Context) error {
	id := deploymentIDOf(op)
	if err := p.Deployments.DeleteChild(ctx, op.DeploymentID, op.Instance.ID, id); err != nil {
		return plugins.NonRecoverable(fmt.Errorf("deleting component deployment %s: %w", id, err))
	}
	bp := section(op, cfgBlueprint)
	if !boolean(bp, cfgExternal) && str(bp, cfgArchive) != "" {
		// Other deployments using it keep it.
		if err := p.Deployments.DeleteBlueprint(ctx, blueprintIDOf(op)); err != nil && !errors.Is(err, ErrInUse) {
			return fmt.Errorf("deleting component blueprint %s: %w", blueprintIDOf(op), err)
		}
	}
	for _, k := range []string{RuntimeDeployment, RuntimeBlueprint, RuntimeCapabilities} {
		if err := op.Runtime.Delete(k); err != nil {
			return err
		}
	}
	op.Log(plugins.LevelInfo, "deleted component deployment %s", id)
	return nil
}

// checkNoPlugins refuses the plugins property: Gantry's plugins are built
// in.
func checkNoPlugins(op *plugins.Context) error {
	if pl := mapOf(desired(op, propPlugins)); len(pl) > 0 {
		return plugins.NonRecoverable(fmt.Errorf("node %s: the plugins property asks to upload plugins, which Gantry does not do (its plugins are built in); remove it", op.Node.ID))
	}
	return nil
}

// setSecrets creates or overwrites the secrets of the secrets property, in
// key order.
func (p *Plugin) setSecrets(ctx context.Context, op *plugins.Context) error {
	secrets := mapOf(desired(op, propSecrets))
	keys := make([]string, 0, len(secrets))
	for k := range secrets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v, ok := secrets[k].(string)
		if !ok {
			return plugins.NonRecoverable(fmt.Errorf("node %s: secrets.%s must be a string", op.Node.ID, k))
		}
		if err := p.Deployments.PutSecret(ctx, k, v); err != nil {
			return fmt.Errorf("node %s: setting secret %s: %w", op.Node.ID, k, err)
		}
	}
	return nil
}
