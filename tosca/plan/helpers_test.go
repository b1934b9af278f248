package plan

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// Test plans are built directly from tosca values, the way Prepare fills
// them: nodes with relationships (type hierarchies), host ids and
// scalable capabilities.

func mkNode(id string, n int, rels ...*tosca.Relationship) *tosca.Node {
	return &tosca.Node{
		ID: id, Name: id, Type: "test.nodes." + id,
		TypeHierarchy:    []string{tosca.TypeRoot, "test.nodes." + id},
		Relationships:    rels,
		Capabilities:     tosca.Scalable{MinInstances: 0, MaxInstances: -1, DefaultInstances: n, CurrentInstances: n, PlannedInstances: n},
		PlannedInstances: n,
	}
}

func mkHost(id string, n int, rels ...*tosca.Relationship) *tosca.Node {
	nd := mkNode(id, n, rels...)
	nd.Type = tosca.TypeCompute
	nd.TypeHierarchy = []string{tosca.TypeRoot, tosca.TypeCompute}
	return nd
}

func mkRel(kind, target string) *tosca.Relationship {
	hier := []string{tosca.RelDependsOn}
	switch kind {
	case "contained_in":
		hier = append(hier, tosca.RelContainedIn)
	case "connected_to":
		hier = []string{tosca.RelConnectedTo}
	}
	props := map[string]any{}
	if kind != "contained_in" {
		props["connection_type"] = AllToAll
	}
	return &tosca.Relationship{
		Type: hier[len(hier)-1], TargetID: target, TypeHierarchy: hier, Properties: props,
	}
}

func toOne(r *tosca.Relationship) *tosca.Relationship {
	r.Properties["connection_type"] = AllToOne
	return r
}

func mkGroup(n int, members ...string) *tosca.ScalingGroup {
	return &tosca.ScalingGroup{Members: members, Properties: tosca.Scalable{
		MinInstances: 0, MaxInstances: -1, DefaultInstances: n, CurrentInstances: n, PlannedInstances: n,
	}}
}

// mkPlan sets host ids the way the parser does: a Compute is its own
// host, other nodes inherit their contained_in target's host.
func mkPlan(nodes ...*tosca.Node) *tosca.Plan {
	p := &tosca.Plan{Nodes: nodes, ScalingGroups: map[string]*tosca.ScalingGroup{}, Groups: map[string]*tosca.Group{}}
	byID := map[string]*tosca.Node{}
	for _, n := range nodes {
		byID[n.ID] = n
	}
	var hostOf func(n *tosca.Node, depth int) string
	hostOf = func(n *tosca.Node, depth int) string {
		if n.IsA(tosca.TypeCompute) {
			return n.ID
		}
		if depth > len(nodes) {
			return ""
		}
		for _, r := range n.Relationships {
			if r.IsA(tosca.RelContainedIn) {
				if t := byID[r.TargetID]; t != nil {
					return hostOf(t, depth+1)
				}
			}
		}
		return ""
	}
	for _, n := range nodes {
		n.HostID = hostOf(n, 0)
	}
	return p
}

func expand(t *testing.T, p *tosca.Plan) *tosca.Plan {
	t.Helper()
	require.NoError(t, Expand(p, Options{Seed: 42}))
	return p
}

// byNode groups a plan's instances by node id.
func byNode(p *tosca.Plan) map[string][]*tosca.NodeInstance {
	out := map[string][]*tosca.NodeInstance{}
	for _, ni := range p.NodeInstances {
		out[ni.NodeID] = append(out[ni.NodeID], ni)
	}
	return out
}

func instByID(p *tosca.Plan) map[string]*tosca.NodeInstance {
	out := map[string]*tosca.NodeInstance{}
	for _, ni := range p.NodeInstances {
		out[ni.ID] = ni
	}
	return out
}

// targetsOf lists the target instance ids of ni's relationships to node.
func targetsOf(ni *tosca.NodeInstance, node string) []string {
	var out []string
	for _, r := range ni.Relationships {
		if r.TargetName == node {
			out = append(out, r.TargetID)
		}
	}
	return out
}

func counts(p *tosca.Plan) map[string]int {
	out := map[string]int{}
	for _, ni := range p.NodeInstances {
		out[ni.NodeID]++
	}
	return out
}
