package workflow

import "time"

// EventType names what an event reports.
type EventType string

// Event types.
const (
	EventWorkflowStarted   EventType = "workflow_started"
	EventWorkflowSucceeded EventType = "workflow_succeeded"
	EventWorkflowFailed    EventType = "workflow_failed"
	EventWorkflowCancelled EventType = "workflow_cancelled"
	EventTaskSent          EventType = "task_sent"
	EventTaskSucceeded     EventType = "task_succeeded"
	EventTaskFailed        EventType = "task_failed"
	EventTaskRescheduled   EventType = "task_rescheduled"
	EventTaskIgnored       EventType = "task_failure_ignored"
	EventTaskSkipped       EventType = "task_skipped"  // resume: completed in an earlier run
	EventTaskDryRun        EventType = "task_dry_run"  // dry run: would run
	EventStateChanged      EventType = "state_changed" // node instance state
	EventLog               EventType = "log"           // plugin log line
)

// Event is one entry of an execution's event stream. Seq is assigned by
// the State when the event is stored.
type Event struct {
	Seq            int64     `json:"seq,omitempty"`
	Time           time.Time `json:"time"`
	Type           EventType `json:"type"`
	DeploymentID   string    `json:"deployment_id"`
	ExecutionID    string    `json:"execution_id"`
	Workflow       string    `json:"workflow,omitempty"`
	NodeID         string    `json:"node_id,omitempty"`
	NodeInstanceID string    `json:"node_instance_id,omitempty"`
	Operation      string    `json:"operation,omitempty"`
	// TaskID is the task's stable id in the graph.
	TaskID string `json:"task_id,omitempty"`
	// Level is set on log events (debug, info, warning, error).
	Level   string `json:"level,omitempty"`
	Message string `json:"message,omitempty"`
	Error   string `json:"error,omitempty"`
	// State is the new node instance state of a state_changed event.
	State   string `json:"state,omitempty"`
	Attempt int    `json:"attempt,omitempty"`
	DryRun  bool   `json:"dry_run,omitempty"`
}
