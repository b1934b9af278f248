package plugins

import "context"

// WorkflowGraph is what a custom workflow's script drives through its ctx
// (Cloudify's workflow context, the `ctx graph` subset): the deployment's
// nodes and node instances as the engine sees them now, operations run on
// instances (with the events, retries and cancel of any workflow task),
// and instance states. The engine gives one to the script of a custom
// workflow in Context.Graph; it is nil for every other operation.
// Implementations are safe for concurrent use.
type WorkflowGraph interface {
	// Parameters are the workflow's parameters, declared defaults filled in.
	Parameters() map[string]any
	// Nodes lists the deployment's nodes, in plan order.
	Nodes() []WorkflowNode
	// Instances lists the node instances of nodeID ("": all), in plan
	// order, with their current state and runtime properties.
	Instances(nodeID string) ([]WorkflowInstance, error)
	// ExecuteOperation runs an operation on an instance and waits for its
	// end (retries included); it returns the operation's result. An
	// operation the node does not define is an error; a NO-OP returns nil.
	// Once the execution is cancelled it runs nothing and fails.
	ExecuteOperation(ctx context.Context, req OperationRequest) (any, error)
	// SetState sets an instance's state (recorded with the engine's next
	// commit, with a state event).
	SetState(ctx context.Context, instanceID, state string) error
}

// WorkflowNode is a node as a workflow script sees it.
type WorkflowNode struct {
	ID                string         `json:"id"`
	Type              string         `json:"type"`
	TypeHierarchy     []string       `json:"type_hierarchy"`
	Properties        map[string]any `json:"properties"`
	NumberOfInstances int            `json:"number_of_instances"`
	HostID            string         `json:"host_id,omitempty"`
	// Operations are the operation names the node defines (NO-OPs included).
	Operations []string `json:"operations"`
}

// WorkflowInstance is a node instance as a workflow script sees it.
type WorkflowInstance struct {
	ID                string         `json:"id"`
	NodeID            string         `json:"node_id"`
	HostID            string         `json:"host_id,omitempty"`
	State             string         `json:"state"`
	RuntimeProperties map[string]any `json:"runtime_properties"`
	// Relationships are the ids of the instances this one relates to.
	Relationships []string `json:"relationships,omitempty"`
}

// OperationRequest is one operation a workflow script runs.
type OperationRequest struct {
	InstanceID string         `json:"instance_id"`
	Operation  string         `json:"operation"`
	Kwargs     map[string]any `json:"kwargs,omitempty"`
	// AllowKwargsOverride lets Kwargs replace inputs the operation sets.
	AllowKwargsOverride bool `json:"allow_kwargs_override,omitempty"`
}
