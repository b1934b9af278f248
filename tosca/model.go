package tosca

// This file holds the deployment-plan model: the contract between the
// language (this package), the instance planner (tosca/plan), the store and
// the workflow engine. Field names follow Cloudify's plan JSON so that plans
// can be compared with what Cloudify's own parser produces.

// Plan is a parsed blueprint with inputs bound and parse-time functions
// (get_input, get_property, literal concat/merge) evaluated. Values that can
// only be known at runtime (get_attribute, get_secret, get_capability and
// concat/merge over them) stay in place as function maps, e.g.
// map[string]any{"get_attribute": []any{"SELF", "ip"}}.
type Plan struct {
	Version       string                   `json:"version"` // e.g. "cloudify_dsl_1_3"
	Description   string                   `json:"description,omitempty"`
	Metadata      map[string]any           `json:"metadata,omitempty"`
	Inputs        map[string]any           `json:"inputs"`            // bound input values
	InputDefs     map[string]*PropertyDef  `json:"input_definitions"` // declared inputs
	Nodes         []*Node                  `json:"nodes"`             // in declaration order
	NodeInstances []*NodeInstance          `json:"node_instances"`    // filled by tosca/plan
	Outputs       map[string]*Output       `json:"outputs"`
	Capabilities  map[string]*Output       `json:"capabilities,omitempty"`
	Workflows     map[string]*Workflow     `json:"workflows"`
	Groups        map[string]*Group        `json:"groups"`
	ScalingGroups map[string]*ScalingGroup `json:"scaling_groups"`
	Policies      map[string]*Policy       `json:"policies,omitempty"`
	Plugins       map[string]*Plugin       `json:"plugins,omitempty"` // all declared plugins
	Labels        map[string][]any         `json:"labels,omitempty"`
	// BlueprintDir is the folder of the main blueprint file; script
	// implementations are relative to it.
	BlueprintDir string `json:"blueprint_dir,omitempty"`
	// MainFile is the main blueprint file's path relative to BlueprintDir.
	MainFile string `json:"main_file,omitempty"`
	// NamespacesMapping maps namespaces of `NS--blueprint:ID` imports to
	// the blueprint ids whose scripts operations run as NS--path
	// (Blueprint.NamespacesMapping; Cloudify's namespaces_mapping).
	NamespacesMapping map[string]string `json:"namespaces_mapping,omitempty"`

	// index caches lookups for EvaluateRuntime (see runtime.go); it is
	// rebuilt when Nodes or NodeInstances change length or identity.
	index *planIndex
}

// PropertyDef is a property / input / parameter schema entry.
type PropertyDef struct {
	Description string           `json:"description,omitempty"`
	Type        string           `json:"type,omitempty"`
	Default     any              `json:"default,omitempty"`
	HasDefault  bool             `json:"has_default,omitempty"`
	Required    bool             `json:"required"`
	Constraints []map[string]any `json:"constraints,omitempty"`
}

// Node is a node template after type merging.
type Node struct {
	ID            string                `json:"id"`
	Name          string                `json:"name"`
	Type          string                `json:"type"`
	TypeHierarchy []string              `json:"type_hierarchy"` // root first, own type last
	Properties    map[string]any        `json:"properties"`
	Operations    map[string]*Operation `json:"operations"` // "iface.op" and unambiguous short "op"
	Relationships []*Relationship       `json:"relationships"`
	HostID        string                `json:"host_id,omitempty"`
	Plugins       []*Plugin             `json:"plugins,omitempty"`
	// PluginsToInstall is set on host nodes only.
	PluginsToInstall []*Plugin `json:"plugins_to_install,omitempty"`
	Capabilities     Scalable  `json:"capabilities"`
	// PlannedInstances is the default instance count (scalable.default_instances).
	PlannedInstances int `json:"planned_instances"`
}

// IsA reports whether the node's type is typ or derives from it.
func (n *Node) IsA(typ string) bool {
	for _, t := range n.TypeHierarchy {
		if t == typ {
			return true
		}
	}
	return false
}

// Scalable is the `capabilities.scalable.properties` block of a node.
type Scalable struct {
	MinInstances     int `json:"min_instances"`
	MaxInstances     int `json:"max_instances"` // -1 = unbounded
	DefaultInstances int `json:"default_instances"`
	CurrentInstances int `json:"current_instances"`
	PlannedInstances int `json:"planned_instances"`
}

// Operation is one mapped operation. A NO-OP has empty Plugin and Operation.
type Operation struct {
	Plugin    string `json:"plugin"`    // "script", "ssh", "kubernetes", "proxy", or a declared plugin
	Operation string `json:"operation"` // e.g. "script_runner.tasks.run"
	// Implementation is the mapping string as written in the blueprint.
	Implementation string `json:"implementation,omitempty"`
	// ScriptPath is set when the implementation is a script file relative
	// to the blueprint folder (Plugin is then "script").
	ScriptPath            string         `json:"script_path,omitempty"`
	Executor              string         `json:"executor"` // central_deployment_agent | host_agent
	Inputs                map[string]any `json:"inputs"`
	HasIntrinsicFunctions bool           `json:"has_intrinsic_functions"`
	MaxRetries            *int           `json:"max_retries,omitempty"`    // nil = workflow default; -1 = forever
	RetryInterval         *float64       `json:"retry_interval,omitempty"` // seconds; nil = workflow default
	Timeout               *float64       `json:"timeout,omitempty"`        // seconds (Gantry extension)
}

// IsNoop reports whether the operation does nothing.
func (o *Operation) IsNoop() bool { return o == nil || (o.Plugin == "" && o.Operation == "") }

// Relationship is one relationship of a node template.
type Relationship struct {
	Type             string                `json:"type"`
	TargetID         string                `json:"target_id"`
	TypeHierarchy    []string              `json:"type_hierarchy"`
	Properties       map[string]any        `json:"properties"`
	SourceOperations map[string]*Operation `json:"source_operations"`
	TargetOperations map[string]*Operation `json:"target_operations"`
}

// IsA reports whether the relationship's type is typ or derives from it.
func (r *Relationship) IsA(typ string) bool {
	for _, t := range r.TypeHierarchy {
		if t == typ {
			return true
		}
	}
	return false
}

// Well-known type names.
const (
	TypeRoot       = "cloudify.nodes.Root"
	TypeCompute    = "cloudify.nodes.Compute"
	RelDependsOn   = "cloudify.relationships.depends_on"
	RelConnectedTo = "cloudify.relationships.connected_to"
	RelContainedIn = "cloudify.relationships.contained_in"
	// RelDependsOnLifecycleOp: the source waits for one lifecycle
	// operation of the target (its `operation` property), not its install.
	RelDependsOnLifecycleOp = "cloudify.relationships.depends_on_lifecycle_operation"
	ExecutorCentral         = "central_deployment_agent"
	ExecutorHost            = "host_agent"
)

// NodeInstance is one instance of a node.
type NodeInstance struct {
	ID            string                  `json:"id"`
	Name          string                  `json:"name"` // same as ID
	NodeID        string                  `json:"node_id"`
	HostID        string                  `json:"host_id,omitempty"`
	Relationships []*InstanceRelationship `json:"relationships"`
	ScalingGroups []ScalingGroupRef       `json:"scaling_groups,omitempty"`
}

// InstanceRelationship links a node instance to one target instance.
type InstanceRelationship struct {
	Type       string `json:"type"`
	TargetName string `json:"target_name"` // target node id
	TargetID   string `json:"target_id"`   // target node instance id
}

// ScalingGroupRef names the scaling-group instance a node instance belongs to.
type ScalingGroupRef struct {
	Name string `json:"name"`
	ID   string `json:"id"`
}

// Output is an output or capability definition; Value may hold runtime functions.
type Output struct {
	Description string `json:"description,omitempty"`
	Value       any    `json:"value"`
}

// Workflow is a workflow mapping with its parameter schema.
type Workflow struct {
	Plugin     string                  `json:"plugin"`
	Operation  string                  `json:"operation"`
	Parameters map[string]*PropertyDef `json:"parameters"`
}

// Plugin is a declared plugin.
type Plugin struct {
	Name        string `json:"name"`
	Executor    string `json:"executor"`
	Source      string `json:"source,omitempty"`
	Install     bool   `json:"install"`
	PackageName string `json:"package_name,omitempty"`
}

// Group is a (Riemann-era) group of nodes with policies.
type Group struct {
	Members  []string       `json:"members"`
	Policies map[string]any `json:"policies,omitempty"`
}

// ScalingGroup is a group scaled as a unit.
type ScalingGroup struct {
	Members    []string `json:"members"`
	Properties Scalable `json:"properties"`
}

// Policy is a `policies:` entry (only cloudify.policies.scaling exists).
type Policy struct {
	Type       string         `json:"type"`
	Properties map[string]any `json:"properties"`
	Targets    []string       `json:"targets"`
}
