package tosca

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// This file holds the compact plan JSON (docs/plan-json.md): the Plan with
// every operation map written once in OperationSets and referred to by its
// index, and without the names that repeat ids. Cloudify's plan shape
// repeats a relationship type's whole operation maps in every relationship
// (45 MB for 1,000 nodes of 10 dependencies each); the compact plan of the
// same deployment is a few MB.

// CompactFormat is the value of CompactPlan.Format.
const CompactFormat = "gantry.plan.compact/1"

// CompactPlan is a Plan as `gantry blueprints plan --json` prints it. Every
// field not named here is the Plan's, with the same JSON key and value.
type CompactPlan struct {
	Format      string                  `json:"format"` // CompactFormat
	Version     string                  `json:"version"`
	Description string                  `json:"description,omitempty"`
	Metadata    map[string]any          `json:"metadata,omitempty"`
	Inputs      map[string]any          `json:"inputs"`
	InputDefs   map[string]*PropertyDef `json:"input_definitions"`
	// OperationSets are the distinct operation maps of the plan; nodes and
	// relationships hold an index into it.
	OperationSets []map[string]*Operation  `json:"operation_sets"`
	Nodes         []*CompactNode           `json:"nodes"`
	NodeInstances []*CompactNodeInstance   `json:"node_instances"`
	Outputs       map[string]*Output       `json:"outputs"`
	Capabilities  map[string]*Output       `json:"capabilities,omitempty"`
	Workflows     map[string]*Workflow     `json:"workflows"`
	Groups        map[string]*Group        `json:"groups"`
	ScalingGroups map[string]*ScalingGroup `json:"scaling_groups"`
	Policies      map[string]*Policy       `json:"policies,omitempty"`
	Plugins       map[string]*Plugin       `json:"plugins,omitempty"`
	Labels        map[string][]any         `json:"labels,omitempty"`
	BlueprintDir  string                   `json:"blueprint_dir,omitempty"`
	MainFile      string                   `json:"main_file,omitempty"`
	// NamespacesMapping: Plan.NamespacesMapping.
	NamespacesMapping map[string]string `json:"namespaces_mapping,omitempty"`
}

// CompactNode is a Node without Name (its ID) and with Operations an index
// into CompactPlan.OperationSets.
type CompactNode struct {
	ID               string                 `json:"id"`
	Type             string                 `json:"type"`
	TypeHierarchy    []string               `json:"type_hierarchy"`
	Properties       map[string]any         `json:"properties"`
	Operations       int                    `json:"operations"`
	Relationships    []*CompactRelationship `json:"relationships"`
	HostID           string                 `json:"host_id,omitempty"`
	Plugins          []*Plugin              `json:"plugins,omitempty"`
	PluginsToInstall []*Plugin              `json:"plugins_to_install,omitempty"`
	Capabilities     Scalable               `json:"capabilities"`
	PlannedInstances int                    `json:"planned_instances"`
}

// CompactRelationship is a Relationship whose operation maps are indexes
// into CompactPlan.OperationSets.
type CompactRelationship struct {
	Type             string         `json:"type"`
	TargetID         string         `json:"target_id"`
	TypeHierarchy    []string       `json:"type_hierarchy"`
	Properties       map[string]any `json:"properties"`
	SourceOperations int            `json:"source_operations"`
	TargetOperations int            `json:"target_operations"`
}

// CompactNodeInstance is a NodeInstance without Name (its ID).
type CompactNodeInstance struct {
	ID            string                  `json:"id"`
	NodeID        string                  `json:"node_id"`
	HostID        string                  `json:"host_id,omitempty"`
	Relationships []*InstanceRelationship `json:"relationships"`
	ScalingGroups []ScalingGroupRef       `json:"scaling_groups,omitempty"`
}

// Compact returns p in the compact form. It shares p's values: treat both
// as read-only. Operation maps are told apart by identity first (the plan
// shares one map per type where it can) and then by content, so equal maps
// are written once however the plan was built.
func (p *Plan) Compact() *CompactPlan {
	c := &CompactPlan{
		Format: CompactFormat, Version: p.Version, Description: p.Description, Metadata: p.Metadata,
		Inputs: p.Inputs, InputDefs: p.InputDefs, Outputs: p.Outputs, Capabilities: p.Capabilities,
		Workflows: p.Workflows, Groups: p.Groups, ScalingGroups: p.ScalingGroups, Policies: p.Policies,
		Plugins: p.Plugins, Labels: p.Labels, BlueprintDir: p.BlueprintDir, MainFile: p.MainFile, NamespacesMapping: p.NamespacesMapping,
		OperationSets: []map[string]*Operation{},
		Nodes:         make([]*CompactNode, len(p.Nodes)),
		NodeInstances: make([]*CompactNodeInstance, len(p.NodeInstances)),
	}
	sets := opSetIndex{byMap: map[uintptr]int{}, byJSON: map[string]int{}, c: c}
	for i, n := range p.Nodes {
		cn := &CompactNode{
			ID: n.ID, Type: n.Type, TypeHierarchy: n.TypeHierarchy, Properties: n.Properties,
			Operations: sets.ref(n.Operations), HostID: n.HostID, Plugins: n.Plugins,
			PluginsToInstall: n.PluginsToInstall, Capabilities: n.Capabilities, PlannedInstances: n.PlannedInstances,
			Relationships: make([]*CompactRelationship, len(n.Relationships)),
		}
		for j, r := range n.Relationships {
			cn.Relationships[j] = &CompactRelationship{
				Type: r.Type, TargetID: r.TargetID, TypeHierarchy: r.TypeHierarchy, Properties: r.Properties,
				SourceOperations: sets.ref(r.SourceOperations), TargetOperations: sets.ref(r.TargetOperations),
			}
		}
		c.Nodes[i] = cn
	}
	for i, ni := range p.NodeInstances {
		c.NodeInstances[i] = &CompactNodeInstance{ID: ni.ID, NodeID: ni.NodeID, HostID: ni.HostID,
			Relationships: ni.Relationships, ScalingGroups: ni.ScalingGroups}
	}
	return c
}

// opSetIndex numbers the distinct operation maps of a plan.
type opSetIndex struct {
	byMap  map[uintptr]int // map identity -> index
	byJSON map[string]int  // content -> index
	c      *CompactPlan
}

func (x *opSetIndex) ref(m map[string]*Operation) int {
	if m == nil {
		m = map[string]*Operation{}
	}
	id := reflect.ValueOf(m).Pointer()
	if i, ok := x.byMap[id]; ok {
		return i
	}
	js, err := json.Marshal(m)
	if err != nil { // an Operation holds only JSON values; keep the map apart
		js = []byte(fmt.Sprintf("%p", m))
	}
	i, ok := x.byJSON[string(js)]
	if !ok {
		i = len(x.c.OperationSets)
		x.c.OperationSets = append(x.c.OperationSets, m)
		x.byJSON[string(js)] = i
	}
	x.byMap[id] = i
	return i
}

// Plan returns the plan c describes, in the Plan model (and so in
// Cloudify's shape when marshalled). Nodes and relationships referring to
// one operation set share its map.
func (c *CompactPlan) Plan() (*Plan, error) {
	if c.Format != CompactFormat {
		return nil, fmt.Errorf("%w: format %q, want %q", ErrCompactPlan, c.Format, CompactFormat)
	}
	set := func(i int, what string) (map[string]*Operation, error) {
		if i < 0 || i >= len(c.OperationSets) {
			return nil, fmt.Errorf("%w: %s refers to operation set %d of %d", ErrCompactPlan, what, i, len(c.OperationSets))
		}
		if c.OperationSets[i] == nil {
			return map[string]*Operation{}, nil
		}
		return c.OperationSets[i], nil
	}
	p := &Plan{
		Version: c.Version, Description: c.Description, Metadata: c.Metadata,
		Inputs: c.Inputs, InputDefs: c.InputDefs, Outputs: c.Outputs, Capabilities: c.Capabilities,
		Workflows: c.Workflows, Groups: c.Groups, ScalingGroups: c.ScalingGroups, Policies: c.Policies,
		Plugins: c.Plugins, Labels: c.Labels, BlueprintDir: c.BlueprintDir, MainFile: c.MainFile, NamespacesMapping: c.NamespacesMapping,
		Nodes:         make([]*Node, len(c.Nodes)),
		NodeInstances: make([]*NodeInstance, len(c.NodeInstances)),
	}
	var err error
	for i, cn := range c.Nodes {
		if cn == nil {
			return nil, fmt.Errorf("%w: node %d is null", ErrCompactPlan, i)
		}
		n := &Node{
			ID: cn.ID, Name: cn.ID, Type: cn.Type, TypeHierarchy: cn.TypeHierarchy, Properties: cn.Properties,
			HostID: cn.HostID, Plugins: cn.Plugins, PluginsToInstall: cn.PluginsToInstall,
			Capabilities: cn.Capabilities, PlannedInstances: cn.PlannedInstances,
			Relationships: make([]*Relationship, len(cn.Relationships)),
		}
		if n.Operations, err = set(cn.Operations, "node "+cn.ID); err != nil {
			return nil, err
		}
		for j, cr := range cn.Relationships {
			if cr == nil {
				return nil, fmt.Errorf("%w: relationship %d of node %s is null", ErrCompactPlan, j, cn.ID)
			}
			r := &Relationship{Type: cr.Type, TargetID: cr.TargetID, TypeHierarchy: cr.TypeHierarchy, Properties: cr.Properties}
			what := fmt.Sprintf("relationship %d of node %s", j, cn.ID)
			if r.SourceOperations, err = set(cr.SourceOperations, what); err != nil {
				return nil, err
			}
			if r.TargetOperations, err = set(cr.TargetOperations, what); err != nil {
				return nil, err
			}
			n.Relationships[j] = r
		}
		p.Nodes[i] = n
	}
	for i, ci := range c.NodeInstances {
		if ci == nil {
			return nil, fmt.Errorf("%w: node instance %d is null", ErrCompactPlan, i)
		}
		p.NodeInstances[i] = &NodeInstance{ID: ci.ID, Name: ci.ID, NodeID: ci.NodeID, HostID: ci.HostID,
			Relationships: ci.Relationships, ScalingGroups: ci.ScalingGroups}
	}
	return p, nil
}
