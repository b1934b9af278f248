package plugins

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/tosca"
)

// Plugin runs operations. Run is called once per attempt of an operation;
// it returns the operation's result value (may be nil) or an error the
// engine classifies with IsNonRecoverable and AsRetry (any other error is
// retried while the operation has retries left).
//
// The context passed to Run is cancelled only when the operation must stop
// at once (forced cancel, engine shutdown); a plugin must then stop its work
// (kill processes, close connections) and return promptly.
type Plugin interface {
	Run(ctx context.Context, op *Context) (any, error)
}

// Func adapts a function to the Plugin interface.
type Func func(ctx context.Context, op *Context) (any, error)

// Run calls f.
func (f Func) Run(ctx context.Context, op *Context) (any, error) { return f(ctx, op) }

// Level is a log level of a plugin log line.
type Level string

// Log levels.
const (
	LevelDebug Level = "debug"
	LevelInfo  Level = "info"
	LevelWarn  Level = "warning"
	LevelError Level = "error"
)

// ParseLevel maps the usual spellings (debug, info, warn, warning, error)
// to a Level.
func ParseLevel(s string) (Level, error) {
	switch s {
	case "debug":
		return LevelDebug, nil
	case "info":
		return LevelInfo, nil
	case "warn", "warning":
		return LevelWarn, nil
	case "error":
		return LevelError, nil
	}
	return "", fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

// Logger receives an operation's log lines; the engine turns each into an
// event of the running execution.
type Logger interface {
	Log(level Level, msg string)
}

// LoggerFunc adapts a function to Logger.
type LoggerFunc func(level Level, msg string)

// Log calls f.
func (f LoggerFunc) Log(level Level, msg string) { f(level, msg) }

// SecretLookup returns the value of a secret. The engine remembers every
// value it hands out and redacts it from events.
type SecretLookup func(ctx context.Context, key string) (string, error)

// Endpoint is one node instance as an operation sees it: the node template,
// the instance and its live runtime properties.
type Endpoint struct {
	Node     *tosca.Node
	Instance *tosca.NodeInstance
	Runtime  RuntimeProperties
}

// Context is everything an operation may use. The engine fills it for
// each attempt; plugins must not keep it after Run returns.
type Context struct {
	DeploymentID string
	BlueprintID  string
	ExecutionID  string
	Workflow     string
	// BlueprintDir is the blueprint's folder (the resource path); script
	// paths are relative to it.
	BlueprintDir string

	// OperationName is the full operation name,
	// e.g. "cloudify.interfaces.lifecycle.create".
	OperationName string
	Operation     *tosca.Operation
	// Inputs are the operation inputs with runtime functions evaluated.
	Inputs map[string]any

	// Node and Instance are the instance the operation runs on: the
	// instance itself for node operations, the source for a relationship's
	// source operation and the target for its target operation. Runtime
	// holds that instance's runtime properties.
	Node     *tosca.Node
	Instance *tosca.NodeInstance
	Runtime  RuntimeProperties
	// HostIP is the address of Instance's host (its Compute's ip runtime
	// property, else its ip property), read from the engine's live view
	// when the operation is dispatched; "" when it has none.
	HostIP string
	// Host is Instance's host as the engine sees it when the operation is
	// dispatched (nil when it has none): its node, with runtime functions
	// in its properties evaluated (agent_config.key: {get_secret: k}
	// arrives as the key, redacted from events), and its live runtime
	// properties. Plugins that reach the host (SSH) read it, never the
	// store.
	Host *Endpoint
	// InstanceState is Instance's state when the operation was dispatched
	// (e.g. "creating" during create).
	InstanceState string

	// Relationship, Source and Target are set for relationship operations
	// only (nil otherwise).
	Relationship *tosca.Relationship
	Source       *Endpoint
	Target       *Endpoint

	// Attempt is the 0-based attempt number; MaxRetries the number of
	// retries allowed (-1: unlimited).
	Attempt    int
	MaxRetries int
	// Timeout is the operation's time limit (0: none). Plugins that run
	// external work enforce it.
	Timeout time.Duration

	Logger  Logger
	Secrets SecretLookup

	// Graph is set for the script of a custom workflow only: the engine's
	// workflow context (Node, Instance and Runtime are then nil).
	Graph WorkflowGraph
}

// IsRelationship reports whether the operation is a relationship operation.
func (c *Context) IsRelationship() bool { return c.Relationship != nil }

// Log sends a log line through the operation's logger (a nil logger drops it).
func (c *Context) Log(level Level, format string, args ...any) {
	if c.Logger == nil {
		return
	}
	if len(args) == 0 {
		c.Logger.Log(level, format)
		return
	}
	c.Logger.Log(level, fmt.Sprintf(format, args...))
}

// Secret looks a secret up through the engine.
func (c *Context) Secret(ctx context.Context, key string) (string, error) {
	if c.Secrets == nil {
		return "", fmt.Errorf("secret %q: %w", key, ErrNoSecrets)
	}
	return c.Secrets(ctx, key)
}
