package script

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gantryhq/gantry/plugins"
)

// session is one running operation as its script's ctx calls see it.
type session struct {
	oc    *plugins.Context
	token string

	mu        sync.Mutex
	returns   any
	retry     *plugins.RetryError
	abort     string
	aborted   bool
	hasReturn bool
}

// handle runs one ctx command.
func (s *session) handle(args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("missing command")
	}
	oc := s.oc
	switch args[0] {
	case "node":
		return s.nodeCmd(&plugins.Endpoint{Node: oc.Node, Instance: oc.Instance, Runtime: oc.Runtime}, args[1:])
	case "instance":
		return s.instanceCmd(&plugins.Endpoint{Node: oc.Node, Instance: oc.Instance, Runtime: oc.Runtime}, args[1:])
	case "source", "target":
		ep := oc.Source
		if args[0] == "target" {
			ep = oc.Target
		}
		if ep == nil {
			return "", fmt.Errorf("ctx %s: only available in relationship operations (this is %s on %s)", args[0], oc.OperationName, oc.Instance.ID)
		}
		if len(args) < 2 {
			return "", fmt.Errorf("usage: ctx %s node|instance ARGS", args[0])
		}
		switch args[1] {
		case "node":
			return s.nodeCmd(ep, args[2:])
		case "instance":
			return s.instanceCmd(ep, args[2:])
		}
		return "", fmt.Errorf("ctx %s: unknown subcommand %q (want node or instance)", args[0], args[1])
	case "logger":
		if len(args) < 3 {
			return "", fmt.Errorf("usage: ctx logger debug|info|warn|error MESSAGE")
		}
		level, err := plugins.ParseLevel(args[1])
		if err != nil {
			return "", err
		}
		oc.Log(level, "%s", strings.Join(args[2:], " "))
		return "", nil
	case "returns":
		if len(args) != 2 {
			return "", fmt.Errorf("usage: ctx returns VALUE")
		}
		s.mu.Lock()
		s.returns, s.hasReturn = parseValue(args[1]), true
		s.mu.Unlock()
		return "", nil
	case "retry-operation":
		if len(args) < 2 || len(args) > 3 {
			return "", fmt.Errorf("usage: ctx retry-operation MESSAGE [AFTER_SECONDS]")
		}
		var after time.Duration
		if len(args) == 3 {
			sec, err := strconv.ParseFloat(args[2], 64)
			if err != nil || sec < 0 {
				return "", fmt.Errorf("ctx retry-operation: AFTER_SECONDS %q is not a non-negative number", args[2])
			}
			after = time.Duration(sec * float64(time.Second))
		}
		s.mu.Lock()
		s.retry = &plugins.RetryError{Message: args[1], After: after}
		s.mu.Unlock()
		return "", nil
	case "abort-operation":
		if len(args) < 2 {
			return "", fmt.Errorf("usage: ctx abort-operation MESSAGE")
		}
		s.mu.Lock()
		s.abort, s.aborted = strings.Join(args[1:], " "), true
		s.mu.Unlock()
		return "", nil
	case "deployment":
		if len(args) != 2 || args[1] != "id" {
			return "", fmt.Errorf("usage: ctx deployment id")
		}
		return oc.DeploymentID, nil
	case "execution-id":
		return oc.ExecutionID, nil
	case "operation":
		if len(args) != 2 {
			return "", fmt.Errorf("usage: ctx operation name|retry-number|max-retries")
		}
		switch args[1] {
		case "name":
			return oc.OperationName, nil
		case "retry-number", "retry_number":
			return strconv.Itoa(oc.Attempt), nil
		case "max-retries", "max_retries":
			return strconv.Itoa(oc.MaxRetries), nil
		}
		return "", fmt.Errorf("ctx operation: unknown field %q", args[1])
	}
	return "", fmt.Errorf("unknown command %q (want node, instance, source, target, logger, returns, retry-operation, abort-operation, deployment, execution-id or operation)", args[0])
}

func (s *session) nodeCmd(ep *plugins.Endpoint, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("usage: ctx node id|name|type|properties [KEY...]")
	}
	switch args[0] {
	case "id":
		return ep.Node.ID, nil
	case "name":
		return ep.Node.Name, nil
	case "type":
		return ep.Node.Type, nil
	case "properties":
		v, ok := plugins.GetPath(ep.Node.Properties, splitKeys(args[1:])...)
		if !ok {
			return "", nil
		}
		return format(v)
	}
	return "", fmt.Errorf("ctx node: unknown field %q (want id, name, type or properties)", args[0])
}

func (s *session) instanceCmd(ep *plugins.Endpoint, args []string) (string, error) {
	if len(args) == 0 {
		return "", fmt.Errorf("usage: ctx instance id|host-id|state|runtime-properties [ARGS]")
	}
	switch args[0] {
	case "id":
		return ep.Instance.ID, nil
	case "host-id", "host_id":
		return ep.Instance.HostID, nil
	case "state":
		if ep.Instance != s.oc.Instance {
			return "", fmt.Errorf("ctx instance state: only the operation's own instance")
		}
		return s.oc.InstanceState, nil
	case "runtime-properties", "runtime_properties":
		rest := args[1:]
		if len(rest) <= 1 {
			v, ok := ep.Runtime.Get(splitKeys(rest)...)
			if !ok {
				return "", nil
			}
			return format(v)
		}
		path := splitKeys(rest[:len(rest)-1])
		if err := ep.Runtime.Set(parseValue(rest[len(rest)-1]), path...); err != nil {
			return "", err
		}
		return "", nil
	}
	return "", fmt.Errorf("ctx instance: unknown field %q (want id, host-id, state or runtime-properties)", args[0])
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

// parseValue reads a command-line value: JSON when it parses, else the
// string itself.
func parseValue(s string) any {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err == nil {
		return v
	}
	return s
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
