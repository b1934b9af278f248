package server

import (
	"net/url"
	"strings"

	"github.com/gantryhq/gantry/manager/api"
)

// Prefix is the versioned root of every route.
const Prefix = "/api/v1"

// Paths, as patterns ({name} is a path segment; see PathOf).
const (
	PathHealth           = Prefix + "/health"
	PathVersion          = Prefix + "/version"
	PathOpenAPI          = Prefix + "/openapi.json"
	PathBlueprints       = Prefix + "/blueprints"
	PathBlueprint        = Prefix + "/blueprints/{id}"
	PathDeployments      = Prefix + "/deployments"
	PathDeployment       = Prefix + "/deployments/{id}"
	PathDeploymentPlan   = Prefix + "/deployments/{id}/plan"
	PathOutputs          = Prefix + "/deployments/{id}/outputs"
	PathCapabilities     = Prefix + "/deployments/{id}/capabilities"
	PathNodeInstances    = Prefix + "/deployments/{id}/node-instances"
	PathNodeInstance     = Prefix + "/deployments/{id}/node-instances/{instance}"
	PathUninstall        = Prefix + "/deployments/{id}/uninstall"
	PathDeploymentUpdate = Prefix + "/deployments/{id}/update"
	PathDependencies     = Prefix + "/dependencies"
	PathInstall          = Prefix + "/install"
	PathExecutions       = Prefix + "/executions"
	PathExecution        = Prefix + "/executions/{id}"
	PathExecutionCancel  = Prefix + "/executions/{id}/cancel"
	PathExecutionResume  = Prefix + "/executions/{id}/resume"
	PathExecutionProg    = Prefix + "/executions/{id}/progress"
	PathExecutionWait    = Prefix + "/executions/{id}/wait"
	PathEvents           = Prefix + "/executions/{id}/events"
	PathEventStream      = Prefix + "/executions/{id}/events/stream"
	PathSecrets          = Prefix + "/secrets"
	PathSecret           = Prefix + "/secrets/{key}"
	PathTokens           = Prefix + "/tokens"
	PathTokenRevoke      = Prefix + "/tokens/{id}/revoke"
	PathAudit            = Prefix + "/audit"
	pathSegmentSeparator = "/"
)

// Query parameters.
const (
	ParamAfter        = "after"
	ParamLimit        = "limit"
	ParamWait         = "wait"    // long poll: how long to wait for events (Go duration)
	ParamTimeout      = "timeout" // GET .../wait
	ParamForce        = "force"
	ParamOverwrite    = "overwrite"
	ParamMain         = "main"   // the main file of an upload (default blueprint.yaml)
	ParamSource       = "source" // the uploader's folder, for messages
	ParamBlueprintID  = "blueprint_id"
	ParamDeploymentID = "deployment_id"
	ParamNodeID       = "node_id"
	ParamSourceDep    = "source_deployment_id"
	ParamTargetDep    = "target_deployment_id"
)

// Headers, content types, multipart parts and SSE event names.
const (
	HeaderLastEventID = "Last-Event-ID"
	// HeaderEnded is set ("true") on a long poll answered because the
	// execution ended.
	HeaderEnded        = "Gantry-Execution-Ended"
	ContentJSON        = "application/json"
	ContentTarGz       = "application/gzip"
	ContentZip         = "application/zip"
	ContentYAML        = "application/yaml"
	ContentMultipart   = "multipart/form-data"
	ContentEventStream = "text/event-stream"
	// PartRequest and PartBlueprint are the parts of POST /install, in
	// this order: the InstallBody as JSON, then the blueprint upload.
	PartRequest   = "request"
	PartBlueprint = "blueprint"
	// SSE event names: one "event" per api.Event (id: its seq), then
	// "end" with the ended execution, or "error" with an api.Error.
	SSEEvent = "event"
	SSEEnd   = "end"
	SSEError = "error"
)

// InstallBody is the request part of POST /install.
type InstallBody struct {
	api.InstallRequest
	// MainFile is the main file's name in the upload (default blueprint.yaml).
	MainFile string `json:"main_file,omitempty"`
	// Source is the uploader's folder, for messages.
	Source string `json:"source,omitempty"`
}

// UpdateBody is the request part of POST /deployments/{id}/update when it
// carries a blueprint upload (multipart/form-data: this part, then the
// blueprint part); without one the body is the api.UpdateDeploymentRequest.
type UpdateBody struct {
	api.UpdateDeploymentRequest
	// MainFile is the main file's name in the upload (default blueprint.yaml).
	MainFile string `json:"main_file,omitempty"`
	// Source is the uploader's folder or archive, for messages.
	Source string `json:"source,omitempty"`
}

// InstallResponse answers POST /install.
type InstallResponse struct {
	*api.InstallStarted
	Execution *api.Execution `json:"execution"`
}

// WaitResponse answers GET /executions/{id}/wait.
type WaitResponse struct {
	// Done is false when the timeout passed first.
	Done      bool           `json:"done"`
	Execution *api.Execution `json:"execution"`
	// Error is what followed the workflow and failed (see api.Run.Wait).
	Error *api.Error `json:"error,omitempty"`
}

// Health answers GET /health.
type Health struct {
	Status string `json:"status"`
}

// Health statuses.
const (
	HealthOK       = "ok"
	HealthStopping = "stopping"
)

// PathOf fills a path pattern's {segments} with values, in order, escaped.
func PathOf(pattern string, values ...string) string {
	parts := strings.Split(pattern, pathSegmentSeparator)
	for i, p := range parts {
		if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") && len(values) > 0 {
			parts[i] = url.PathEscape(values[0])
			values = values[1:]
		}
	}
	return strings.Join(parts, pathSegmentSeparator)
}
