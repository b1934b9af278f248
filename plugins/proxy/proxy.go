package proxy

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Name is the plugin name blueprints map operations to ("proxy.deployment.*").
const Name = tosca.PluginProxy

// Operation names (the part after "proxy.").
const (
	OpWait    = tosca.OpProxyWait
	OpInherit = tosca.OpProxyInherit
	OpCleanup = tosca.OpProxyCleanup
)

// Runtime properties the proxy writes.
const (
	RuntimeDeploymentID = "deployment_id"
	RuntimeInherited    = "inherited_outputs" // local names, for cleanup
	RuntimeInputs       = "proxy_deployment_inputs"
)

// Defaults when the node leaves timeout / poll_interval out.
const (
	DefaultTimeout      = 30 * time.Second
	DefaultPollInterval = 2 * time.Second
)

// Plugin is the DeploymentProxy plugin.
type Plugin struct {
	Deployments Deployments
	// Now is the clock (tests may replace it); nil means time.Now.
	Now func() time.Time
}

// Run dispatches one proxy operation.
func (p *Plugin) Run(ctx context.Context, op *plugins.Context) (any, error) {
	if p.Deployments == nil {
		return nil, plugins.NonRecoverable(errors.New("proxy plugin: no deployment store configured"))
	}
	switch op.Operation.Operation {
	case OpWait:
		return nil, p.wait(ctx, op)
	case OpInherit:
		return nil, p.inherit(ctx, op)
	case OpCleanup:
		return nil, p.cleanup(ctx, op)
	}
	return nil, plugins.NonRecoverable(fmt.Errorf("proxy plugin has no operation %q (known: %s, %s, %s)",
		op.Operation.Operation, OpWait, OpInherit, OpCleanup))
}

// targetID reads the deployment id: operation input first (blog-era
// blueprints), then the node property.
func targetID(op *plugins.Context) (string, error) {
	if v, ok := op.Inputs["deployment_id"].(string); ok && v != "" {
		return v, nil
	}
	if v, ok := op.Node.Properties["deployment_id"].(string); ok && v != "" {
		return v, nil
	}
	return "", plugins.NonRecoverable(fmt.Errorf("node %s: no deployment_id: set the property deployment_id "+
		"(or the create/start operation input deployment_id) to the deployment this proxy stands for", op.Node.ID))
}

func (p *Plugin) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// wait blocks until the target deployment is installed.
func (p *Plugin) wait(ctx context.Context, op *plugins.Context) error {
	id, err := targetID(op)
	if err != nil {
		return err
	}
	return WaitInstalled(ctx, p.Deployments, op, id, Wait{
		Timeout:  plugins.Seconds(op.Node.Properties["timeout"], DefaultTimeout),
		Interval: plugins.Seconds(op.Node.Properties["poll_interval"], DefaultPollInterval),
		Now:      p.now,
		Hint:     "raise the proxy's timeout property",
	})
}

// Wait tunes WaitInstalled.
type Wait struct {
	Timeout, Interval time.Duration
	// MustExist fails at once when the deployment does not exist (a
	// SharedResource) instead of waiting for it to appear (a proxy).
	MustExist bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Hint ends the timeout's message: how to wait longer.
	Hint string
}

// WaitInstalled blocks until deployment id's latest install terminated,
// then records the dependency of op's deployment (through op's instance)
// on it. It fails at once when that install failed or was cancelled, and
// after w.Timeout otherwise. The proxy and the SharedResource of
// plugins/compose share it.
func WaitInstalled(ctx context.Context, d Deployments, op *plugins.Context, id string, w Wait) error {
	now := w.Now
	if now == nil {
		now = time.Now
	}
	interval := w.Interval
	if interval <= 0 {
		interval = DefaultPollInterval
	}
	deadline := now().Add(w.Timeout)
	last := ""
	for {
		st, err := d.InstallStatus(ctx, id)
		switch {
		case errors.Is(err, ErrNoDeployment) && w.MustExist:
			return plugins.NonRecoverable(fmt.Errorf("node instance %s: deployment %q does not exist; create it first, or fix the deployment id", op.Instance.ID, id))
		case errors.Is(err, ErrNoDeployment):
			last = "it does not exist"
		case err != nil:
			return fmt.Errorf("node instance %s: reading deployment %s: %w", op.Instance.ID, id, err)
		case st.Installed:
			if err := d.AddDependency(ctx, op.DeploymentID, op.Instance.ID, id); err != nil {
				return fmt.Errorf("node instance %s: recording the dependency on %s: %w", op.Instance.ID, id, err)
			}
			op.Log(plugins.LevelInfo, "deployment %s is installed (execution %s)", id, st.ExecutionID)
			return nil
		case st.Workflow == "install" && (st.Status == "failed" || st.Status == "cancelled"):
			msg := fmt.Sprintf("deployment %s cannot be used: its install (execution %s) %s", id, st.ExecutionID, st.Status)
			if st.Error != "" {
				msg += ": " + st.Error
			}
			return plugins.NonRecoverable(errors.New(msg + "; resume or re-run that install, then resume this one"))
		case st.Workflow == "":
			last = "it was never installed"
		default:
			last = fmt.Sprintf("its latest %s is %s", st.Workflow, st.Status)
		}
		if !now().Before(deadline) {
			return plugins.NonRecoverable(fmt.Errorf("timed out after %s waiting for deployment %s to be installed (%s); "+
				"install it first, or %s", w.Timeout, id, last, w.Hint))
		}
		op.Log(plugins.LevelDebug, "waiting for deployment %s: %s", id, last)
		wait := interval
		if rem := deadline.Sub(now()); rem < wait {
			wait = rem
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// outputMapping reads inherit_outputs: a list of names, or a map of remote
// name to local name.
func outputMapping(v any) (map[string]string, error) {
	out := map[string]string{}
	switch m := v.(type) {
	case nil:
	case []any:
		for _, e := range m {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("inherit_outputs entries must be output names, got %v", e)
			}
			out[s] = s
		}
	case map[string]any:
		for k, e := range m {
			s, ok := e.(string)
			if !ok || s == "" {
				return nil, fmt.Errorf("inherit_outputs[%s] must be the local runtime property name, got %v", k, e)
			}
			out[k] = s
		}
	default:
		return nil, fmt.Errorf("inherit_outputs must be a list of names or a map of remote: local, got %T", v)
	}
	return out, nil
}

func (p *Plugin) inherit(ctx context.Context, op *plugins.Context) error {
	id, err := targetID(op)
	if err != nil {
		return err
	}
	mapping, err := outputMapping(op.Node.Properties["inherit_outputs"])
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("node %s: %w", op.Node.ID, err))
	}
	outputs, err := p.Deployments.Outputs(ctx, id)
	if errors.Is(err, ErrNoDeployment) {
		return plugins.NonRecoverable(fmt.Errorf("deployment %s no longer exists", id))
	}
	if err != nil {
		return fmt.Errorf("reading the outputs of deployment %s: %w", id, err)
	}
	remotes := make([]string, 0, len(mapping))
	for r := range mapping {
		remotes = append(remotes, r)
	}
	sort.Strings(remotes)
	var locals []any
	for _, r := range remotes {
		v, ok := outputs[r]
		if !ok {
			return plugins.NonRecoverable(fmt.Errorf("deployment %s has no output %q (it has: %s)", id, r, strings.Join(keys(outputs), ", ")))
		}
		if err := op.Runtime.Set(v, mapping[r]); err != nil {
			return err
		}
		locals = append(locals, mapping[r])
	}
	if err := op.Runtime.Set(id, RuntimeDeploymentID); err != nil {
		return err
	}
	if err := op.Runtime.Set(locals, RuntimeInherited); err != nil {
		return err
	}
	if b, _ := op.Node.Properties["inherit_inputs"].(bool); b {
		in, err := p.Deployments.Inputs(ctx, id)
		if err != nil {
			return fmt.Errorf("reading the inputs of deployment %s: %w", id, err)
		}
		if err := op.Runtime.Set(in, RuntimeInputs); err != nil {
			return err
		}
	}
	op.Log(plugins.LevelInfo, "inherited %d output(s) of deployment %s", len(remotes), id)
	return nil
}

func (p *Plugin) cleanup(ctx context.Context, op *plugins.Context) error {
	if v, ok := op.Runtime.Get(RuntimeInherited); ok {
		if names, ok := v.([]any); ok {
			for _, n := range names {
				if s, ok := n.(string); ok {
					if err := op.Runtime.Delete(s); err != nil {
						return err
					}
				}
			}
		}
	}
	id, _ := op.Runtime.Get(RuntimeDeploymentID)
	for _, k := range []string{RuntimeInherited, RuntimeInputs, RuntimeDeploymentID} {
		if err := op.Runtime.Delete(k); err != nil {
			return err
		}
	}
	target, _ := id.(string)
	if target == "" {
		target, _ = targetID(op)
	}
	if target != "" {
		if err := p.Deployments.RemoveDependency(ctx, op.DeploymentID, op.Instance.ID, target); err != nil {
			return fmt.Errorf("proxy %s: forgetting the dependency on %s: %w", op.Instance.ID, target, err)
		}
	}
	return nil
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}
