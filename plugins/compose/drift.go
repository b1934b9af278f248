package compose

import (
	"context"
	"fmt"
	"reflect"
	"sort"

	"github.com/gantryhq/gantry/plugins"
)

// Keys of the drift check_drift returns (Cloudify's).
const (
	driftClient       = "client"
	driftCapabilities = "capabilities"
	driftDeployment   = "deployment"
	driftBlueprint    = "blueprint"
	stateStarted      = "started"
	workflowHeal      = "heal"
	paramHealInstance = "node_instance_id"
)

// drift compares what the instance stands for with what the store holds:
// a client configuration, capabilities that changed since they were
// copied, a deployment id or inputs that differ from resource_config, a
// blueprint id that differs. nil when nothing drifted.
func (p *Plugin) drift(ctx context.Context, op *plugins.Context, component bool) (map[string]any, error) {
	id := deploymentIDOf(op)
	out := map[string]any{}
	if !empty(mapOf(desired(op, propClient))) {
		out[driftClient] = true
	}
	caps, err := p.Deployments.Capabilities(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("deployment %s: %w", id, err)
	}
	had, _ := op.Runtime.Get(RuntimeCapabilities)
	if keys := changedKeys(caps, mapOf(had)); len(keys) > 0 {
		out[driftCapabilities] = keys
	}
	if component {
		dep := section(op, cfgDeployment)
		var d []any
		if spec := str(dep, keyID); spec != "" && spec != id && !boolean(dep, cfgAutoSuffix) {
			d = append(d, keyID)
		}
		if spec := mapOf(dep[cfgInputs]); len(spec) > 0 {
			in, err := p.Deployments.Inputs(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("deployment %s: %w", id, err)
			}
			if !reflect.DeepEqual(subset(in, spec), spec) {
				d = append(d, cfgInputs)
			}
		}
		if len(d) > 0 {
			out[driftDeployment] = d
		}
		if spec := str(section(op, cfgBlueprint), keyID); spec != "" {
			bp, err := p.Deployments.BlueprintOf(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("deployment %s: %w", id, err)
			}
			if bp != spec {
				out[driftBlueprint] = []any{keyID}
			}
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// subset is m restricted to the keys of like (the deployment's inputs
// also hold the defaults the spec leaves out).
func subset(m, like map[string]any) map[string]any {
	out := make(map[string]any, len(like))
	for k := range like {
		if v, ok := m[k]; ok {
			out[k] = v
		}
	}
	return out
}

// changedKeys lists the keys whose values differ between a and b, sorted.
func changedKeys(a, b map[string]any) []any {
	seen := map[string]bool{}
	var keys []string
	for _, m := range []map[string]any{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				if !reflect.DeepEqual(a[k], b[k]) {
					keys = append(keys, k)
				}
			}
		}
	}
	sort.Strings(keys)
	out := make([]any, len(keys))
	for i, k := range keys {
		out[i] = k
	}
	return out
}

// checkDrift (check_drift of Component and SharedResource) returns the
// drift, nil when there is none.
func (p *Plugin) checkDrift(ctx context.Context, op *plugins.Context, component bool) (any, error) {
	d, err := p.drift(ctx, op, component)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, nil
	}
	op.Log(plugins.LevelInfo, "deployment %s drifted: %v", deploymentIDOf(op), d)
	return d, nil
}

// heal (Component heal) heals every instance of the child that is not
// started, one `heal` workflow each (Gantry's heal reinstalls one
// instance's subgraph), then checks that the child is installed.
func (p *Plugin) heal(ctx context.Context, op *plugins.Context) error {
	id := deploymentIDOf(op)
	states, err := p.Deployments.InstanceStates(ctx, id)
	if err != nil {
		return plugins.NonRecoverable(fmt.Errorf("component deployment %s: %w", id, err))
	}
	ids := make([]string, 0, len(states))
	for ni, st := range states {
		if st != stateStarted {
			ids = append(ids, ni)
		}
	}
	sort.Strings(ids)
	for _, ni := range ids {
		execID, err := p.Deployments.RunWorkflow(ctx, op.DeploymentID, op.Instance.ID, id, workflowHeal, map[string]any{paramHealInstance: ni}, false)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return plugins.NonRecoverable(fmt.Errorf("component deployment %s: heal of %s (execution %s) failed: %w", id, ni, execID, err))
		}
		op.Log(plugins.LevelInfo, "healed %s of component deployment %s (execution %s)", ni, id, execID)
	}
	return p.refresh(ctx, op, id)
}

// update (Component update) applies no change Gantry can make in place:
// without drift it refreshes the capabilities; a client or deployment id
// drift is refused as Cloudify refuses it; new inputs or another
// blueprint need a deployment update of the child, which it refuses too.
func (p *Plugin) update(ctx context.Context, op *plugins.Context) error {
	id := deploymentIDOf(op)
	d, err := p.drift(ctx, op, true)
	if err != nil {
		return err
	}
	delete(d, driftCapabilities)
	if len(d) > 0 {
		return plugins.NonRecoverable(fmt.Errorf("update of component deployment %s is not available: it drifted (%v) and Gantry does not update a "+
			"component's deployment in place; uninstall and reinstall the component", id, d))
	}
	return p.refresh(ctx, op, id)
}
