package api

import (
	"context"
	"io"
	"time"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// Records that cross the boundary. They are the store's records (their JSON
// form is the REST API's), named here so that callers of Service never
// import the store.
type (
	Blueprint        = store.Blueprint
	Deployment       = store.Deployment
	NodeInstance     = store.NodeInstance
	Execution        = store.Execution
	ExecutionStatus  = store.ExecutionStatus
	Task             = store.Task
	Event            = store.Event
	Secret           = store.Secret
	Dependency       = store.Dependency
	DependencyFilter = store.DependencyFilter
	CompactResult    = store.CompactResult
	Member           = store.Member
	WorkerInfo       = store.WorkerInfo
	ClaimInfo        = store.ClaimInfo
	ClaimHolder      = store.ClaimHolder
)

// Service is every use case of Gantry's manager. The CLI, the REST server
// and the workers call it and nothing beneath it. Two implementations:
// manager.Manager (in process, over an embedded store) and the HTTP client
// of `gantry server` (manager/remote). Both return errors that wrap the
// sentinels in errors.go, so callers branch with errors.Is alike.
//
// Methods that take a filesystem path (UploadBlueprint, Install) read the
// caller's files: in process directly, remotely by uploading an archive.
// Reads of executions reap executions whose process died (they come back
// failed, "interrupted") in both implementations.
type Service interface {
	// Info describes where this Service keeps its state.
	Info(ctx context.Context) (*Info, error)

	// UploadBlueprint validates the blueprint at path (a main file or a
	// folder holding blueprint.yaml) and stores it with every file it
	// reads. An empty id defaults to the folder's name. Problems come back
	// as *ProblemsError.
	UploadBlueprint(ctx context.Context, id, path string) (*Blueprint, error)
	GetBlueprint(ctx context.Context, id string) (*Blueprint, error)
	ListBlueprints(ctx context.Context) ([]*Blueprint, error)
	// DeleteBlueprint refuses (ErrInUse) while deployments of it exist.
	DeleteBlueprint(ctx context.Context, id string) error

	CreateDeployment(ctx context.Context, req CreateDeploymentRequest) (*Deployment, error)
	// GetDeployment returns the deployment without its plan (Plan nil):
	// a small record, cheap to read however large the deployment.
	GetDeployment(ctx context.Context, id string) (*Deployment, error)
	// DeploymentPlan returns the deployment's plan (nodes, outputs,
	// capabilities, workflows...), without node instances: read those
	// with ListNodeInstances.
	DeploymentPlan(ctx context.Context, id string) (*tosca.Plan, error)
	// ListDeployments returns deployments without plans; a non-empty
	// blueprintID keeps only that blueprint's.
	ListDeployments(ctx context.Context, blueprintID string) ([]*Deployment, error)
	// UpdateDeployment moves a deployment to another stored blueprint
	// (Cloudify's deployment update): it computes the change and, unless
	// req.Preview, starts the execution of workflow `update` that applies
	// it (Wait on the returned Run). The deployment switches to the new
	// blueprint, inputs and plan only when that execution succeeds.
	UpdateDeployment(ctx context.Context, req UpdateDeploymentRequest) (*DeploymentUpdate, error)
	// DeleteDeployment refuses live executions and dependents unless force.
	DeleteDeployment(ctx context.Context, id string, force bool) error
	// Outputs and Capabilities are evaluated from runtime state when read.
	Outputs(ctx context.Context, deploymentID string) (map[string]any, error)
	Capabilities(ctx context.Context, deploymentID string) (map[string]any, error)
	ListDependencies(ctx context.Context, f DependencyFilter) ([]*Dependency, error)

	GetNodeInstance(ctx context.Context, deploymentID, id string) (*NodeInstance, error)
	// ListNodeInstances: a non-empty nodeID keeps only that node's instances.
	ListNodeInstances(ctx context.Context, deploymentID, nodeID string) ([]*NodeInstance, error)

	// Install uploads the blueprint at req.Path (or reuses an identical
	// upload), creates the deployment if it does not exist, and starts
	// install. Wait on the returned Run; then read Outputs. The blueprint
	// id defaults to the folder's name, the deployment id to the
	// blueprint's. Inputs for a deployment that exists are refused
	// (ErrConflict): its inputs cannot change.
	Install(ctx context.Context, req InstallRequest) (*InstallStarted, error)
	// Uninstall starts uninstall; when it succeeds the deployment is
	// deleted, and its blueprint too unless req.KeepBlueprint or other
	// deployments use it.
	Uninstall(ctx context.Context, req UninstallRequest) (Run, error)
	// StartExecution starts a workflow of a deployment. Wait on the Run.
	StartExecution(ctx context.Context, req StartRequest) (Run, error)
	// Resume continues a failed, cancelled or interrupted execution,
	// skipping every task recorded as done.
	Resume(ctx context.Context, executionID string, opts ExecOptions) (Run, error)
	// Cancel asks an active execution to stop; ErrConflict if it ended.
	Cancel(ctx context.Context, executionID string, force bool) (*Execution, error)
	// GetExecution returns the execution; one deleted with its deployment
	// (uninstall) is its final record, DeletedAt set, for
	// store.DeletedExecutionTTL after the deletion (its events are kept as
	// long: Events lists them), FollowEvents and WaitExecution end with it.
	GetExecution(ctx context.Context, id string) (*Execution, error)
	// ListExecutions: ordered by creation; a non-empty deploymentID keeps
	// only that deployment's.
	ListExecutions(ctx context.Context, deploymentID string) ([]*Execution, error)
	// Events returns up to limit (<= 0: all) events with Seq > afterSeq
	// (of a deleted execution, those kept with its final record).
	Events(ctx context.Context, executionID string, afterSeq uint64, limit int) ([]*Event, error)
	// EventsJSON appends to dst Events as the JSON array the REST API
	// answers with (byte for byte json.Marshal of those events) and
	// returns it with their number: a server serves a page of stored
	// events without decoding each and encoding it again, into a buffer it
	// reuses.
	EventsJSON(ctx context.Context, executionID string, afterSeq uint64, limit int, dst []byte) ([]byte, int, error)
	// FollowEvents calls fn for every event with Seq > afterSeq, in order,
	// until the execution ends (then it returns the ended execution), ctx
	// ends, or fn returns an error. An execution whose process died ends.
	FollowEvents(ctx context.Context, executionID string, afterSeq uint64, fn func(*Event) error) (*Execution, error)
	// WaitExecution returns the execution once it has ended, ctx.Err()
	// if ctx ends first. It reads no events: waiting for the end is not
	// following (a followed execution commits each event at once).
	WaitExecution(ctx context.Context, executionID string) (*Execution, error)

	// PutSecret stores a secret; ErrExists if it exists and not overwrite.
	PutSecret(ctx context.Context, s *Secret, overwrite bool) error
	// GetSecret returns the secret with its value (admins only on a server).
	GetSecret(ctx context.Context, key string) (*Secret, error)
	// ListSecrets returns secrets without their values.
	ListSecrets(ctx context.Context) ([]*Secret, error)
	DeleteSecret(ctx context.Context, key string) error

	// CreateToken makes an API token of the server whose state this
	// Service holds (admins only on a server) and returns it with the
	// token itself, shown this once.
	CreateToken(ctx context.Context, req CreateTokenRequest) (*CreatedToken, error)
	// ListTokens returns every token ordered by id, without secrets.
	ListTokens(ctx context.Context) ([]*Token, error)
	// RevokeToken revokes a token by id; requests with it are refused.
	RevokeToken(ctx context.Context, id string) (*Token, error)
	// ListAudit returns up to limit (<= 0: all) audit records with
	// Seq > afterSeq, oldest first (admins only on a server).
	ListAudit(ctx context.Context, afterSeq uint64, limit int) ([]*AuditRecord, error)

	// RotateSecretKey re-encrypts every secret value under a new key and
	// replaces the key file with it; it returns how many secrets it
	// re-encrypted. ErrSecretKey when the key comes from
	// $GANTRY_SECRET_KEY (rotated by hand: docs/security.md).
	RotateSecretKey(ctx context.Context) (int, error)

	// CheckStore verifies the state store: the backend's own structure and
	// the references between records. It returns the problems found (none:
	// consistent). A store too damaged to open gives its problems, not an
	// error, when the Service was opened for maintenance.
	CheckStore(ctx context.Context) ([]string, error)
	// BackupStore writes a consistent copy of the store, taken online, to
	// w and returns its size: a bbolt file that can replace the store.
	// ErrInvalid for a store backed up by its own tools (etcd: `etcdctl
	// snapshot save`); ErrDamaged for a damaged store.
	BackupStore(ctx context.Context, w io.Writer) (int64, error)
	// CompactStore rewrites the store without its free space (see
	// store/DESIGN.md); ErrInvalid for a store that compacts itself.
	CompactStore(ctx context.Context) (*CompactResult, error)
	// MigrateStore copies every record of the Service's store into the
	// store req.To names (bbolt file or etcd URL) from one consistent
	// read of the source, then counts the destination's records and runs
	// its check. ErrExists for a destination that holds records (unless
	// req.IntoNonEmpty, and then for one that holds a record of the same
	// id); ErrActiveExecution while an execution has not ended; ErrInvalid
	// remotely and for the store itself as destination.
	MigrateStore(ctx context.Context, req MigrateRequest) (*MigrateResult, error)

	// Close releases what the Service holds (not the server's state).
	Close() error
}

// Run is an execution started through a Service. Events reach
// ExecOptions.OnEvent as they happen.
type Run interface {
	// Execution is the record as it was when the run started.
	Execution() *Execution
	// Progress is a snapshot for live displays.
	Progress() Progress
	// Cancel asks the execution to stop: running operations finish, or with
	// force they are stopped.
	Cancel(force bool)
	// Done is closed when the execution has ended.
	Done() <-chan struct{}
	// Wait waits for the end and returns the final record. The error is
	// non-nil when the execution could not run or what follows a successful
	// workflow failed (applying a scale, deleting after uninstall); a failed
	// or cancelled workflow is told by the record's Status and Error.
	Wait(ctx context.Context) (*Execution, error)
}

// Progress counts an execution's operations.
type Progress struct {
	Operations int           `json:"operations"` // operation tasks in the graph
	Done       int           `json:"done"`       // finished, any outcome
	Running    int           `json:"running"`
	Failed     int           `json:"failed"`
	Elapsed    time.Duration `json:"elapsed_ns"`
}

// ExecOptions tune one execution.
type ExecOptions struct {
	DryRun bool `json:"dry_run,omitempty"`
	// AllowCustomParameters accepts parameters the workflow does not declare.
	AllowCustomParameters bool `json:"allow_custom_parameters,omitempty"`
	// Parallelism, TaskRetries and TaskRetryInterval override the manager's
	// settings when set (TaskRetries: nil keeps the default).
	Parallelism       int           `json:"parallelism,omitempty"`
	TaskRetries       *int          `json:"task_retries,omitempty"`
	TaskRetryInterval time.Duration `json:"task_retry_interval_ns,omitempty"`
	// Queue stores the execution queued for a worker (`gantry worker`,
	// which needs a shared store: etcd) instead of running it in the
	// process that starts it; Wait then follows the stored record. The
	// engine settings above are stored with it (Execution.Engine) and the
	// worker that runs it, or takes it over, uses them instead of its own.
	// A scale or a deployment update is planned again by the worker
	// (same instance ids: the execution id is their seed).
	Queue bool `json:"queue,omitempty"`
	// Follow says the caller follows the execution's events from its
	// start (the remote client does): the engine then commits each event
	// at once from the first, not only once the follower has connected
	// (until then they would wait for the next batch).
	Follow bool `json:"follow,omitempty"`
	// OnEvent sees every event of the run as it happens (not sent over
	// the wire: the remote client calls it from the event stream). In
	// process it is called from the engine's goroutines, concurrently,
	// before the event is stored (Seq is 0).
	OnEvent func(*Event) `json:"-"`
}

// CreateDeploymentRequest creates a deployment of a stored blueprint.
type CreateDeploymentRequest struct {
	ID          string         `json:"id"`
	BlueprintID string         `json:"blueprint_id"`
	Inputs      map[string]any `json:"inputs,omitempty"`
	// Seed makes instance ids reproducible (0: random).
	Seed int64 `json:"seed,omitempty"`
}

// StartRequest starts a workflow.
type StartRequest struct {
	DeploymentID string         `json:"deployment_id"`
	Workflow     string         `json:"workflow_id"`
	Parameters   map[string]any `json:"parameters,omitempty"`
	Options      ExecOptions    `json:"options"`
}

// InstallRequest is `gantry install`.
type InstallRequest struct {
	// Path is the blueprint's main file or folder on the caller's machine.
	Path         string         `json:"-"`
	BlueprintID  string         `json:"blueprint_id,omitempty"`
	DeploymentID string         `json:"deployment_id,omitempty"`
	Inputs       map[string]any `json:"inputs,omitempty"`
	Seed         int64          `json:"seed,omitempty"`
	Options      ExecOptions    `json:"options"`
}

// InstallStarted tells what Install did before the workflow started.
type InstallStarted struct {
	Blueprint *Blueprint `json:"blueprint"`
	// BlueprintReused: an identical upload existed and was kept.
	BlueprintReused bool        `json:"blueprint_reused"`
	Deployment      *Deployment `json:"deployment"`
	// DeploymentCreated: false when the deployment existed already.
	DeploymentCreated bool `json:"deployment_created"`
	Run               Run  `json:"-"`
}

// UninstallRequest is `gantry uninstall`.
type UninstallRequest struct {
	DeploymentID  string      `json:"deployment_id"`
	Force         bool        `json:"force,omitempty"`
	IgnoreFailure bool        `json:"ignore_failure,omitempty"`
	KeepBlueprint bool        `json:"keep_blueprint,omitempty"`
	Options       ExecOptions `json:"options"`
}

// Service modes (Info.Mode).
const (
	// ModeLocal: the Service runs in this process over an embedded store.
	ModeLocal = "local"
	// ModeRemote: the Service is a client of `gantry server`.
	ModeRemote = "remote"
)

// Info describes the Service in use.
type Info struct {
	Version string `json:"version"`
	// Mode is ModeLocal or ModeRemote.
	Mode string `json:"mode"`
	// Store is the store's location (local) or the server's (remote).
	Store string `json:"store"`
	// Profile is the CLI profile in use, if any.
	Profile string `json:"profile,omitempty"`
	// Role is the caller's role on a server.
	Role string `json:"role,omitempty"`
	// Cluster describes the cluster of a store that several processes
	// share (etcd): nil for a bbolt file.
	Cluster *Cluster `json:"cluster,omitempty"`
}

// Cluster is the state of a shared store's cluster: its members, the
// workers registered (`gantry worker`) and the executions claimed, each
// with what remains of its lease.
type Cluster struct {
	Members []Member     `json:"members"`
	Workers []WorkerInfo `json:"workers"`
	Claims  []ClaimInfo  `json:"claims"`
	// Executions are the records of the executions claimed, then of
	// those queued that no worker holds yet, oldest first: at most
	// MaxQueuedShown of these, of Queued in all.
	Executions []*Execution `json:"executions"`
	Queued     int          `json:"queued"`
	// Error says what could not be read (the rest is what could).
	Error string `json:"error,omitempty"`
}

// MaxQueuedShown bounds the queued executions Cluster reads.
const MaxQueuedShown = 100

// ProblemsError carries the problems of an invalid blueprint or inputs.
type ProblemsError struct {
	Path     string         `json:"path"`
	Problems tosca.Problems `json:"problems"`
}
