package manager

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/plugins/compose"
	"github.com/gantryhq/gantry/plugins/proxy"
	"github.com/gantryhq/gantry/store"
)

// composeDeployments is the composition plugin's (cfy_extensions: Component,
// SharedResource, Blueprint, PasswordSecret) view of the store. Child executions run in this process.
type composeDeployments struct{ proxyDeployments }

var _ compose.Deployments = (*composeDeployments)(nil)

// childCancelGrace bounds the wait for a cancelled child execution to end.
const childCancelGrace = 30 * time.Second

// inProcessKey marks a context whose executions run in this process even
// when the manager queues executions for workers: a parent's operation
// waits for its child, so the child must not wait for a free worker.
type inProcessKey struct{}

func runsInProcess(ctx context.Context) bool { return ctx.Value(inProcessKey{}) != nil }

func (c *composeDeployments) Capabilities(ctx context.Context, id string) (map[string]any, error) {
	out, err := c.m.Capabilities(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, proxy.ErrNoDeployment
	}
	return out, err
}

func (c *composeDeployments) HasBlueprint(ctx context.Context, id string) (bool, error) {
	_, err := c.m.st.GetBlueprint(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (c *composeDeployments) UploadBlueprint(ctx context.Context, id, path string) error {
	_, _, err := c.m.EnsureBlueprint(ctx, id, path)
	return err
}

func (c *composeDeployments) UploadBlueprintArchive(ctx context.Context, id string, archive []byte, mainFile string) error {
	_, _, err := c.m.ensureBlueprintArchive(ctx, id, archive, mainFile)
	return err
}

func (c *composeDeployments) DeleteBlueprint(ctx context.Context, id string) error {
	users, err := c.m.st.ListDeployments(ctx, id)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		ids := make([]string, len(users))
		for i, d := range users {
			ids[i] = d.ID
		}
		return fmt.Errorf("blueprint %s is used by deployments %s: %w", id, strings.Join(ids, ", "), compose.ErrInUse)
	}
	err = c.m.DeleteBlueprint(ctx, id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil
	case errors.Is(err, store.ErrInUse): // a deployment created since
		return fmt.Errorf("blueprint %s: %w", id, compose.ErrInUse)
	}
	return err
}

func (c *composeDeployments) CreateChild(ctx context.Context, parent, via, blueprintID, id string, inputs map[string]any) error {
	_, err := c.m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: id, BlueprintID: blueprintID, Inputs: inputs})
	if errors.Is(err, store.ErrExists) {
		adopt, aerr := c.ownChild(ctx, parent, via, blueprintID, id)
		if aerr != nil {
			return aerr
		}
		if !adopt {
			return fmt.Errorf("deployment %s: %w", id, compose.ErrExists)
		}
	} else if err != nil {
		return err
	}
	return c.AddDependency(ctx, parent, via, id)
}

// ownChild reports whether deployment id, which exists, is the child that
// an earlier run of the same operation created: the dependency of parent
// through via on it is recorded, or (a crash came between creating it and
// recording the dependency) it is of blueprintID, never ran a workflow and
// nothing depends on it.
func (c *composeDeployments) ownChild(ctx context.Context, parent, via, blueprintID, id string) (bool, error) {
	deps, err := c.m.st.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: id})
	if err != nil {
		return false, err
	}
	for _, d := range deps {
		if d.SourceDeploymentID == parent && d.Creator == via {
			return true, nil
		}
	}
	d, err := c.m.st.GetDeploymentRecord(ctx, id)
	if err != nil {
		return false, err
	}
	execs, err := c.m.st.ListExecutions(ctx, id)
	if err != nil {
		return false, err
	}
	return d.BlueprintID == blueprintID && len(execs) == 0 && len(deps) == 0, nil
}

func (c *composeDeployments) RunWorkflow(ctx context.Context, parent, via, id, wf string, params map[string]any, allowCustom bool) (string, error) {
	if wf == workflowUninstall {
		deps, err := c.m.st.ListDependencies(ctx, store.DependencyFilter{TargetDeploymentID: id})
		if err != nil {
			return "", err
		}
		for _, d := range deps {
			if d.SourceDeploymentID != parent || d.Creator != via {
				return "", c.m.checkNoDependents(ctx, id)
			}
		}
		p := make(map[string]any, len(params)+1)
		for k, v := range params {
			p[k] = v
		}
		p["force"] = true // only the parent depends on it: its dependency does not stop the uninstall
		params = p
	}
	req := api.StartRequest{DeploymentID: id, Workflow: wf, Parameters: params, Options: api.ExecOptions{AllowCustomParameters: allowCustom}}
	run, err := c.m.startWorkflow(context.WithValue(ctx, inProcessKey{}, true), req, nil, store.AfterNothing)
	if err != nil {
		return "", err
	}
	execID := run.Execution().ID
	rec, err := run.Wait(ctx)
	if ctx.Err() != nil {
		run.Cancel(false)
		select {
		case <-run.Done():
		case <-time.After(childCancelGrace):
		}
		return execID, fmt.Errorf("execution %s cancelled: %w", execID, ctx.Err())
	}
	if err != nil {
		return execID, err
	}
	if rec.Status != store.ExecutionTerminated {
		msg := rec.Error
		if msg == "" {
			msg = string(rec.Status)
		}
		return execID, errors.New(msg)
	}
	return execID, nil
}

func (c *composeDeployments) DeleteChild(ctx context.Context, parent, via, id string) error {
	if err := c.RemoveDependency(ctx, parent, via, id); err != nil {
		return err
	}
	err := c.m.DeleteDeployment(ctx, id, false)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		if perr := c.AddDependency(ctx, parent, via, id); perr != nil {
			return errors.Join(err, perr)
		}
	}
	return err
}

func (c *composeDeployments) PutSecret(ctx context.Context, key, value string) error {
	return c.m.PutSecret(ctx, &store.Secret{Key: key, Value: value}, true)
}

func (c *composeDeployments) CreateSecret(ctx context.Context, key, value string) error {
	err := c.m.PutSecret(ctx, &store.Secret{Key: key, Value: value}, false)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("secret %s: %w", key, compose.ErrExists)
	}
	return err
}

func (c *composeDeployments) HasSecret(ctx context.Context, key string) (bool, error) {
	_, err := c.m.GetSecret(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (c *composeDeployments) DeleteSecret(ctx context.Context, key string) error {
	err := c.m.DeleteSecret(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

func (c *composeDeployments) BlueprintOf(ctx context.Context, id string) (string, error) {
	d, err := c.m.st.GetDeploymentRecord(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return "", proxy.ErrNoDeployment
	}
	if err != nil {
		return "", err
	}
	return d.BlueprintID, nil
}

func (c *composeDeployments) InstanceStates(ctx context.Context, id string) (map[string]string, error) {
	insts, err := c.m.st.ListNodeInstances(ctx, id, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(insts))
	for _, ni := range insts {
		out[ni.ID] = string(ni.State)
	}
	return out, nil
}
