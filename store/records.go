package store

import (
	"fmt"
	"log/slog"
	"time"
	"unicode/utf8"

	"github.com/gantryhq/gantry/tosca"
)

// Blueprint is an uploaded blueprint. Its files live in the store as an
// archive (see ArchiveDir), so deployments survive edits to or deletion of
// the folder it was uploaded from.
type Blueprint struct {
	ID string `json:"id"`
	// MainFile is the main YAML file, relative to the archive root.
	MainFile    string           `json:"main_file_name"`
	Description string           `json:"description,omitempty"`
	Labels      map[string][]any `json:"labels,omitempty"`
	// InputDefs are the blueprint's declared inputs (optional, for display).
	InputDefs map[string]*tosca.PropertyDef `json:"input_definitions,omitempty"`
	// Imports are the ids of the blueprints it imports (`NS--blueprint:ID`,
	// Cloudify's imported_blueprints): they are not deleted while it is
	// stored.
	Imports []string `json:"imported_blueprints,omitempty"`
	// Source is the folder the blueprint was uploaded from (informational).
	Source    string    `json:"source,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// ArchiveSize and ArchiveSHA256 describe the stored archive; the store
	// sets them.
	ArchiveSize   int64  `json:"archive_size"`
	ArchiveSHA256 string `json:"archive_sha256"`
}

// Deployment is a blueprint instantiated with inputs.
type Deployment struct {
	ID          string           `json:"id"`
	BlueprintID string           `json:"blueprint_id"`
	Description string           `json:"description,omitempty"`
	Labels      map[string][]any `json:"labels,omitempty"`
	Inputs      map[string]any   `json:"inputs"`
	// Plan holds nodes, outputs, capabilities, workflows, groups... It is
	// stored apart from the record: ListDeployments leaves it nil and
	// GetDeployment fills it. Plan.NodeInstances seeds the node-instance
	// records on CreateDeployment and is not kept (it would go stale):
	// node instances are read with ListNodeInstances.
	Plan *tosca.Plan `json:"plan,omitempty"`
	// ModifiedBy is the execution (a scale or a deployment update) whose
	// modification the plan took last: it is written with the plan, so a
	// reader that finds the execution unfinished knows the switch was
	// applied (the manager's "applied?" marker).
	ModifiedBy string    `json:"modified_by,omitempty"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// Dependency records that one deployment uses another (a deployment proxy,
// a get_capability, a shared resource). Creator says what made it, e.g.
// "node_instances.proxy_x1y2z3", and is unique per source deployment.
type Dependency struct {
	SourceDeploymentID string    `json:"source_deployment_id"`
	TargetDeploymentID string    `json:"target_deployment_id"`
	Creator            string    `json:"dependency_creator"`
	CreatedAt          time.Time `json:"created_at,omitzero"`
}

// DependencyFilter selects dependencies; empty fields match everything.
type DependencyFilter struct {
	SourceDeploymentID string
	TargetDeploymentID string
}

// State is a node instance's lifecycle state (spec 7.4).
type State string

// Node instance states, in install then uninstall order.
const (
	StateUninitialized State = "uninitialized"
	StateInitializing  State = "initializing"
	StateCreating      State = "creating"
	StateCreated       State = "created"
	StateConfiguring   State = "configuring"
	StateConfigured    State = "configured"
	StateStarting      State = "starting"
	StateStarted       State = "started"
	StateStopping      State = "stopping"
	StateStopped       State = "stopped"
	StateDeleting      State = "deleting"
	StateDeleted       State = "deleted"
)

// States lists every node instance state in lifecycle order.
var States = []State{
	StateUninitialized, StateInitializing, StateCreating, StateCreated,
	StateConfiguring, StateConfigured, StateStarting, StateStarted,
	StateStopping, StateStopped, StateDeleting, StateDeleted,
}

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	for _, k := range States {
		if s == k {
			return true
		}
	}
	return false
}

// AnyVersion as the expected version skips the optimistic-concurrency check.
const AnyVersion = -1

// NodeInstance is a planned node instance with its runtime state. Version
// starts at 1 and every write bumps it.
type NodeInstance struct {
	tosca.NodeInstance
	DeploymentID      string         `json:"deployment_id"`
	State             State          `json:"state"`
	RuntimeProperties map[string]any `json:"runtime_properties"`
	Version           int            `json:"version"`
	UpdatedAt         time.Time      `json:"updated_at,omitzero"`
}

// ExecutionStatus is an execution's status.
type ExecutionStatus string

// Execution statuses.
const (
	ExecutionPending    ExecutionStatus = "pending"
	ExecutionStarted    ExecutionStatus = "started"
	ExecutionCancelling ExecutionStatus = "cancelling"
	ExecutionCancelled  ExecutionStatus = "cancelled"
	ExecutionFailed     ExecutionStatus = "failed"
	ExecutionTerminated ExecutionStatus = "terminated"
)

// Valid reports whether s is a known status.
func (s ExecutionStatus) Valid() bool {
	switch s {
	case ExecutionPending, ExecutionStarted, ExecutionCancelling,
		ExecutionCancelled, ExecutionFailed, ExecutionTerminated:
		return true
	}
	return false
}

// Terminal reports whether the execution has ended (cancelled, failed or
// terminated, the last meaning success).
func (s ExecutionStatus) Terminal() bool {
	return s == ExecutionCancelled || s == ExecutionFailed || s == ExecutionTerminated
}

// Active reports whether the execution is (or may still be) running.
func (s ExecutionStatus) Active() bool { return s.Valid() && !s.Terminal() }

// Execution is one run of a workflow on a deployment.
type Execution struct {
	ID           string          `json:"id"`
	DeploymentID string          `json:"deployment_id"`
	WorkflowID   string          `json:"workflow_id"`
	Parameters   map[string]any  `json:"parameters"`
	Status       ExecutionStatus `json:"status"`
	CreatedAt    time.Time       `json:"created_at,omitzero"`
	StartedAt    time.Time       `json:"started_at,omitzero"`
	EndedAt      time.Time       `json:"ended_at,omitzero"`
	Error        string          `json:"error,omitempty"`
	DryRun       bool            `json:"is_dry_run,omitempty"`
	// CancelRequested is set by RequestCancel (possibly from another
	// process); the running engine polls it. ForceCancel asks to kill
	// running operations instead of letting them finish.
	CancelRequested bool `json:"cancel_requested,omitempty"`
	ForceCancel     bool `json:"force_cancel,omitempty"`
	// PID is the process running the execution (0 when none), so a resume
	// can tell an interrupted execution from a live one.
	PID int `json:"pid,omitempty"`
	// PIDStart is when that process started (Linux: clock ticks since
	// boot), so that a pid reused by another process is not taken for it.
	PIDStart uint64 `json:"pid_start,omitempty"`
	// Host is the machine of that process ("hostname boot-id"): with a
	// shared store (etcd) a pid says nothing on another machine.
	Host string `json:"host,omitempty"`
	// Queued: the execution waits for a worker (`gantry worker`) instead
	// of running in the process that created it; workers take it over
	// when the one running it dies (docs/ha.md).
	Queued bool `json:"queued,omitempty"`
	// After is what follows a queued workflow that succeeded (the worker
	// does it): AfterNothing, AfterDeleteDeployment or
	// AfterDeleteDeploymentAndBlueprint (uninstall). AfterForce deletes
	// the deployment even though others depend on it (uninstall --force).
	After      string `json:"after,omitempty"`
	AfterForce bool   `json:"after_force,omitempty"`
	// Engine are the engine settings a queued execution was started with,
	// for the worker that runs it or takes it over (nil: the worker's).
	Engine *EngineSettings `json:"engine,omitempty"`
	// ScaleAdded are the node instances a scale or a deployment update
	// added (stored before it runs, in the plan only once it succeeds): a
	// resume plans the same modification over the plan without them.
	ScaleAdded []string `json:"scale_added,omitempty"`
	// RolledBack: the execution (a deployment update) failed and what it
	// had added was uninstalled and removed; it cannot be resumed.
	RolledBack bool `json:"rolled_back,omitempty"`
	// TargetBlueprintID is the blueprint a deployment update moves its
	// deployment to: not deleted while the execution is active (HeldBlueprint).
	TargetBlueprintID string `json:"target_blueprint_id,omitempty"`
	// DeletedAt is set only on a tombstone (Store.GetDeletedExecution):
	// when the execution was deleted with its deployment.
	DeletedAt time.Time `json:"deleted_at,omitzero"`
}

// EngineSettings are an execution's engine flags (--parallelism,
// --task-retries, --task-retry-interval); zero values leave the running
// process's own.
type EngineSettings struct {
	Parallelism int `json:"parallelism,omitempty"`
	// TaskRetries nil: the process's own (0 is no retries, -1 forever).
	TaskRetries       *int          `json:"task_retries,omitempty"`
	TaskRetryInterval time.Duration `json:"task_retry_interval_ns,omitempty"`
}

// What follows a queued workflow that succeeded (Execution.After).
const (
	AfterNothing                      = ""
	AfterDeleteDeployment             = "delete-deployment"
	AfterDeleteDeploymentAndBlueprint = "delete-deployment-and-blueprint"
)

// InQueue reports whether workers should run (or take over) e: it is
// queued and has not ended.
func (e *Execution) InQueue() bool { return e.Queued && !e.Status.Terminal() }

// UnstartedCancel is the error of a queued execution cancelled before a
// worker started it.
const UnstartedCancel = "cancelled before a worker started it"

// EndsAtCancel reports whether the cancel requested of e ends it without
// a run: it is queued and no worker started it (nothing to stop or undo).
func (e *Execution) EndsAtCancel() bool {
	return e.InQueue() && e.CancelRequested && e.StartedAt.IsZero()
}

// TaskStatus is the resume status of one task.
type TaskStatus string

// Task statuses.
const (
	TaskPending   TaskStatus = "pending"
	TaskSent      TaskStatus = "sent"
	TaskSucceeded TaskStatus = "succeeded"
	TaskFailed    TaskStatus = "failed"
	// TaskIgnored is a failed task whose failure the workflow ignored
	// (uninstall with ignore_failure): resume does not run it again.
	TaskIgnored TaskStatus = "failed_ignored"
)

// Valid reports whether s is a known status.
func (s TaskStatus) Valid() bool {
	switch s {
	case TaskPending, TaskSent, TaskSucceeded, TaskFailed, TaskIgnored:
		return true
	}
	return false
}

// Task is the record resume needs for one task of an execution. ID is a
// stable string the engine builds (e.g. "<instance>/<operation>").
type Task struct {
	ID          string     `json:"id"`
	ExecutionID string     `json:"execution_id"`
	Status      TaskStatus `json:"status"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error,omitempty"`
	// Result is the value the operation returned, if any (JSON types).
	Result         any       `json:"result,omitempty"`
	NodeInstanceID string    `json:"node_instance_id,omitempty"`
	Operation      string    `json:"operation,omitempty"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// Event is an event or a log line of an execution. Seq is assigned by the
// store: strictly increasing per execution, in commit order, so a reader
// that pages with Events(exec, lastSeq, n) never misses one.
type Event struct {
	Seq          uint64    `json:"seq"`
	ExecutionID  string    `json:"execution_id"`
	DeploymentID string    `json:"deployment_id"`
	Timestamp    time.Time `json:"timestamp"`
	// Type is e.g. "workflow_started", "task_succeeded" or "log".
	Type string `json:"type"`
	// Level is set on logs: debug, info, warning, error.
	Level          string `json:"level,omitempty"`
	NodeID         string `json:"node_id,omitempty"`
	NodeInstanceID string `json:"node_instance_id,omitempty"`
	Operation      string `json:"operation,omitempty"`
	TaskID         string `json:"task_id,omitempty"`
	Message        string `json:"message"`
	// Error is the error of a failed task or workflow.
	Error string `json:"error,omitempty"`
}

// Secret visibilities (Cloudify's).
const (
	VisibilityPrivate = "private"
	VisibilityTenant  = "tenant"
	VisibilityGlobal  = "global"
)

// Secret is a named secret value. Its String, GoString and LogValue never
// show the value, so a secret formatted into a log or an error by mistake
// does not leak.
// Its JSON carries a value that is not UTF-8 as base64
// (secret_json.go), so any bytes round-trip.
type Secret struct {
	Key        string    `json:"key"`
	Value      string    `json:"value,omitempty"`
	Visibility string    `json:"visibility"`
	CreatedAt  time.Time `json:"created_at,omitzero"`
	UpdatedAt  time.Time `json:"updated_at,omitzero"`
}

// String describes the secret without its value.
func (s Secret) String() string {
	return fmt.Sprintf("Secret{Key:%q Visibility:%q Value:<redacted>}", s.Key, s.Visibility)
}

// GoString describes the secret without its value (%#v).
func (s Secret) GoString() string { return s.String() }

// LogValue describes the secret without its value (log/slog).
func (s Secret) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key", s.Key), slog.String("visibility", s.Visibility),
		slog.String("value", "<redacted>"))
}

// maxIDLen bounds ids and keys (bbolt allows 32 KiB keys; nobody needs that).
const maxIDLen = 512

// checkID validates an id of the given kind: non-empty, UTF-8, bounded, and
// free of NUL (used as the separator in index keys).
func checkID(kind, id string) error {
	switch {
	case id == "":
		return fmt.Errorf("%s id is empty: %w", kind, ErrInvalid)
	case len(id) > maxIDLen:
		return fmt.Errorf("%s id is %d bytes long, limit %d: %w", kind, len(id), maxIDLen, ErrInvalid)
	case !utf8.ValidString(id):
		return fmt.Errorf("%s id %q is not valid UTF-8: %w", kind, id, ErrInvalid)
	}
	if r, bad := tosca.ControlChar(id); bad {
		return fmt.Errorf("%s id %q holds the control character %U: %w", kind, id, r, ErrInvalid)
	}
	return nil
}

// Token is an API token of `gantry server`. The store keeps the SHA-256 of
// the token's secret (Hash, lowercase hex), never the secret: whoever reads
// the store cannot use a token. Role is the role's name; the store does not
// interpret it (manager/auth does).
type Token struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Role string `json:"role"`
	// Hash is the hex SHA-256 of the secret. GetToken returns it (to check
	// a presented token), ListTokens leaves it empty.
	Hash      string    `json:"hash,omitempty"`
	CreatedBy string    `json:"created_by,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
	// ExpiresAt zero: the token does not expire.
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	// RevokedAt non-zero: the token was revoked then and is refused.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Session is a web console session of `gantry server` (manager/auth). The
// store keeps the SHA-256 of the session's id (Key, lowercase hex), never
// the id, nor the token the session was made from: whoever reads the store
// cannot use a session. The principal comes from the token record named
// by TokenID at every use, so revoking the token ends its sessions.
type Session struct {
	Key     string `json:"key"`
	TokenID string `json:"token_id"`
	// CreatedAt is the sign-in; UsedAt the last use (written coarsely).
	CreatedAt time.Time `json:"created_at"`
	UsedAt    time.Time `json:"used_at"`
}

// AuditRecord is one entry of the append-only audit log: who did what,
// to what, when, and how it ended. Seq is assigned by the store: strictly
// increasing, in commit order.
type AuditRecord struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// TokenID and Principal say who: the token's id and name ("local" for
	// the embedded manager and the store's owner on the server's machine).
	TokenID   string `json:"token_id,omitempty"`
	Principal string `json:"principal"`
	Role      string `json:"role,omitempty"`
	// Action names the use case, e.g. "deployments.create"; Target the
	// record it acted on, e.g. the deployment's id.
	Action string `json:"action"`
	Target string `json:"target,omitempty"`
	// Outcome is "ok" or the error's stable code (e.g. "forbidden").
	Outcome string `json:"outcome"`
	// Remote is the client's address, when the request came over HTTP.
	Remote string `json:"remote,omitempty"`
}
