package api

import (
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// Event types callers branch on (Event.Type), the engine's own names.
const (
	EventWorkflowStarted   = string(workflow.EventWorkflowStarted)
	EventWorkflowSucceeded = string(workflow.EventWorkflowSucceeded)
	EventWorkflowFailed    = string(workflow.EventWorkflowFailed)
	EventWorkflowCancelled = string(workflow.EventWorkflowCancelled)
	EventTaskSent          = string(workflow.EventTaskSent)
	EventTaskSucceeded     = string(workflow.EventTaskSucceeded)
	EventTaskFailed        = string(workflow.EventTaskFailed)
	EventTaskRescheduled   = string(workflow.EventTaskRescheduled)
	EventTaskIgnored       = string(workflow.EventTaskIgnored)
	EventTaskSkipped       = string(workflow.EventTaskSkipped)
	EventTaskDryRun        = string(workflow.EventTaskDryRun)
	EventStateChanged      = string(workflow.EventStateChanged)
	EventLog               = string(workflow.EventLog)
)

// Execution statuses (Execution.Status).
const (
	ExecutionPending    = store.ExecutionPending
	ExecutionStarted    = store.ExecutionStarted
	ExecutionCancelling = store.ExecutionCancelling
	ExecutionCancelled  = store.ExecutionCancelled
	ExecutionFailed     = store.ExecutionFailed
	ExecutionTerminated = store.ExecutionTerminated
)

// Secret visibilities (Secret.Visibility).
const (
	VisibilityPrivate = store.VisibilityPrivate
	VisibilityTenant  = store.VisibilityTenant
	VisibilityGlobal  = store.VisibilityGlobal
)
