package compose

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/proxy"
)

// connect (SharedResource create) waits for the shared deployment's
// install, records the dependency and copies its capabilities.
func (p *Plugin) connect(ctx context.Context, op *plugins.Context) error {
	if err := checkLocal(op); err != nil {
		return err
	}
	id := str(section(op, cfgDeployment), keyID)
	if id == "" {
		return plugins.NonRecoverable(fmt.Errorf("node %s: resource_config.deployment.id is empty: name the deployment this SharedResource stands for", op.Node.ID))
	}
	err := proxy.WaitInstalled(ctx, p.Deployments, op, id, proxy.Wait{
		Timeout:   plugins.Seconds(op.Inputs[inTimeout], defaultSharedTimeout),
		MustExist: true,
		Hint:      "give the create operation a longer timeout input",
	})
	if err != nil {
		return err
	}
	return p.refresh(ctx, op, id)
}

// disconnect (SharedResource delete) forgets the dependency; the shared
// deployment is left alone.
func (p *Plugin) disconnect(ctx context.Context, op *plugins.Context) error {
	id := deploymentIDOf(op)
	if err := p.Deployments.RemoveDependency(ctx, op.DeploymentID, op.Instance.ID, id); err != nil {
		return fmt.Errorf("node instance %s: forgetting the dependency on %s: %w", op.Instance.ID, id, err)
	}
	for _, k := range []string{RuntimeDeployment, RuntimeCapabilities} {
		if err := op.Runtime.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// executeWorkflow (establish and unlink of the *_shared_resource
// relationships, a target operation) runs workflow_id with parameters on
// the target SharedResource's deployment and waits for it.
func (p *Plugin) executeWorkflow(ctx context.Context, op *plugins.Context) error {
	wf, _ := op.Inputs[inWorkflowID].(string)
	if wf == "" {
		return plugins.NonRecoverable(fmt.Errorf("%s of node instance %s: the workflow_id input is empty: name the workflow to run on the shared deployment",
			op.OperationName, op.Instance.ID))
	}
	id := deploymentIDOf(op)
	rctx, cancel := context.WithTimeout(ctx, plugins.Seconds(op.Inputs[inTimeout], defaultSharedTimeout))
	defer cancel()
	execID, err := p.Deployments.RunWorkflow(rctx, op.DeploymentID, op.Instance.ID, id, wf, mapOf(op.Inputs[inParameters]), true)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return plugins.NonRecoverable(fmt.Errorf("workflow %s of shared deployment %s (execution %s) failed: %w", wf, id, execID, err))
	}
	op.Log(plugins.LevelInfo, "workflow %s of shared deployment %s succeeded (execution %s)", wf, id, execID)
	return nil
}
