package workflow

import (
	"fmt"
	"sync"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// nodeProps evaluates runtime functions (get_secret, get_attribute, ...)
// in node properties for the operations that see them, so that e.g.
// `ssh_key: {get_secret: master_key}` reaches a plugin as the key itself.
// Nodes without such functions are passed through untouched; which nodes
// have them is worked out once per execution.
type nodeProps struct {
	mu  sync.Mutex
	has map[string]bool // node id -> properties hold runtime functions
}

func (np *nodeProps) needs(n *tosca.Node) bool {
	np.mu.Lock()
	defer np.mu.Unlock()
	if np.has == nil {
		np.has = map[string]bool{}
	}
	v, ok := np.has[n.ID]
	if !ok {
		v = tosca.HasRuntimeFunctions(n.Properties)
		np.has[n.ID] = v
	}
	return v
}

// evalNode returns n, or a copy of it whose properties are evaluated with
// SELF as instanceID.
func (r *run) evalNode(n *tosca.Node, instanceID string) (*tosca.Node, error) {
	if n == nil || !r.props.needs(n) {
		return n, nil
	}
	v, err := r.evaluate(n.Properties, tosca.EvalContext{Self: instanceID})
	if err != nil {
		return nil, plugins.NonRecoverable(fmt.Errorf("evaluate properties of node %s: %w", n.ID, err))
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, plugins.NonRecoverable(fmt.Errorf("evaluate properties of node %s: evaluator returned %T, not a mapping", n.ID, v))
	}
	c := *n
	c.Properties = m
	return &c, nil
}

// evalEndpoints evaluates the properties of every node an operation sees.
func (r *run) evalEndpoints(oc *plugins.Context) error {
	var err error
	if oc.Source != nil {
		if oc.Source.Node, err = r.evalNode(oc.Source.Node, oc.Source.Instance.ID); err != nil {
			return err
		}
		if oc.Target.Node, err = r.evalNode(oc.Target.Node, oc.Target.Instance.ID); err != nil {
			return err
		}
		if oc.Instance == oc.Target.Instance {
			oc.Node = oc.Target.Node
		} else {
			oc.Node = oc.Source.Node
		}
		return nil
	}
	oc.Node, err = r.evalNode(oc.Node, oc.Instance.ID)
	return err
}

// Where a host's address is kept: the Compute's runtime property, else its
// node property (Cloudify's ctx.instance.host_ip reads the same).
const hostIPKey = "ip"

// hostIP is the address of inst's host from the engine's live view: the
// host instance's ip runtime property, else its node's ip property.
func (r *run) hostIP(inst *tosca.NodeInstance) string {
	if inst == nil || inst.HostID == "" {
		return ""
	}
	if in := r.insts.get(inst.HostID); in != nil {
		if v, ok := in.runtime.Get(hostIPKey); ok {
			if s, ok := v.(string); ok && s != "" {
				return s
			}
		}
	}
	host, ok := r.topo.instances[inst.HostID]
	if !ok {
		return ""
	}
	if n := r.topo.nodes[host.NodeID]; n != nil {
		if s, ok := n.Properties[hostIPKey].(string); ok {
			return s
		}
	}
	return ""
}

// hostEndpoint is inst's host from the engine's live view: its node with
// runtime functions in its properties evaluated, and its live runtime
// properties (nil when inst has no host in the deployment).
func (r *run) hostEndpoint(inst *tosca.NodeInstance) (*plugins.Endpoint, error) {
	if inst == nil || inst.HostID == "" {
		return nil, nil
	}
	host, ok := r.topo.instances[inst.HostID]
	in := r.insts.get(inst.HostID)
	if !ok || in == nil {
		return nil, nil
	}
	node, err := r.evalNode(r.topo.nodes[host.NodeID], host.ID)
	if err != nil {
		return nil, err
	}
	return &plugins.Endpoint{Node: node, Instance: host, Runtime: in.runtime}, nil
}
