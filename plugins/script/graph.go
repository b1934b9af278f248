package script

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/plugins"
)

// The ctx commands of a custom workflow's script (its operation context
// has a Graph): Cloudify's workflow context, the part a script needs to
// drive a deployment.
const (
	cmdParameters    = "parameters"
	cmdNodes         = "nodes"
	cmdNodeInstances = "node-instances"
	cmdExecuteOp     = "execute-operation"
	cmdSetState      = "set-state"
	// flagAllowOverride lets execute-operation's kwargs replace inputs.
	flagAllowOverride = "--allow-kwargs-override"
)

// graphCommands lists them, for usage messages.
const graphCommands = "parameters, nodes, node-instances, execute-operation, set-state"

// isGraphCommand reports whether name is a workflow script's command.
func isGraphCommand(name string) bool {
	switch name {
	case cmdParameters, cmdNodes, cmdNodeInstances, "node_instances", cmdExecuteOp, "execute_operation", cmdSetState, "set_state":
		return true
	}
	return false
}

// graphCmd runs a workflow script's command:
//
//	ctx parameters [KEY]
//	ctx nodes
//	ctx node-instances [NODE_ID]
//	ctx execute-operation INSTANCE_ID OPERATION [KWARGS_JSON] [--allow-kwargs-override]
//	ctx set-state INSTANCE_ID STATE
func (s *session) graphCmd(args []string) (any, error) {
	g := s.oc.Graph
	if g == nil {
		return nil, fmt.Errorf("ctx %s: only available in a custom workflow's script (this is operation %s)", args[0], s.oc.OperationName)
	}
	switch args[0] {
	case cmdParameters:
		if len(args) > 2 {
			return nil, fmt.Errorf("usage: ctx parameters [KEY]")
		}
		v, _ := plugins.GetPath(g.Parameters(), splitKeys(args[1:])...)
		return v, nil
	case cmdNodes:
		if len(args) != 1 {
			return nil, fmt.Errorf("usage: ctx nodes")
		}
		return g.Nodes(), nil
	case cmdNodeInstances, "node_instances":
		if len(args) > 2 {
			return nil, fmt.Errorf("usage: ctx node-instances [NODE_ID]")
		}
		node := ""
		if len(args) == 2 {
			node = args[1]
		}
		return g.Instances(node)
	case cmdSetState, "set_state":
		if len(args) != 3 {
			return nil, fmt.Errorf("usage: ctx set-state INSTANCE_ID STATE")
		}
		return nil, g.SetState(s.context(), args[1], args[2])
	}
	return s.executeCmd(g, args[1:])
}

func (s *session) executeCmd(g plugins.WorkflowGraph, args []string) (any, error) {
	const usage = "usage: ctx execute-operation INSTANCE_ID OPERATION [KWARGS_JSON] [" + flagAllowOverride + "]"
	req := plugins.OperationRequest{}
	var rest []string
	for _, a := range args {
		if a == flagAllowOverride {
			req.AllowKwargsOverride = true
			continue
		}
		rest = append(rest, a)
	}
	if len(rest) < 2 || len(rest) > 3 {
		return nil, fmt.Errorf("%s", usage)
	}
	req.InstanceID, req.Operation = rest[0], rest[1]
	if len(rest) == 3 {
		v, err := parseValue(rest[2])
		if err != nil {
			return nil, err
		}
		m, ok := v.(map[string]any)
		if !ok && v != nil {
			return nil, fmt.Errorf("ctx execute-operation: KWARGS must be a JSON mapping, got %T (%s)", v, usage)
		}
		req.Kwargs = m
	}
	return g.ExecuteOperation(s.context(), req)
}

// context is what the session's requests run under: the operation's.
func (s *session) context() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}
