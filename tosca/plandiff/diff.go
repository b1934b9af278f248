package plandiff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/tosca"
)

// Kind says how an entity changed.
type Kind string

// Kinds of change.
const (
	Added    Kind = "added"
	Removed  Kind = "removed"
	Modified Kind = "modified"
)

// Change is the difference between two plans. Empty lists: no change.
type Change struct {
	Nodes         []NodeChange         `json:"nodes"`
	Relationships []RelationshipChange `json:"relationships"`
	Inputs        []EntryChange        `json:"inputs"`
	Outputs       []EntryChange        `json:"outputs"`
	Capabilities  []EntryChange        `json:"capabilities"`
	Workflows     []EntryChange        `json:"workflows"`
}

// Empty reports whether the plans do not differ.
func (c *Change) Empty() bool {
	return len(c.Nodes) == 0 && len(c.Relationships) == 0 && len(c.Inputs) == 0 &&
		len(c.Outputs) == 0 && len(c.Capabilities) == 0 && len(c.Workflows) == 0
}

// NodeChange is a node added, removed or modified. For a modified node the
// fields below say what changed (a relationship change is listed in
// Change.Relationships, not here).
type NodeChange struct {
	Node string `json:"node"`
	Kind Kind   `json:"change"`
	// Type: the node's type before and after, when it changed.
	Type []string `json:"type,omitempty"`
	// Properties and Operations name what was added, removed or changed.
	Properties []string `json:"properties,omitempty"`
	Operations []string `json:"operations,omitempty"`
	// Instances: the default instance count before and after, when it changed.
	Instances []int `json:"instances,omitempty"`
}

// Reinstallable reports whether the change is one Cloudify 5+ reinstalls
// the node's instances for: its type, properties or operations changed.
func (n NodeChange) Reinstallable() bool {
	return n.Kind == Modified && (len(n.Type) > 0 || len(n.Properties) > 0 || len(n.Operations) > 0)
}

// RelationshipChange is a relationship of a source node added, removed or
// modified (its properties or operations changed).
type RelationshipChange struct {
	Source string `json:"source"`
	Target string `json:"target"`
	Type   string `json:"type"`
	Kind   Kind   `json:"change"`
	// Properties and Operations name what changed ("source:OP" / "target:OP").
	Properties []string `json:"properties,omitempty"`
	Operations []string `json:"operations,omitempty"`
}

// EntryChange is a named input, output, capability or workflow added,
// removed or modified.
type EntryChange struct {
	Name string `json:"name"`
	Kind Kind   `json:"change"`
}

// Diff returns what changes from plan old to plan new.
func Diff(old, new *tosca.Plan) (*Change, error) {
	if old == nil || new == nil {
		return nil, fmt.Errorf("diff: %w", ErrNoPlan)
	}
	c := &Change{Nodes: []NodeChange{}, Relationships: []RelationshipChange{}}
	oldNodes, newNodes := nodeIndex(old), nodeIndex(new)
	for _, id := range unionKeys(oldNodes, newNodes) {
		o, n := oldNodes[id], newNodes[id]
		switch {
		case o == nil:
			c.Nodes = append(c.Nodes, NodeChange{Node: id, Kind: Added})
		case n == nil:
			c.Nodes = append(c.Nodes, NodeChange{Node: id, Kind: Removed})
		default:
			if nc := diffNode(o, n); nc != nil {
				c.Nodes = append(c.Nodes, *nc)
			}
		}
		c.Relationships = append(c.Relationships, diffRelationships(id, o, n)...)
	}
	c.Inputs = diffEntries(old.Inputs, new.Inputs)
	c.Outputs = diffEntries(old.Outputs, new.Outputs)
	c.Capabilities = diffEntries(old.Capabilities, new.Capabilities)
	c.Workflows = diffEntries(old.Workflows, new.Workflows)
	return c, nil
}

func nodeIndex(p *tosca.Plan) map[string]*tosca.Node {
	m := make(map[string]*tosca.Node, len(p.Nodes))
	for _, n := range p.Nodes {
		if n != nil {
			m[n.ID] = n
		}
	}
	return m
}

func diffNode(o, n *tosca.Node) *NodeChange {
	nc := &NodeChange{Node: o.ID, Kind: Modified}
	if o.Type != n.Type {
		nc.Type = []string{o.Type, n.Type}
	}
	nc.Properties = changedKeys(o.Properties, n.Properties)
	nc.Operations = changedOps("", o.Operations, n.Operations)
	if oc, ncnt := instanceCount(o), instanceCount(n); oc != ncnt {
		nc.Instances = []int{oc, ncnt}
	}
	if len(nc.Type) == 0 && len(nc.Properties) == 0 && len(nc.Operations) == 0 && len(nc.Instances) == 0 {
		return nil
	}
	return nc
}

// instanceCount is a node's default instance count.
func instanceCount(n *tosca.Node) int {
	if n.Capabilities.DefaultInstances != 0 || n.PlannedInstances == 0 {
		return n.Capabilities.DefaultInstances
	}
	return n.PlannedInstances
}

// relKey identifies a relationship of a source node.
type relKey struct{ target, typ string }

// diffRelationships compares the relationships of one source node (o or n
// nil when the node was added or removed).
func diffRelationships(source string, o, n *tosca.Node) []RelationshipChange {
	var olds, news []*tosca.Relationship
	if o != nil {
		olds = o.Relationships
	}
	if n != nil {
		news = n.Relationships
	}
	pending := map[relKey][]*tosca.Relationship{}
	for _, r := range olds {
		if r != nil {
			k := relKey{r.TargetID, r.Type}
			pending[k] = append(pending[k], r)
		}
	}
	var out []RelationshipChange
	for _, r := range news {
		if r == nil {
			continue
		}
		k := relKey{r.TargetID, r.Type}
		if len(pending[k]) == 0 {
			out = append(out, RelationshipChange{Source: source, Target: r.TargetID, Type: r.Type, Kind: Added})
			continue
		}
		before := pending[k][0]
		pending[k] = pending[k][1:]
		props := changedKeys(before.Properties, r.Properties)
		ops := append(changedOps("source:", before.SourceOperations, r.SourceOperations), changedOps("target:", before.TargetOperations, r.TargetOperations)...)
		if len(props) > 0 || len(ops) > 0 {
			out = append(out, RelationshipChange{Source: source, Target: r.TargetID, Type: r.Type, Kind: Modified, Properties: props, Operations: ops})
		}
	}
	for _, r := range olds {
		if r == nil {
			continue
		}
		k := relKey{r.TargetID, r.Type}
		if l := pending[k]; len(l) > 0 && l[0] == r {
			pending[k] = l[1:]
			out = append(out, RelationshipChange{Source: source, Target: r.TargetID, Type: r.Type, Kind: Removed})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Target != b.Target {
			return a.Target < b.Target
		}
		return a.Type < b.Type
	})
	return out
}

// changedKeys names the keys added, removed or changed between two maps.
func changedKeys[V any](o, n map[string]V) []string {
	var out []string
	for _, k := range unionKeys(o, n) {
		ov, inO := o[k]
		nv, inN := n[k]
		if inO != inN || !sameJSON(ov, nv) {
			out = append(out, k)
		}
	}
	return out
}

// changedOps names the operations (full names only) that differ; a
// missing operation equals a NO-OP.
func changedOps(prefix string, o, n map[string]*tosca.Operation) []string {
	var out []string
	for _, k := range unionKeys(o, n) {
		if !strings.Contains(k, ".") {
			continue // the short alias of an interface.operation
		}
		ov, nv := o[k], n[k]
		if ov.IsNoop() && nv.IsNoop() {
			continue
		}
		if ov.IsNoop() != nv.IsNoop() || !sameJSON(ov, nv) {
			out = append(out, prefix+k)
		}
	}
	return out
}

// diffEntries compares two maps of named entries.
func diffEntries[V any](o, n map[string]V) []EntryChange {
	out := []EntryChange{}
	for _, k := range unionKeys(o, n) {
		ov, inO := o[k]
		nv, inN := n[k]
		switch {
		case !inO:
			out = append(out, EntryChange{Name: k, Kind: Added})
		case !inN:
			out = append(out, EntryChange{Name: k, Kind: Removed})
		case !sameJSON(ov, nv):
			out = append(out, EntryChange{Name: k, Kind: Modified})
		}
	}
	return out
}

// sameJSON compares two values by their JSON form (map keys sorted).
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	return bytes.Equal(ja, jb)
}

func unionKeys[V any](a, b map[string]V) []string {
	out := make([]string, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}
