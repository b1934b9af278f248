package proxy

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// memDeployments is an in-memory Deployments for unit tests; the end-to-end
// tests use the real store.
type memDeployments struct {
	mu      sync.Mutex
	status  map[string]InstallStatus
	outputs map[string]map[string]any
	deps    map[string]bool
	calls   int
	// after n InstallStatus calls, status[id] becomes later[id]
	n     int
	later map[string]InstallStatus
}

func (m *memDeployments) InstallStatus(_ context.Context, id string) (InstallStatus, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	if m.later != nil && m.calls > m.n {
		if st, ok := m.later[id]; ok {
			m.status[id] = st
		}
	}
	st, ok := m.status[id]
	if !ok {
		return InstallStatus{}, ErrNoDeployment
	}
	return st, nil
}

func (m *memDeployments) Outputs(_ context.Context, id string) (map[string]any, error) {
	o, ok := m.outputs[id]
	if !ok {
		return nil, ErrNoDeployment
	}
	return o, nil
}

func (m *memDeployments) Inputs(context.Context, string) (map[string]any, error) {
	return map[string]any{"x": 1}, nil
}

func (m *memDeployments) AddDependency(_ context.Context, from, via, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.deps[from+"/"+via+"->"+to] = true
	return nil
}

func (m *memDeployments) RemoveDependency(_ context.Context, from, via, to string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.deps, from+"/"+via+"->"+to)
	return nil
}

func opCtx(op string, props map[string]any, inputs map[string]any, rt *plugins.MapRuntime) *plugins.Context {
	return &plugins.Context{
		DeploymentID: "router",
		Operation:    &tosca.Operation{Plugin: Name, Operation: op},
		Inputs:       inputs,
		Node:         &tosca.Node{ID: "kubernetes_proxy", Properties: props},
		Instance:     &tosca.NodeInstance{ID: "kubernetes_proxy_abc123", NodeID: "kubernetes_proxy"},
		Runtime:      rt,
	}
}

func TestProxyLifecycle(t *testing.T) {
	d := &memDeployments{
		status:  map[string]InstallStatus{"k8s": {Workflow: "install", Status: "started"}},
		later:   map[string]InstallStatus{"k8s": {Installed: true, Workflow: "install", Status: "terminated", ExecutionID: "e1"}},
		n:       2,
		outputs: map[string]map[string]any{"k8s": {"kubernetes_info": map[string]any{"url": "https://127.0.0.1:6443"}, "other": 1}},
		deps:    map[string]bool{},
	}
	p := &Plugin{Deployments: d}
	rt := plugins.NewMapRuntime(nil, nil, nil)
	props := map[string]any{"inherit_outputs": []any{"kubernetes_info"}, "timeout": 5, "poll_interval": 0.01}
	inputs := map[string]any{"deployment_id": "k8s"}

	_, err := p.Run(context.Background(), opCtx(OpWait, props, inputs, rt))
	require.NoError(t, err)
	require.Equal(t, 3, d.calls, "waited until the install terminated")
	require.True(t, d.deps["router/kubernetes_proxy_abc123->k8s"], "dependency recorded")

	_, err = p.Run(context.Background(), opCtx(OpInherit, props, inputs, rt))
	require.NoError(t, err)
	v, ok := rt.Get("kubernetes_info", "url")
	require.True(t, ok)
	require.Equal(t, "https://127.0.0.1:6443", v)
	_, ok = rt.Get("other")
	require.False(t, ok, "only the listed outputs are inherited")

	_, err = p.Run(context.Background(), opCtx(OpCleanup, props, inputs, rt))
	require.NoError(t, err)
	require.Empty(t, rt.All())
	require.Empty(t, d.deps)
}

func TestProxyInheritMapRenames(t *testing.T) {
	d := &memDeployments{status: map[string]InstallStatus{}, deps: map[string]bool{},
		outputs: map[string]map[string]any{"k8s": {"kubernetes_info": "x"}}}
	rt := plugins.NewMapRuntime(nil, nil, nil)
	props := map[string]any{"deployment_id": "k8s", "inherit_outputs": map[string]any{"kubernetes_info": "cluster"}}
	_, err := (&Plugin{Deployments: d}).Run(context.Background(), opCtx(OpInherit, props, nil, rt))
	require.NoError(t, err)
	v, _ := rt.Get("cluster")
	require.Equal(t, "x", v)
}

func TestProxyFailures(t *testing.T) {
	tests := []struct {
		name    string
		status  map[string]InstallStatus
		props   map[string]any
		inputs  map[string]any
		op      string
		want    string
		maxWait time.Duration
	}{
		{"no deployment id", nil, map[string]any{}, nil, OpWait, "no deployment_id", time.Second},
		{"install failed fails fast", map[string]InstallStatus{"k8s": {Workflow: "install", Status: "failed", ExecutionID: "e9", Error: "boom"}},
			map[string]any{"deployment_id": "k8s", "timeout": 60}, nil, OpWait, "its install (execution e9) failed: boom", time.Second},
		{"install cancelled fails fast", map[string]InstallStatus{"k8s": {Workflow: "install", Status: "cancelled", ExecutionID: "e9"}},
			map[string]any{"deployment_id": "k8s", "timeout": 60}, nil, OpWait, "cancelled", time.Second},
		{"missing deployment times out", map[string]InstallStatus{},
			map[string]any{"deployment_id": "nope", "timeout": 0.3, "poll_interval": 0.05}, nil, OpWait, "timed out after 300ms waiting for deployment nope to be installed (it does not exist)", 2 * time.Second},
		{"missing output", map[string]InstallStatus{},
			map[string]any{"deployment_id": "k8s", "inherit_outputs": []any{"nope"}}, nil, OpInherit, `has no output "nope" (it has: kubernetes_info)`, time.Second},
		{"unknown op", nil, map[string]any{}, nil, "deployment.frobnicate", "no operation", time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &memDeployments{status: tt.status, deps: map[string]bool{},
				outputs: map[string]map[string]any{"k8s": {"kubernetes_info": "x"}}}
			if d.status == nil {
				d.status = map[string]InstallStatus{}
			}
			start := time.Now()
			_, err := (&Plugin{Deployments: d}).Run(context.Background(), opCtx(tt.op, tt.props, tt.inputs, plugins.NewMapRuntime(nil, nil, nil)))
			require.Error(t, err)
			require.True(t, plugins.IsNonRecoverable(err), "%v should be non-recoverable", err)
			require.Contains(t, err.Error(), tt.want)
			require.Less(t, time.Since(start), tt.maxWait)
		})
	}
}
