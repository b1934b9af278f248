package manager

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/gantryhq/gantry/plugins/proxy"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/workflow"
)

// capability serves get_capability to the engine's evaluator for an
// execution of deployment consumer: the provider's capabilities as
// outputs are read, walked by path. It records a dependency of consumer on
// the provider (once per execution), as a DeploymentProxy does, so the
// provider is not uninstalled or deleted under its consumer.
func (m *Manager) capability(consumer string) workflow.CapabilityFunc {
	deps := &capabilityDeps{recorded: map[string]bool{}}
	return func(ctx context.Context, deploymentID, name string, path []any) (any, error) {
		r := &resolver{ctx: ctx, m: m, consumer: consumer, deps: deps}
		return r.Capability(deploymentID, name, path)
	}
}

// capabilityCreator prefixes the creator of a dependency that get_capability
// records: capabilityCreator + provider + "." + capability name.
const capabilityCreator = "get_capability:"

// capabilityDeps remembers the dependencies an execution recorded.
type capabilityDeps struct {
	mu       sync.Mutex
	recorded map[string]bool // creators
}

// record stores the dependency of consumer on provider through capability
// name, unless this execution did already.
func (d *capabilityDeps) record(ctx context.Context, st store.Store, consumer, provider, name string) error {
	creator := capabilityCreator + provider + "." + name
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.recorded[creator] {
		return nil
	}
	if err := st.PutDependency(ctx, &store.Dependency{SourceDeploymentID: consumer, TargetDeploymentID: provider, Creator: creator}); err != nil {
		return fmt.Errorf("get_capability %s.%s: recording the dependency of %s: %w", provider, name, consumer, err)
	}
	d.recorded[creator] = true
	return nil
}

// secret is the plugins' secret lookup.
func (m *Manager) secret(ctx context.Context, key string) (string, error) {
	s, err := m.st.GetSecret(ctx, key)
	if err != nil {
		return "", err
	}
	return s.Value, nil
}

// resolver answers tosca.EvaluateRuntime's questions about the stored
// state, for outputs and capabilities read outside any execution (an
// execution evaluates over the engine's live view instead); props are
// the stored runtime properties by instance id.
type resolver struct {
	ctx   context.Context
	m     *Manager
	props map[string]map[string]any
	depth int
	// consumer is the deployment whose execution evaluates (empty when
	// outputs are read); deps records its get_capability dependencies.
	consumer string
	deps     *capabilityDeps
}

func (r *resolver) Attribute(instanceID string, path []any) (any, bool, error) {
	v, err := tosca.WalkPath(r.props[instanceID], path)
	return v, err == nil, nil
}

func (r *resolver) Secret(key string) (string, error) {
	return r.m.secret(r.ctx, key)
}

func (r *resolver) Capability(deploymentID, name string, path []any) (any, error) {
	if r.depth > 8 {
		return nil, fmt.Errorf("get_capability %s.%s: capabilities refer to each other more than 8 deep", deploymentID, name)
	}
	caps, err := r.m.evaluateOutputs(r.ctx, deploymentID, true, r.depth+1)
	if err != nil {
		return nil, fmt.Errorf("get_capability %s.%s: %w", deploymentID, name, err)
	}
	v, ok := caps[name]
	if !ok {
		return nil, fmt.Errorf("get_capability: deployment %s has no capability %q", deploymentID, name)
	}
	if r.deps != nil && r.consumer != "" && r.consumer != deploymentID {
		if err := r.deps.record(r.ctx, r.m.st, r.consumer, deploymentID, name); err != nil {
			return nil, err
		}
	}
	out, err := tosca.WalkPath(v, path)
	if err != nil {
		return nil, fmt.Errorf("get_capability: deployment %s capability %q: %w", deploymentID, name, err)
	}
	return out, nil
}

// Outputs evaluates a deployment's outputs against its runtime state.
func (m *Manager) Outputs(ctx context.Context, deploymentID string) (map[string]any, error) {
	return m.evaluateOutputs(ctx, deploymentID, false, 0)
}

// Capabilities evaluates a deployment's capabilities against its runtime state.
func (m *Manager) Capabilities(ctx context.Context, deploymentID string) (map[string]any, error) {
	return m.evaluateOutputs(ctx, deploymentID, true, 0)
}

func (m *Manager) evaluateOutputs(ctx context.Context, deploymentID string, capabilities bool, depth int) (map[string]any, error) {
	d, insts, err := m.deploymentWithInstances(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	props := make(map[string]map[string]any, len(insts))
	for _, ni := range insts {
		props[ni.ID] = ni.RuntimeProperties
	}
	r := &resolver{ctx: ctx, m: m, depth: depth, props: props}
	defs := d.Plan.Outputs
	if capabilities {
		defs = d.Plan.Capabilities
	}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make(map[string]any, len(defs))
	var errs []error
	for _, n := range names {
		v, err := tosca.EvaluateRuntime(d.Plan, defs[n].Value, tosca.EvalContext{}, r)
		if err != nil {
			errs = append(errs, fmt.Errorf("output %s: %w", n, err))
			continue
		}
		out[n] = v
	}
	return out, errors.Join(errs...)
}

// proxyDeployments is the DeploymentProxy plugin's view of the store.
type proxyDeployments struct{ m *Manager }

var _ proxy.Deployments = (*proxyDeployments)(nil)

func (p *proxyDeployments) InstallStatus(ctx context.Context, id string) (proxy.InstallStatus, error) {
	if _, err := p.m.st.GetDeploymentRecord(ctx, id); errors.Is(err, store.ErrNotFound) {
		return proxy.InstallStatus{}, proxy.ErrNoDeployment
	} else if err != nil {
		return proxy.InstallStatus{}, err
	}
	execs, err := p.m.ListExecutions(ctx, id) // reaped
	if err != nil {
		return proxy.InstallStatus{}, err
	}
	for i := len(execs) - 1; i >= 0; i-- {
		e := execs[i]
		if e.DryRun || (e.WorkflowID != workflowInstall && e.WorkflowID != workflowUninstall) {
			continue
		}
		return proxy.InstallStatus{
			Installed:   e.WorkflowID == workflowInstall && e.Status == store.ExecutionTerminated,
			ExecutionID: e.ID, Workflow: e.WorkflowID, Status: string(e.Status), Error: e.Error,
		}, nil
	}
	return proxy.InstallStatus{}, nil
}

func (p *proxyDeployments) Outputs(ctx context.Context, id string) (map[string]any, error) {
	out, err := p.m.Outputs(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, proxy.ErrNoDeployment
	}
	return out, err
}

func (p *proxyDeployments) Inputs(ctx context.Context, id string) (map[string]any, error) {
	d, err := p.m.st.GetDeploymentRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	return d.Inputs, nil
}

func (p *proxyDeployments) AddDependency(ctx context.Context, from, via, to string) error {
	return p.m.st.PutDependency(ctx, &store.Dependency{SourceDeploymentID: from, TargetDeploymentID: to, Creator: via})
}

func (p *proxyDeployments) RemoveDependency(ctx context.Context, from, via, _ string) error {
	err := p.m.st.DeleteDependency(ctx, from, via)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}
