package workflow

import (
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Defaults.
const (
	DefaultParallelism        = 10
	DefaultFlushInterval      = 50 * time.Millisecond
	DefaultFlushItems         = 1000
	DefaultCancelPollInterval = 250 * time.Millisecond
	DefaultMaxUnrecorded      = 16
	DefaultMaxRecordDelay     = 250 * time.Millisecond
)

// Config configures the engine. The zero value of every field but State
// and Plugins is usable.
type Config struct {
	State   State
	Plugins *plugins.Registry
	// Parallelism bounds the operations running at once (default 10).
	Parallelism int
	// TaskRetries is the retry count of operations without max_retries
	// (-1: forever); TaskRetryInterval their delay between attempts.
	TaskRetries       int
	TaskRetryInterval time.Duration
	// Capability serves get_capability to the engine's evaluator (nil:
	// get_capability fails with a clear error).
	Capability CapabilityFunc
	// Secrets looks up secrets for Evaluate and plugins.
	Secrets plugins.SecretLookup
	// FlushInterval and FlushItems bound how long and how much the engine
	// buffers before writing to the State (defaults 50 ms and 1000).
	FlushInterval time.Duration
	FlushItems    int
	// MaxUnrecorded and MaxRecordDelay bound the write-behind window of
	// ended operations (defaults 16 and 250 ms): while that many ended
	// operations wait for their records to be committed, or the oldest has
	// waited that long, no new operation starts. After a crash, resume
	// re-runs what ran at the crash and at most MaxUnrecorded operations
	// that had ended (see docs/architecture.md, "Write-behind window").
	MaxUnrecorded  int
	MaxRecordDelay time.Duration
	// CancelPollInterval is how often State.CancelRequested is polled
	// (default 250 ms; negative disables polling).
	CancelPollInterval time.Duration
	// MaxOutputLines and MaxOutputBytes bound the log lines one operation
	// attempt turns into events (defaults DefaultMaxOutputLines and
	// DefaultMaxOutputBytes; negative: unbounded). Past either bound lines
	// are dropped, and one warning event says how many.
	MaxOutputLines int
	MaxOutputBytes int
	// OnEvent, when set, sees every event (already redacted) as it is
	// produced, before it is written; it must be fast. The CLI uses it
	// for live progress.
	OnEvent func(Event)
	// Followed, when set, reports whether someone follows the execution's
	// events from the State (a `gantry server` stream) rather than through
	// OnEvent. While it does, a queued event starts a commit at once
	// instead of waiting for FlushInterval: the commits stay one at a
	// time, in order, each taking all that is queued (group commit), so
	// crash safety is unchanged and an event is stored within about one
	// commit's time.
	Followed func(executionID string) bool
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.Parallelism <= 0 {
		out.Parallelism = DefaultParallelism
	}
	if out.FlushInterval <= 0 {
		out.FlushInterval = DefaultFlushInterval
	}
	if out.FlushItems <= 0 {
		out.FlushItems = DefaultFlushItems
	}
	if out.MaxUnrecorded <= 0 {
		out.MaxUnrecorded = DefaultMaxUnrecorded
	}
	if out.MaxRecordDelay <= 0 {
		out.MaxRecordDelay = DefaultMaxRecordDelay
	}
	if out.MaxOutputLines == 0 {
		out.MaxOutputLines = DefaultMaxOutputLines
	}
	if out.MaxOutputBytes == 0 {
		out.MaxOutputBytes = DefaultMaxOutputBytes
	}
	if out.CancelPollInterval == 0 {
		out.CancelPollInterval = DefaultCancelPollInterval
	}
	if out.Plugins == nil {
		out.Plugins = plugins.NewRegistry()
	}
	return out
}

// Request is one execution to run.
type Request struct {
	DeploymentID string
	BlueprintID  string
	ExecutionID  string
	Workflow     string
	Params       map[string]any
	Plan         *tosca.Plan
	// Scale is the deployment modification the scale workflow runs.
	Scale *ScaleChange
	// Update is the change the update workflow applies (a deployment update).
	Update *UpdateChange
	// DryRun walks the graph and reports what would run, without
	// dispatching operations or changing instance states.
	DryRun bool
	// Resume skips the tasks the execution's task records mark completed.
	Resume bool
	// AllowCustomParameters accepts parameters the workflow does not
	// declare (Cloudify's --allow-custom-parameters) instead of refusing
	// them with ErrBadParameter.
	AllowCustomParameters bool
}
