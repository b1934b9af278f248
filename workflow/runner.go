package workflow

import (
	"context"
	"fmt"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

type outcomeKind uint8

const (
	outcomeSucceeded outcomeKind = iota
	outcomeIgnored
	outcomeRetry
	outcomeFailed
	outcomeCancelled
	outcomeRetryDue // a retry's delay has passed
)

// outcome is what a worker reports to the walker.
type outcome struct {
	task    int32
	kind    outcomeKind
	attempt int
	after   time.Duration
	err     error
	ret     any // the operation's result (succeeded)
}

// maxPollInterval bounds the delay between host get_state polls.
const defaultPollInterval = time.Second

// attemptTask runs one attempt of an operation task, records its outcome
// and returns it. A final outcome asks the recorder to commit at once
// (group commit with whatever else is pending), so that a crash re-runs
// an operation only if it ended within one commit latency of the crash.
// Successors are not held back until the commit: batches are committed in
// order, so a successor's record can never be durable without this one.
func (r *run) attemptTask(i int32, attempt int) outcome {
	o := r.attempt(r.g.Tasks[i], attempt)
	o.task = i
	return o
}

// attempt runs one attempt of t (a graph task or one a custom workflow's
// script asked for) and records its outcome.
func (r *run) attempt(t *Task, attempt int) outcome {
	o := outcome{attempt: attempt}
	maxRetries := r.cfg.TaskRetries
	if t.op.MaxRetries != nil {
		maxRetries = *t.op.MaxRetries
	}
	interval := r.cfg.TaskRetryInterval
	if t.op.RetryInterval != nil {
		interval = time.Duration(*t.op.RetryInterval * float64(time.Second))
	}

	r.rec.event(r.taskEvent(t, EventTaskSent, attempt, fmt.Sprintf("sending task %s (%s)", t.Operation, describeOp(t.op))))
	ret, err := r.invoke(t, attempt, maxRetries)

	if err == nil && t.PollUntilTrue && ret != true {
		// Re-run until the host reports it is up, ignoring retry limits.
		if interval <= 0 {
			interval = defaultPollInterval
		}
		r.rec.event(r.taskEvent(t, EventTaskRescheduled, attempt, fmt.Sprintf("%s returned %v: polling again in %s", t.Operation, ret, interval)))
		o.kind, o.after = outcomeRetry, interval
		return o
	}
	if err == nil {
		r.rec.opEnded(TaskRecord{ID: t.ID, Status: TaskSucceeded, Attempts: attempt + 1, Result: ret},
			r.taskEvent(t, EventTaskSucceeded, attempt, fmt.Sprintf("task succeeded %s", t.Operation)))
		o.kind, o.ret = outcomeSucceeded, ret
		return o
	}
	if r.forceCtx.Err() != nil {
		r.rec.event(r.taskEvent(t, EventTaskFailed, attempt, "task stopped by forced cancel", err))
		o.kind, o.err = outcomeCancelled, err
		return o
	}
	retry, isRetry := plugins.AsRetry(err)
	retryable := !plugins.IsNonRecoverable(err) && (maxRetries < 0 || attempt < maxRetries)
	if retryable {
		o.kind, o.after = outcomeRetry, interval
		if isRetry && retry.After > 0 {
			o.after = retry.After
		}
		left := "unlimited"
		if maxRetries >= 0 {
			left = fmt.Sprintf("%d/%d", attempt+1, maxRetries)
		}
		r.rec.event(r.taskEvent(t, EventTaskRescheduled, attempt, fmt.Sprintf("task rescheduled %s in %s (retry %s)", t.Operation, o.after, left), err))
		return o
	}
	if t.IgnoreFailure {
		r.rec.opEnded(TaskRecord{ID: t.ID, Status: TaskIgnored, Attempts: attempt + 1},
			r.taskEvent(t, EventTaskIgnored, attempt, fmt.Sprintf("task failed %s; ignoring the failure", t.Operation), err))
		o.kind = outcomeIgnored
		return o
	}
	r.rec.task(TaskRecord{ID: t.ID, Status: TaskFailed, Attempts: attempt + 1})
	r.rec.poke()
	why := "no retries left"
	if plugins.IsNonRecoverable(err) {
		why = "non-recoverable error"
	}
	r.rec.event(r.taskEvent(t, EventTaskFailed, attempt, fmt.Sprintf("task failed %s (%s)", t.Operation, why), err))
	o.kind, o.err = outcomeFailed, err
	return o
}

// taskEvent builds an event about a task.
func (r *run) taskEvent(t *Task, typ EventType, attempt int, msg string, err ...error) Event {
	e := Event{Type: typ, NodeID: t.NodeID, NodeInstanceID: t.InstanceID, Operation: t.Operation, TaskID: t.ID,
		Attempt: attempt, Message: msg, DryRun: r.req.DryRun}
	if t.Side == SideTarget {
		e.NodeInstanceID = t.TargetInstanceID
		e.NodeID = r.topo.instances[t.TargetInstanceID].NodeID
	}
	if len(err) > 0 && err[0] != nil {
		e.Error = err[0].Error()
	}
	return e
}

// invoke builds the operation context and calls the plugin.
func (r *run) invoke(t *Task, attempt, maxRetries int) (ret any, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = plugins.NonRecoverable(fmt.Errorf("plugin %s panicked: %v", t.op.Plugin, p))
		}
	}()
	oc, out, err := r.opContext(t, attempt, maxRetries)
	if err != nil {
		return nil, err
	}
	defer func() {
		if e, ok := out.truncated(r.taskEvent(t, EventLog, attempt, "")); ok {
			r.rec.event(e)
		}
	}()
	pl, err := r.cfg.Plugins.Lookup(t.op.Plugin)
	if err != nil {
		return nil, plugins.NonRecoverable(err)
	}
	ctx := r.forceCtx
	if oc.Timeout > 0 {
		var cancel context.CancelFunc
		// The plugin enforces the timeout itself; this is the backstop.
		ctx, cancel = context.WithTimeout(ctx, oc.Timeout+5*time.Second)
		defer cancel()
	}
	return pl.Run(ctx, oc)
}

func (r *run) opContext(t *Task, attempt, maxRetries int) (*plugins.Context, *outputCap, error) {
	if t.WorkflowScript {
		oc := r.scriptContext(t, attempt, maxRetries)
		return oc, r.attachLogger(oc, t, attempt), nil
	}
	src := r.topo.instances[t.InstanceID]
	srcNode := r.topo.nodes[src.NodeID]
	oc := r.baseContext(t, attempt, maxRetries)
	oc.Node, oc.Instance, oc.Runtime = srcNode, src, r.insts.get(src.ID).runtime
	if t.op.Timeout != nil && *t.op.Timeout > 0 {
		oc.Timeout = time.Duration(*t.op.Timeout * float64(time.Second))
	}
	scope := tosca.EvalContext{Self: src.ID}
	if t.Side != SideNone {
		tgt, ok := r.topo.instances[t.TargetInstanceID]
		if !ok {
			return nil, nil, plugins.NonRecoverable(fmt.Errorf("relationship target %s of %s is not in the deployment", t.TargetInstanceID, src.ID))
		}
		oc.Relationship = r.topo.relTmpl[src][t.RelIndex]
		oc.Source = &plugins.Endpoint{Node: srcNode, Instance: src, Runtime: oc.Runtime}
		oc.Target = &plugins.Endpoint{Node: r.topo.nodes[tgt.NodeID], Instance: tgt, Runtime: r.insts.get(tgt.ID).runtime}
		if t.Side == SideTarget {
			oc.Node, oc.Instance, oc.Runtime = oc.Target.Node, oc.Target.Instance, oc.Target.Runtime
		}
		scope = tosca.EvalContext{Source: src.ID, Target: tgt.ID}
	}
	if err := r.evalEndpoints(oc); err != nil {
		return nil, nil, err
	}
	if in := r.insts.get(oc.Instance.ID); in != nil {
		in.mu.Lock()
		oc.InstanceState = in.rec.State
		in.mu.Unlock()
	}
	oc.HostIP = r.hostIP(oc.Instance)
	host, err := r.hostEndpoint(oc.Instance)
	if err != nil {
		return nil, nil, err
	}
	oc.Host = host
	inputs := plugins.DeepCopyMap(t.op.Inputs)
	if inputs == nil {
		inputs = map[string]any{}
	}
	for k, v := range t.Kwargs {
		inputs[k] = plugins.DeepCopy(v)
	}
	if t.op.HasIntrinsicFunctions || len(t.Kwargs) > 0 {
		v, err := r.evaluate(inputs, scope)
		if err != nil {
			return nil, nil, plugins.NonRecoverable(fmt.Errorf("evaluate inputs of %s: %w", t.Operation, err))
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, nil, plugins.NonRecoverable(fmt.Errorf("evaluate inputs of %s: evaluator returned %T, not a mapping", t.Operation, v))
		}
		inputs = m
	}
	oc.Inputs = inputs
	return oc, r.attachLogger(oc, t, attempt), nil
}

// attachLogger turns the operation's log lines into events of the task,
// up to the output cap it returns.
func (r *run) attachLogger(oc *plugins.Context, t *Task, attempt int) *outputCap {
	ev := r.taskEvent(t, EventLog, attempt, "")
	out := &outputCap{maxLines: r.cfg.MaxOutputLines, maxBytes: r.cfg.MaxOutputBytes}
	oc.Logger = plugins.LoggerFunc(func(level plugins.Level, msg string) {
		if !out.admit(msg) {
			return
		}
		e := ev
		e.Level, e.Message = string(level), msg
		r.rec.event(e)
	})
	return out
}

// baseContext is what every operation context of the execution holds.
func (r *run) baseContext(t *Task, attempt, maxRetries int) *plugins.Context {
	return &plugins.Context{
		DeploymentID:  r.req.DeploymentID,
		BlueprintID:   r.req.BlueprintID,
		ExecutionID:   r.req.ExecutionID,
		Workflow:      r.req.Workflow,
		BlueprintDir:  r.req.Plan.BlueprintDir,
		OperationName: t.Operation,
		Operation:     t.op,
		Attempt:       attempt,
		MaxRetries:    maxRetries,
		Secrets:       r.secret,
	}
}

// secret looks a secret up and remembers its value for redaction.
func (r *run) secret(ctx context.Context, key string) (string, error) {
	if r.cfg.Secrets == nil {
		return "", fmt.Errorf("secret %q: %w", key, plugins.ErrNoSecrets)
	}
	v, err := r.cfg.Secrets(ctx, key)
	if err != nil {
		return "", err
	}
	r.red.Add(v) // the value, its lines and, for a JSON secret, its parts
	return v, nil
}
