package workflow

import (
	"context"
	"errors"
	"time"
)

// ErrVersionConflict is returned by a State when an instance update carries
// a version that is not the stored one (another writer got there first).
var ErrVersionConflict = errors.New("node instance version conflict")

// ErrNotFound is returned by a State for an unknown execution.
var ErrNotFound = errors.New("not found")

// InstanceRecord is the mutable part of a node instance: its state, its
// runtime properties and the version used for optimistic concurrency.
type InstanceRecord struct {
	ID                string         `json:"id"`
	State             string         `json:"state"`
	RuntimeProperties map[string]any `json:"runtime_properties"`
	Version           int64          `json:"version"`
}

// TaskStatus is the recorded outcome of a task.
type TaskStatus string

// Task statuses recorded for resume.
const (
	TaskSucceeded TaskStatus = "succeeded"
	TaskFailed    TaskStatus = "failed"
	// TaskIgnored is a failed task whose failure was ignored
	// (uninstall with ignore_failure); resume does not run it again.
	TaskIgnored TaskStatus = "failed_ignored"
)

// TaskRecord is what resume needs to know about a task of an execution.
type TaskRecord struct {
	ID       string     `json:"id"`
	Status   TaskStatus `json:"status"`
	Attempts int        `json:"attempts"`
	// Result is the value the operation returned (nil for most).
	Result any       `json:"result,omitempty"`
	Time   time.Time `json:"time"`
}

// Done reports whether resume may skip the task.
func (r TaskRecord) Done() bool { return r.Status == TaskSucceeded || r.Status == TaskIgnored }

// Batch is one atomic write of the engine: instance updates, task records
// and events, in the order they happened. A State must apply a batch
// all-or-nothing (one transaction) so that a crash never leaves a task
// recorded without the state changes that preceded it.
type Batch struct {
	DeploymentID string
	ExecutionID  string
	// Instances holds the latest record of every instance changed since
	// the previous batch. Version is the version the engine last read; the
	// State stores Version+1 and must fail with ErrVersionConflict when
	// the stored version differs.
	Instances []InstanceRecord
	Tasks     []TaskRecord
	Events    []Event
}

// Empty reports whether the batch holds nothing.
func (b *Batch) Empty() bool {
	return len(b.Instances) == 0 && len(b.Tasks) == 0 && len(b.Events) == 0
}

// ExecStatus is an execution's status.
type ExecStatus string

// Execution statuses (the same names the store uses).
const (
	StatusPending    ExecStatus = "pending"
	StatusStarted    ExecStatus = "started"
	StatusCancelling ExecStatus = "cancelling"
	StatusCancelled  ExecStatus = "cancelled"
	StatusFailed     ExecStatus = "failed"
	StatusTerminated ExecStatus = "terminated"
)

// CancelMode says how an execution is asked to stop.
type CancelMode int

// Cancel modes.
const (
	// CancelNone: keep running.
	CancelNone CancelMode = iota
	// CancelGraceful: start no new tasks, let running ones finish.
	CancelGraceful
	// CancelForce: also stop running operations (scripts are killed).
	CancelForce
)

func (m CancelMode) String() string {
	switch m {
	case CancelGraceful:
		return "graceful"
	case CancelForce:
		return "force"
	}
	return "none"
}

// State is everything the engine needs from the store. It is deliberately
// small and batch-oriented; the bbolt store satisfies it through an adapter.
// Implementations must be safe for concurrent use.
type State interface {
	// Instances returns the records of a deployment's node instances.
	// Instances without a record are treated as "uninitialized" with no
	// runtime properties and version 0.
	Instances(ctx context.Context, deploymentID string) ([]InstanceRecord, error)
	// TaskRecords returns the task records of an execution (for resume).
	TaskRecords(ctx context.Context, executionID string) ([]TaskRecord, error)
	// Commit applies a batch atomically.
	Commit(ctx context.Context, b *Batch) error
	// SetExecutionStatus records the execution's status and, for failed
	// executions, its error.
	SetExecutionStatus(ctx context.Context, executionID string, status ExecStatus, errMsg string) error
	// CancelRequested reports whether someone (another process) asked the
	// execution to stop. The engine polls it, unless the State is a
	// CancelWatcher.
	CancelRequested(ctx context.Context, executionID string) (CancelMode, error)
}

// CancelWatcher is a State that pushes cancel requests as they are made
// (an etcd watch), so that the engine does not poll CancelRequested. The
// channel carries the requested mode each time it changes and is closed
// when ctx ends; if it closes earlier (or WatchCancel fails) the engine
// polls again.
type CancelWatcher interface {
	WatchCancel(ctx context.Context, executionID string) (<-chan CancelMode, error)
}
