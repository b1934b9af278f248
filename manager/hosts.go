package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/ssh"
	"github.com/gantryhq/gantry/tosca"
)

// hostTarget tells the remote script plugin how to reach the host of an
// operation's instance: the host instance's runtime `ip` (else the host
// node's `ip` property) and the host node's agent_config (user, key — a
// path or the key itself —, port, password, known_hosts,
// trust_on_first_use).
func (m *Manager) hostTarget(ctx context.Context, oc *plugins.Context) (ssh.Target, error) {
	var t ssh.Target
	hostID := oc.Instance.HostID
	host, err := m.st.GetNodeInstance(ctx, oc.DeploymentID, hostID)
	if err != nil {
		return t, fmt.Errorf("host %s of %s: %w", hostID, oc.Instance.ID, err)
	}
	node, err := m.planNode(ctx, oc.DeploymentID, host.NodeID)
	if err != nil {
		return t, err
	}
	if ip, ok := host.RuntimeProperties["ip"].(string); ok && ip != "" {
		t.Host = ip
	} else if ip, ok := node.Properties["ip"].(string); ok {
		t.Host = ip
	}
	if t.Host == "" {
		return t, plugins.NonRecoverable(fmt.Errorf("host %s of %s has no address: set the ip property of node %s (or its runtime property ip)", hostID, oc.Instance.ID, node.ID))
	}
	ac, _ := node.Properties["agent_config"].(map[string]any)
	if tosca.HasRuntimeFunctions(ac) {
		// e.g. key: {get_secret: host_key}
		r := &resolver{ctx: ctx, m: m,
			props:  func(id string) (map[string]any, error) { return m.instanceProps(ctx, oc.DeploymentID, id) },
			secret: m.secret}
		p, err := m.cachedPlan(ctx, oc.DeploymentID)
		if err != nil {
			return t, err
		}
		v, err := tosca.EvaluateRuntime(p, ac, tosca.EvalContext{Self: hostID}, r)
		if err != nil {
			return t, plugins.NonRecoverable(fmt.Errorf("host %s: agent_config: %w", hostID, err))
		}
		ac, _ = v.(map[string]any)
	}
	str := func(k string) string {
		if v, ok := ac[k]; ok && v != nil {
			return fmt.Sprint(v)
		}
		return ""
	}
	t.User = str("user")
	if t.User == "" {
		return t, plugins.NonRecoverable(fmt.Errorf("host %s: set agent_config.user on node %s (the SSH user)", hostID, node.ID))
	}
	if p := str("port"); p != "" {
		n, err := strconv.Atoi(strings.TrimSuffix(p, ".0"))
		if err != nil {
			return t, plugins.NonRecoverable(fmt.Errorf("host %s: agent_config.port %q is not a number", hostID, p))
		}
		t.Port = n
	}
	if key := str("key"); strings.Contains(key, "PRIVATE KEY-----") {
		t.KeyPEM = []byte(key)
	} else if key != "" {
		t.KeyFile = expandHome(key)
	}
	t.Password = str("password")
	if t.KeyFile == "" && t.KeyPEM == nil && t.Password == "" {
		t.UseAgent = true
	}
	t.KnownHostsFile = expandHome(str("known_hosts"))
	t.TrustOnFirstUse = str("trust_on_first_use") == "true"
	return t, nil
}

// cachedPlan returns a deployment's plan with its node instances, read once
// per manager (host lookups need it for every host_agent operation).
func (m *Manager) cachedPlan(ctx context.Context, deploymentID string) (*tosca.Plan, error) {
	m.mu.Lock()
	p := m.plans[deploymentID]
	m.mu.Unlock()
	if p != nil {
		return p, nil
	}
	d, _, err := m.deploymentWithInstances(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.plans == nil {
		m.plans = map[string]*tosca.Plan{}
	}
	m.plans[deploymentID] = d.Plan
	return d.Plan, nil
}

// instanceProps returns the stored runtime properties of an instance.
func (m *Manager) instanceProps(ctx context.Context, deploymentID, id string) (map[string]any, error) {
	ni, err := m.st.GetNodeInstance(ctx, deploymentID, id)
	if err != nil {
		return nil, err
	}
	return ni.RuntimeProperties, nil
}

// planNode returns a node of a deployment's plan.
func (m *Manager) planNode(ctx context.Context, deploymentID, nodeID string) (*tosca.Node, error) {
	p, err := m.cachedPlan(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	for _, n := range p.Nodes {
		if n.ID == nodeID {
			return n, nil
		}
	}
	return nil, fmt.Errorf("deployment %s has no node %s", deploymentID, nodeID)
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}
