package workflow

import (
	"sort"
	"strings"
	"sync"
	"time"
)

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

// redactor replaces secret values with a mask in event text.
type redactor struct {
	mu      sync.RWMutex
	secrets map[string]struct{}
	r       *strings.Replacer
}

const secretMask = "******"

func (r *redactor) add(secret string) {
	if secret == "" {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.secrets[secret]; ok {
		return
	}
	if r.secrets == nil {
		r.secrets = map[string]struct{}{}
	}
	r.secrets[secret] = struct{}{}
	// Longest first, so that a secret containing another is masked whole.
	list := make([]string, 0, len(r.secrets))
	for s := range r.secrets {
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return len(list[i]) > len(list[j]) })
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, secretMask)
	}
	r.r = strings.NewReplacer(pairs...)
}

func (r *redactor) redact(s string) string {
	if s == "" {
		return s
	}
	r.mu.RLock()
	rep := r.r
	r.mu.RUnlock()
	if rep == nil {
		return s
	}
	return rep.Replace(s)
}
