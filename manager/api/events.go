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

// Encodings of a secret's value in its JSON (the "encoding" field): text
// as it is, anything that is not UTF-8 as base64.
const (
	EncodingUTF8   = store.EncodingUTF8
	EncodingBase64 = store.EncodingBase64
)
