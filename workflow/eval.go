package workflow

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// CapabilityFunc reads a capability of another deployment (get_capability),
// walked by path with tosca.WalkPath. The manager's records the consumer's
// dependency on the provider.
type CapabilityFunc func(ctx context.Context, deploymentID, name string, path []any) (any, error)

// The engine evaluates every runtime function (get_attribute, get_secret,
// get_capability, and concat / merge over them) in operation inputs and
// node properties with the language's one evaluator, tosca.EvaluateRuntime,
// over liveView: the engine's live instance state (what its pending writes
// say, not the store), its secret lookup (every value handed out is
// redacted from events) and Config.Capability.

// liveView is the engine's view of the deployment, as tosca.EvaluateRuntime
// asks for it.
type liveView struct {
	ctx context.Context
	r   *run
}

var _ tosca.Resolver = liveView{}

func (v liveView) Attribute(instanceID string, path []any) (any, bool, error) {
	in := v.r.insts.get(instanceID)
	if in == nil {
		return nil, false, fmt.Errorf("node instance %q is not in the deployment", instanceID)
	}
	got, err := tosca.WalkPath(in.runtime.All(), path)
	if err != nil {
		return nil, false, nil
	}
	return got, true, nil
}

func (v liveView) Secret(key string) (string, error) { return v.r.secret(v.ctx, key) }

func (v liveView) Capability(deploymentID, name string, path []any) (any, error) {
	if v.r.cfg.Capability == nil {
		return nil, fmt.Errorf("get_capability %s of deployment %s: no capability lookup configured", name, deploymentID)
	}
	return v.r.cfg.Capability(v.ctx, deploymentID, name, path)
}

// evaluate evaluates the runtime functions in a copy of v for the
// instances ec names.
func (r *run) evaluate(v any, ec tosca.EvalContext) (any, error) {
	return tosca.EvaluateRuntime(r.req.Plan, plugins.DeepCopy(v), ec, liveView{ctx: r.forceCtx, r: r})
}
