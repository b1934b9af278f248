package script

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/plugins"
)

// The ctx command's own flags, before the command.
const (
	flagJSON     = "-j"
	flagJSONLong = "--json-output"
	// jsonArgPrefix marks an argument that is a JSON value (@{"a": 1}).
	jsonArgPrefix = "@"
)

// What `ctx type` answers (Cloudify's ctx.type).
const (
	ctxTypeNode         = "node-instance"
	ctxTypeRelationship = "relationship-instance"
)

// session is one running operation as its script's ctx calls see it.
type session struct {
	oc    *plugins.Context
	token string
	// ctx is the operation's context (nil: none), for requests that run
	// work of their own (a workflow script's execute-operation).
	ctx context.Context

	mu        sync.Mutex
	returns   any
	retry     *plugins.RetryError
	abort     string
	aborted   bool
	hasReturn bool
}

// commands lists the ctx commands, for usage messages.
const commands = "node, instance, source, target, type, inputs, logger, returns, retry-operation, abort-operation, deployment, blueprint, execution-id, operation, get-resource, download-resource, download-resource-and-render; in a workflow script: " + graphCommands

// handle runs one ctx command. A leading -j (or --json-output) prints
// every value as JSON, strings included; without it strings print as they
// are, nil as nothing, other values as JSON.
func (s *session) handle(args []string) (string, error) {
	rest := stripFlags(args)
	asJSON := len(rest) < len(args)
	args = rest
	if len(args) == 0 {
		return "", fmt.Errorf("missing command (want one of: %s)", commands)
	}
	v, err := s.dispatch(args)
	if err != nil {
		return "", err
	}
	if !asJSON {
		return format(v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode value: %w", err)
	}
	return string(b), nil
}

// stripFlags returns args without the leading -j / --json-output flags.
func stripFlags(args []string) []string {
	for len(args) > 0 && (args[0] == flagJSON || args[0] == flagJSONLong) {
		args = args[1:]
	}
	return args
}

// dispatch runs one ctx command and returns its value (nil: nothing).
func (s *session) dispatch(args []string) (any, error) {
	oc := s.oc
	self := &plugins.Endpoint{Node: oc.Node, Instance: oc.Instance, Runtime: oc.Runtime}
	if isGraphCommand(args[0]) {
		return s.graphCmd(args)
	}
	switch args[0] {
	case "node", "instance", "source", "target":
		if oc.Instance == nil {
			return nil, fmt.Errorf("ctx %s: a workflow script has no node instance of its own; list them with `ctx node-instances`", args[0])
		}
	}
	switch args[0] {
	case "node":
		return s.nodeCmd(self, args[1:])
	case "instance":
		return s.instanceCmd(self, args[1:])
	case "source", "target":
		ep := oc.Source
		if args[0] == "target" {
			ep = oc.Target
		}
		if ep == nil {
			return nil, fmt.Errorf("ctx %s: only available in relationship operations (this is %s on %s)", args[0], oc.OperationName, oc.Instance.ID)
		}
		if len(args) < 2 {
			return nil, fmt.Errorf("usage: ctx %s node|instance ARGS", args[0])
		}
		switch args[1] {
		case "node":
			return s.nodeCmd(ep, args[2:])
		case "instance":
			return s.instanceCmd(ep, args[2:])
		}
		return nil, fmt.Errorf("ctx %s: unknown subcommand %q (want node or instance)", args[0], args[1])
	case "logger":
		if len(args) < 3 {
			return nil, fmt.Errorf("usage: ctx logger debug|info|warn|error MESSAGE")
		}
		level, err := plugins.ParseLevel(args[1])
		if err != nil {
			return nil, err
		}
		oc.Log(level, "%s", strings.Join(args[2:], " "))
		return nil, nil
	case "returns":
		if len(args) != 2 {
			return nil, fmt.Errorf("usage: ctx returns VALUE")
		}
		v, err := parseValue(args[1])
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		s.returns, s.hasReturn = v, true
		s.mu.Unlock()
		return nil, nil
	case "retry-operation", "retry_operation":
		return nil, s.retryCmd(args[1:])
	case "abort-operation", "abort_operation":
		if len(args) < 2 {
			return nil, fmt.Errorf("usage: ctx abort-operation MESSAGE")
		}
		s.mu.Lock()
		s.abort, s.aborted = strings.Join(args[1:], " "), true
		s.mu.Unlock()
		return nil, nil
	case "deployment":
		if len(args) != 2 || args[1] != "id" {
			return nil, fmt.Errorf("usage: ctx deployment id")
		}
		return oc.DeploymentID, nil
	case "blueprint":
		if len(args) != 2 || args[1] != "id" {
			return nil, fmt.Errorf("usage: ctx blueprint id")
		}
		return oc.BlueprintID, nil
	case "execution-id", "execution_id":
		return oc.ExecutionID, nil
	case "workflow-id", "workflow_id":
		return oc.Workflow, nil
	case "type":
		if oc.IsRelationship() {
			return ctxTypeRelationship, nil
		}
		return ctxTypeNode, nil
	case "inputs":
		return oc.Inputs, nil
	case "operation":
		return s.operationCmd(args[1:])
	case cmdGetResource, cmdResource, cmdRenderResource:
		return s.resourceCmd(args)
	case cmdDownload, cmdDownloadRender:
		return nil, fmt.Errorf("ctx %s: handled by the ctx command on the script's machine; this ctx is too old", args[0])
	}
	return nil, fmt.Errorf("unknown command %q (want one of: %s)", args[0], commands)
}

func (s *session) retryCmd(args []string) error {
	if len(args) < 1 || len(args) > 2 {
		return fmt.Errorf("usage: ctx retry-operation MESSAGE [AFTER_SECONDS]")
	}
	var after time.Duration
	if len(args) == 2 {
		sec, err := strconv.ParseFloat(strings.TrimPrefix(args[1], jsonArgPrefix), 64)
		if err != nil || sec < 0 {
			return fmt.Errorf("ctx retry-operation: AFTER_SECONDS %q is not a non-negative number", args[1])
		}
		after = time.Duration(sec * float64(time.Second))
	}
	s.mu.Lock()
	s.retry = &plugins.RetryError{Message: args[0], After: after}
	s.mu.Unlock()
	return nil
}

func (s *session) operationCmd(args []string) (any, error) {
	oc := s.oc
	if len(args) == 2 && args[0] == "retry" {
		return nil, s.retryCmd(args[1:])
	}
	if len(args) != 1 {
		return nil, fmt.Errorf("usage: ctx operation name|retry-number|max-retries")
	}
	switch args[0] {
	case "name":
		return oc.OperationName, nil
	case "retry-number", "retry_number":
		return oc.Attempt, nil
	case "max-retries", "max_retries":
		return oc.MaxRetries, nil
	}
	return nil, fmt.Errorf("ctx operation: unknown field %q (want name, retry-number or max-retries)", args[0])
}

func (s *session) nodeCmd(ep *plugins.Endpoint, args []string) (any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("usage: ctx node id|name|type|properties [KEY...]")
	}
	switch args[0] {
	case "id":
		return ep.Node.ID, nil
	case "name":
		return ep.Node.Name, nil
	case "type":
		return ep.Node.Type, nil
	case "type-hierarchy", "type_hierarchy":
		return ep.Node.TypeHierarchy, nil
	case "properties":
		v, _ := plugins.GetPath(ep.Node.Properties, splitKeys(args[1:])...)
		return v, nil
	}
	return nil, fmt.Errorf("ctx node: unknown field %q (want id, name, type, type-hierarchy or properties)", args[0])
}

func (s *session) instanceCmd(ep *plugins.Endpoint, args []string) (any, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("usage: ctx instance id|host-id|host-ip|state|runtime-properties [ARGS]")
	}
	switch args[0] {
	case "id":
		return ep.Instance.ID, nil
	case "host-id", "host_id":
		return ep.Instance.HostID, nil
	case "host-ip", "host_ip":
		if ep.Instance != s.oc.Instance {
			return nil, fmt.Errorf("ctx instance host-ip: only the operation's own instance")
		}
		return s.oc.HostIP, nil
	case "state":
		if ep.Instance != s.oc.Instance {
			return nil, fmt.Errorf("ctx instance state: only the operation's own instance")
		}
		return s.oc.InstanceState, nil
	case "runtime-properties", "runtime_properties":
		return runtimeCmd(ep.Runtime, args[1:])
	case "delete-runtime-property", "delete_runtime_property":
		if len(args) < 2 {
			return nil, fmt.Errorf("usage: ctx instance delete-runtime-property KEY [KEY]")
		}
		return nil, ep.Runtime.Delete(splitKeys(args[1:])...)
	}
	return nil, fmt.Errorf("ctx instance: unknown field %q (want id, host-id, host-ip, state, runtime-properties or delete-runtime-property)", args[0])
}

// runtimeCmd gets (no or one KEY) or sets (KEY... VALUE) runtime properties.
func runtimeCmd(rp plugins.RuntimeProperties, rest []string) (any, error) {
	if len(rest) <= 1 {
		v, _ := rp.Get(splitKeys(rest)...)
		return v, nil
	}
	path := splitKeys(rest[:len(rest)-1])
	v, err := parseValue(rest[len(rest)-1])
	if err != nil {
		return nil, err
	}
	return nil, rp.Set(v, path...)
}

// splitKeys turns arguments into a key path, splitting each on dots.
func splitKeys(args []string) []string {
	var out []string
	for _, a := range args {
		for _, k := range strings.Split(a, ".") {
			if k != "" {
				out = append(out, k)
			}
		}
	}
	return out
}

// parseValue reads a command-line value: "@JSON" is JSON (an error when it
// does not parse); otherwise JSON when it parses, else the string itself.
func parseValue(s string) (any, error) {
	var v any
	if rest, ok := strings.CutPrefix(s, jsonArgPrefix); ok && rest != "" {
		if err := json.Unmarshal([]byte(rest), &v); err != nil {
			return nil, fmt.Errorf("argument %q: not JSON after %s: %v", s, jsonArgPrefix, err)
		}
		return v, nil
	}
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v, nil
	}
	return s, nil
}

// format prints a value: strings as they are, nil as nothing, others as JSON.
func format(v any) (string, error) {
	switch t := v.(type) {
	case nil:
		return "", nil
	case string:
		return t, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("encode value: %w", err)
	}
	return string(b), nil
}

// result returns what the script asked for: a return value, a retry or an abort.
func (s *session) result() (ret any, retry *plugins.RetryError, abort string, aborted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.returns, s.retry, s.abort, s.aborted
}
