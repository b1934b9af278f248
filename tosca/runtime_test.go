package tosca

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeResolver is an in-memory Resolver for unit tests.
type fakeResolver struct {
	attrs   map[string]map[string]any
	secrets map[string]string
	caps    map[string]any
}

var errNoSecret = errors.New("no such secret")

func (f *fakeResolver) Attribute(id string, path []any) (any, bool, error) {
	v, err := walkPath(f.attrs[id], path)
	if err != nil || v == nil {
		return nil, false, nil
	}
	return v, true, nil
}

func (f *fakeResolver) Secret(key string) (string, error) {
	s, ok := f.secrets[key]
	if !ok {
		return "", errNoSecret
	}
	return s, nil
}

func (f *fakeResolver) Capability(dep, name string, path []any) (any, error) {
	return walkPath(f.caps[dep+"."+name], path)
}

func runtimePlan() *Plan {
	return &Plan{
		Inputs: map[string]any{"port": 8080},
		Nodes: []*Node{
			{ID: "host", Properties: map[string]any{"ip": "10.0.0.1", "nested": map[string]any{"a": []any{1, 2}}}},
			{ID: "app", Properties: map[string]any{"port": 80},
				Relationships: []*Relationship{{Type: RelContainedIn, TargetID: "host", TypeHierarchy: []string{RelDependsOn, RelContainedIn}}}},
			{ID: "single", Properties: map[string]any{}},
		},
		NodeInstances: []*NodeInstance{
			{ID: "host_1", NodeID: "host", ScalingGroups: []ScalingGroupRef{{Name: "g", ID: "g_1"}}},
			{ID: "host_2", NodeID: "host", ScalingGroups: []ScalingGroupRef{{Name: "g", ID: "g_2"}}},
			{ID: "app_1", NodeID: "app", Relationships: []*InstanceRelationship{{Type: RelContainedIn, TargetName: "host", TargetID: "host_1"}}},
			{ID: "app_2", NodeID: "app", Relationships: []*InstanceRelationship{{Type: RelContainedIn, TargetName: "host", TargetID: "host_2"}}},
			{ID: "single_1", NodeID: "single"},
		},
	}
}

func TestEvaluateRuntime(t *testing.T) {
	p := runtimePlan()
	r := &fakeResolver{
		attrs: map[string]map[string]any{
			"host_1": {"ip": "192.168.0.1", "info": map[string]any{"url": "http://x:1"}},
			"host_2": {"ip": "192.168.0.2"},
			"app_1":  {"ready": true},
		},
		secrets: map[string]string{"pw": "s3cret", "json": `{"user": "bob"}`},
		caps:    map[string]any{"k8s.endpoint": map[string]any{"url": "http://k:8080"}},
	}
	tests := []struct {
		name string
		v    any
		ec   EvalContext
		want any
		err  error
	}{
		{"literal", map[string]any{"a": []any{1, "b"}}, EvalContext{}, map[string]any{"a": []any{1, "b"}}, nil},
		{"SELF attribute", map[string]any{"get_attribute": []any{"SELF", "ip"}}, EvalContext{Self: "host_2"}, "192.168.0.2", nil},
		{"nested attribute", map[string]any{"get_attribute": []any{"SELF", "info", "url"}}, EvalContext{Self: "host_1"}, "http://x:1", nil},
		{"fallback to property", map[string]any{"get_attribute": []any{"SELF", "nested", "a", 1}}, EvalContext{Self: "host_1"}, 2, nil},
		{"missing is nil", map[string]any{"get_attribute": []any{"SELF", "nope"}}, EvalContext{Self: "host_1"}, nil, nil},
		{"single instance by name", map[string]any{"get_attribute": []any{"single", "x"}}, EvalContext{}, nil, nil},
		{"by relationship", map[string]any{"get_attribute": []any{"host", "ip"}}, EvalContext{Self: "app_2"}, "192.168.0.2", nil},
		{"ambiguous", map[string]any{"get_attribute": []any{"host", "ip"}}, EvalContext{Self: "single_1"}, nil, ErrAmbiguousInstance},
		{"by scaling group", map[string]any{"get_attribute": []any{"app", "ready"}}, EvalContext{Self: "host_1"}, true, nil},
		{"SOURCE and TARGET", map[string]any{"concat": []any{map[string]any{"get_attribute": []any{"SOURCE", "ready"}}, "@", map[string]any{"get_attribute": []any{"TARGET", "ip"}}}},
			EvalContext{Source: "app_1", Target: "host_1"}, "true@192.168.0.1", nil},
		{"secret", map[string]any{"get_secret": "pw"}, EvalContext{}, "s3cret", nil},
		{"secret path", map[string]any{"get_secret": []any{"json", "user"}}, EvalContext{}, "bob", nil},
		{"missing secret", map[string]any{"get_secret": "nope"}, EvalContext{}, nil, errNoSecret},
		{"capability", map[string]any{"get_capability": []any{"k8s", "endpoint", "url"}}, EvalContext{}, "http://k:8080", nil},
		{"merge", map[string]any{"merge": []any{map[string]any{"a": 1}, map[string]any{"b": map[string]any{"get_input": "port"}}}}, EvalContext{}, map[string]any{"a": 1, "b": 8080}, nil},
		{"get_property SELF", map[string]any{"get_property": []any{"SELF", "port"}}, EvalContext{Self: "app_1"}, 80, nil},
		{"unknown node", map[string]any{"get_attribute": []any{"ghost", "ip"}}, EvalContext{}, nil, ErrFunction},
		{"SELF unavailable", map[string]any{"get_attribute": []any{"SELF", "ip"}}, EvalContext{}, nil, ErrNoInstance},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EvaluateRuntime(p, tc.v, tc.ec, r)
			if tc.err != nil {
				require.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestEvaluateRuntimeIndexFollowsInstances(t *testing.T) {
	p := runtimePlan()
	r := &fakeResolver{attrs: map[string]map[string]any{"single_1": {"v": 1}, "single_9": {"v": 9}}}
	v := map[string]any{"get_attribute": []any{"single", "v"}}
	got, err := EvaluateRuntime(p, v, EvalContext{}, r)
	require.NoError(t, err)
	assert.Equal(t, 1, got)
	// Scale: a new instance list; the cached index must not be reused.
	p.NodeInstances = append(p.NodeInstances[:4:4], &NodeInstance{ID: "single_9", NodeID: "single"})
	got, err = EvaluateRuntime(p, v, EvalContext{}, r)
	require.NoError(t, err)
	assert.Equal(t, 9, got)
}

func TestPrepareThenRuntime(t *testing.T) {
	bp, probs := Parse("testdata/plans/quagga.yaml", Options{})
	require.Empty(t, probs)
	plan, probs := bp.Prepare(map[string]any{"cluster_deployment": "k8s"})
	require.Empty(t, probs)
	plan.NodeInstances = []*NodeInstance{{ID: "kubernetes_proxy_1", NodeID: "kubernetes_proxy"}, {ID: "quagga_1", NodeID: "quagga"}}
	r := &fakeResolver{attrs: map[string]map[string]any{"kubernetes_proxy_1": {"kubernetes_info": map[string]any{"url": "http://10.1.1.1:8080"}}}}
	out, err := EvaluateRuntime(plan, plan.Outputs["master"].Value, EvalContext{}, r)
	require.NoError(t, err)
	assert.Equal(t, "http://10.1.1.1:8080", out)
	q := plan.Nodes[1]
	assert.Equal(t, "quagga", q.ID)
	cfg, err := EvaluateRuntime(plan, q.Properties["config"], EvalContext{Self: "quagga_1"}, r)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"env": "eth0", "url": "http://http://10.1.1.1:8080"}, cfg)
	create := plan.Nodes[0].Operations["create"]
	require.NotNil(t, create)
	assert.Equal(t, PluginProxy, create.Plugin)
	assert.Equal(t, OpProxyWait, create.Operation)
	assert.Equal(t, ExecutorCentral, create.Executor)
	assert.Equal(t, map[string]any{"deployment_id": "k8s"}, create.Inputs)
	assert.Equal(t, OpConnectMaster, q.Relationships[0].SourceOperations["postconfigure"].Operation)
	assert.Equal(t, -1, q.Properties["target_port"], "function default evaluated with SELF = the node")
	assert.Equal(t, "ubuntu", q.Properties["ssh_username"], "merge key from dsl_definitions")
}
