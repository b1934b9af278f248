package workflow

import (
	"context"
	"fmt"
	"strconv"

	"github.com/gantryhq/gantry/tosca"
)

// CapabilityFunc reads a capability of another deployment (get_capability).
type CapabilityFunc func(ctx context.Context, deploymentID, name string, path []any) (any, error)

// ToscaEvaluator returns the standard EvalFunc: tosca.EvaluateRuntime over
// the engine's live instance state and secrets. capability may be nil
// (get_capability then fails with a clear error). The engine uses it when
// Config.Evaluate is nil.
func ToscaEvaluator(capability CapabilityFunc) EvalFunc {
	return func(ctx context.Context, p *tosca.Plan, v any, scope EvalScope) (any, error) {
		r := toscaResolver{ctx: ctx, r: scope.Resolver, capability: capability}
		return tosca.EvaluateRuntime(p, v, tosca.EvalContext{Self: scope.Self, Source: scope.Source, Target: scope.Target}, r)
	}
}

// toscaResolver adapts a Resolver to tosca.Resolver.
type toscaResolver struct {
	ctx        context.Context
	r          Resolver
	capability CapabilityFunc
}

func (t toscaResolver) Attribute(instanceID string, path []any) (any, bool, error) {
	props, err := t.r.RuntimeProperties(instanceID)
	if err != nil {
		return nil, false, err
	}
	var cur any = props
	for _, p := range path {
		switch c := cur.(type) {
		case map[string]any:
			k, ok := p.(string)
			if !ok {
				return nil, false, nil
			}
			v, ok := c[k]
			if !ok {
				return nil, false, nil
			}
			cur = v
		case []any:
			i, ok := index(p)
			if !ok || i < 0 || i >= len(c) {
				return nil, false, nil
			}
			cur = c[i]
		default:
			return nil, false, nil
		}
	}
	return cur, true, nil
}

func index(p any) (int, bool) {
	switch n := p.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		return int(n), n == float64(int(n))
	case string:
		i, err := strconv.Atoi(n)
		return i, err == nil
	}
	return 0, false
}

func (t toscaResolver) Secret(key string) (string, error) { return t.r.Secret(t.ctx, key) }

func (t toscaResolver) Capability(deploymentID, name string, path []any) (any, error) {
	if t.capability == nil {
		return nil, fmt.Errorf("get_capability %s of deployment %s: no capability lookup configured", name, deploymentID)
	}
	return t.capability(t.ctx, deploymentID, name, path)
}
