package workflow

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/internal/secretmask"
	"github.com/gantryhq/gantry/tosca"
)

// ErrCancelled is the error of a cancelled execution.
var ErrCancelled = errors.New("execution cancelled")

// TaskError is the error of an execution that failed because a task failed.
type TaskError struct {
	TaskID     string
	Workflow   string
	Operation  string
	InstanceID string
	NodeID     string
	Attempts   int
	Err        error
}

func (e *TaskError) Error() string {
	if e.InstanceID == "" {
		return fmt.Sprintf("workflow %s failed: its script failed (attempt %d): %v", e.Workflow, e.Attempts, e.Err)
	}
	return fmt.Sprintf("workflow %s failed: operation %s on node instance %s failed (attempt %d): %v",
		e.Workflow, e.Operation, e.InstanceID, e.Attempts, e.Err)
}

func (e *TaskError) Unwrap() error { return e.Err }

// Result summarises a finished execution.
type Result struct {
	Status ExecStatus
	// Err is nil when Status is terminated; a *TaskError, ErrCancelled or
	// a State error otherwise.
	Err error
	// Task counts: graph size, and operations by outcome.
	Tasks      int
	Operations int
	Succeeded  int
	Failed     int
	Ignored    int
	Skipped    int // completed by an earlier run (resume)
	Retries    int
	Duration   time.Duration
}

// Progress is a snapshot of a running execution.
type Progress struct {
	Operations int // operation tasks in the graph
	Done       int // operation tasks finished (any outcome)
	Running    int
	Failed     int
	Elapsed    time.Duration
}

// Execution is a running execution.
type Execution struct {
	g      *Graph
	cancel chan CancelMode
	done   chan struct{}
	res    *Result
	start  time.Time

	opsDone, opsRunning, opsFailed atomic.Int64
}

// Graph returns the execution's task graph.
func (e *Execution) Graph() *Graph { return e.g }

// Cancel asks the execution to stop: gracefully (no new tasks, running
// ones finish) or by force (running operations are stopped too). It does
// not wait; a second, forced Cancel escalates a graceful one.
func (e *Execution) Cancel(mode CancelMode) {
	if mode == CancelNone {
		return
	}
	select {
	case e.cancel <- mode:
	case <-e.done:
	}
}

// Done is closed when the execution has ended.
func (e *Execution) Done() <-chan struct{} { return e.done }

// Wait waits for the execution to end and returns its result and error
// (the same as Result.Err).
func (e *Execution) Wait() (*Result, error) {
	<-e.done
	return e.res, e.res.Err
}

// Progress returns a snapshot of the execution's progress.
func (e *Execution) Progress() Progress {
	return Progress{
		Operations: e.g.OperationCount(),
		Done:       int(e.opsDone.Load()),
		Running:    int(e.opsRunning.Load()),
		Failed:     int(e.opsFailed.Load()),
		Elapsed:    time.Since(e.start),
	}
}

// Run starts an execution and waits for it. Cancelling ctx cancels the
// execution gracefully.
func Run(ctx context.Context, cfg Config, req Request) (*Result, error) {
	ex, err := Start(ctx, cfg, req)
	if err != nil {
		return nil, err
	}
	return ex.Wait()
}

// Start loads the instances, builds the workflow's graph and starts
// walking it. Errors before the walk starts (bad parameters, unreadable
// state) are returned; later ones end up in the Result. Cancelling ctx
// cancels the execution gracefully.
func Start(ctx context.Context, cfg Config, req Request) (*Execution, error) {
	c := cfg.withDefaults()
	if c.State == nil {
		return nil, fmt.Errorf("start %s: no State configured", req.Workflow)
	}
	if req.ExecutionID == "" || req.DeploymentID == "" {
		return nil, fmt.Errorf("start %s: deployment and execution ids are required", req.Workflow)
	}
	topo, err := newTopology(req.Plan, req.Scale.instances(), req.Update.instances(req.Plan))
	if err != nil {
		return nil, err
	}
	r := &run{cfg: c, req: req, topo: topo, red: &secretmask.Set{}, haltedCh: make(chan struct{})}
	bg := context.WithoutCancel(ctx)
	insts, err := loadInstances(bg, c.State, req.DeploymentID, topo, func(id string) { r.rec.markDirty(id) })
	if err != nil {
		return nil, err
	}
	r.insts = insts
	g, err := BuildGraph(BuildOptions{Plan: req.Plan, Workflow: req.Workflow, Params: req.Params, States: insts.states(), Scale: req.Scale, Update: req.Update, AllowCustomParameters: req.AllowCustomParameters})
	if err != nil {
		return nil, err
	}
	r.g = g
	if req.Resume {
		recs, err := c.State.TaskRecords(bg, req.ExecutionID)
		if err != nil {
			return nil, fmt.Errorf("resume %s: load task records: %w", req.ExecutionID, err)
		}
		r.done = make(map[string]TaskRecord, len(recs))
		for _, t := range recs {
			if t.Done() {
				r.done[t.ID] = t
			}
		}
	}
	if err := c.State.SetExecutionStatus(bg, req.ExecutionID, StatusStarted, ""); err != nil {
		return nil, fmt.Errorf("start execution %s: %w", req.ExecutionID, err)
	}
	r.rec = newRecorder(bg, c.State, Event{DeploymentID: req.DeploymentID, ExecutionID: req.ExecutionID, Workflow: req.Workflow}, insts, !req.DryRun, &c, r.red)
	ex := &Execution{g: g, cancel: make(chan CancelMode), done: make(chan struct{}), start: time.Now()}
	r.ex = ex
	go r.walk(ctx, bg)
	return ex, nil
}

// run is the walker's state; only the walk goroutine touches the
// scheduling fields.
type run struct {
	cfg   Config
	req   Request
	topo  *topology
	g     *Graph
	insts *instanceTable
	rec   *recorder
	red   *secretmask.Set
	ex    *Execution
	done  map[string]TaskRecord // resume: completed earlier
	props nodeProps             // node properties with runtime functions
	// custom holds what a custom workflow's operations share; halted is
	// set (and haltedCh closed) once the walk starts no new task, for the
	// script's requests, which come from other goroutines.
	custom     customOps
	halted     atomic.Bool
	haltedCh   chan struct{}
	haltedOnce sync.Once

	forceCtx context.Context
	indeg    []int32
	attempts []int32
	ready    taskHeap // cheap tasks
	readyOps taskHeap // operations
	running  int
	timers   map[int32]*time.Timer
	results  chan outcome
	quit     chan struct{}
	stopping bool
	failure  *TaskError
	cancel   CancelMode
	res      Result
	// completed counts tasks whose successors were released.
	completed int
}

// taskHeap orders ready tasks by build order, which keeps walks
// deterministic where the graph allows.
type taskHeap []int32

func (h taskHeap) Len() int           { return len(h) }
func (h taskHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h taskHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)        { *h = append(*h, x.(int32)) }
func (h *taskHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (r *run) walk(ctx, bg context.Context) {
	start := time.Now()
	forceCtx, force := context.WithCancel(bg)
	defer force()
	r.forceCtx = forceCtx
	r.indeg = make([]int32, len(r.g.Tasks))
	r.attempts = make([]int32, len(r.g.Tasks))
	r.timers = map[int32]*time.Timer{}
	r.results = make(chan outcome, r.cfg.Parallelism+1)
	r.quit = make(chan struct{})
	r.res.Tasks = len(r.g.Tasks)
	r.res.Operations = r.g.OperationCount()
	for i, t := range r.g.Tasks {
		r.indeg[i] = int32(len(t.deps))
		if len(t.deps) == 0 {
			r.push(int32(i))
		}
	}
	msg := fmt.Sprintf("starting workflow %s (%d tasks, %d operations)", r.req.Workflow, r.res.Tasks, r.res.Operations)
	if r.req.DryRun {
		msg += " [dry run]"
	}
	if r.req.Resume {
		msg += fmt.Sprintf(", resuming (%d tasks completed earlier)", len(r.done))
	}
	r.rec.event(Event{Type: EventWorkflowStarted, Message: msg, DryRun: r.req.DryRun})

	// Cancel requests from other processes: watched where the State can,
	// else polled.
	var poll <-chan time.Time
	var ticker *time.Ticker
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	startPolling := func() {
		if r.cfg.CancelPollInterval > 0 && ticker == nil {
			ticker = time.NewTicker(r.cfg.CancelPollInterval)
			poll = ticker.C
		}
	}
	var watched <-chan CancelMode
	if cw, ok := r.cfg.State.(CancelWatcher); ok {
		wctx, stopWatch := context.WithCancel(bg)
		defer stopWatch()
		if ch, err := cw.WatchCancel(wctx, r.req.ExecutionID); err == nil && ch != nil {
			watched = ch
		}
	}
	if watched == nil {
		startPolling()
	}
	pollRes := make(chan CancelMode, 1)
	polling := false
	ctxDone := ctx.Done()

	for {
		r.dispatch()
		if err := r.rec.failed(); err != nil && !r.stopping {
			r.stop()
		}
		if r.running == 0 && len(r.timers) == 0 && (r.stopping || len(r.ready)+len(r.readyOps) == 0) {
			break
		}
		select {
		case o := <-r.results:
			r.handle(o)
		case <-r.rec.committed: // the write-behind backlog shrank
		case <-ctxDone:
			ctxDone = nil
			r.requestCancel(CancelGraceful, force)
		case m := <-r.ex.cancel:
			r.requestCancel(m, force)
		case m, ok := <-watched:
			if !ok {
				watched = nil
				startPolling()
				continue
			}
			r.requestCancel(m, force)
		case m := <-pollRes:
			polling = false
			r.requestCancel(m, force)
		case <-poll:
			if !polling {
				polling = true
				go func() {
					m, err := r.cfg.State.CancelRequested(bg, r.req.ExecutionID)
					if err != nil {
						m = CancelNone
					}
					pollRes <- m
				}()
			}
		}
	}
	close(r.quit)
	r.finish(start)
}

// requestCancel records a cancel request; force also stops running operations.
func (r *run) requestCancel(m CancelMode, force context.CancelFunc) {
	if m == CancelNone || m <= r.cancel {
		return
	}
	if r.cancel == CancelNone {
		r.rec.event(Event{Type: EventWorkflowCancelled, Message: fmt.Sprintf("cancel requested (%s): no new tasks will start", m)})
	}
	r.cancel = m
	r.stop()
	if m == CancelForce {
		r.rec.event(Event{Type: EventWorkflowCancelled, Message: "forced cancel: stopping running operations"})
		force()
	}
}

// stop starts no new tasks and drops pending retries.
func (r *run) stop() {
	r.stopping = true
	r.halted.Store(true)
	r.haltedOnce.Do(func() { close(r.haltedCh) })
	for i, t := range r.timers {
		t.Stop()
		delete(r.timers, i)
	}
}

// dispatch starts ready tasks while allowed: cheap tasks (states, NOPs,
// tasks completed earlier) run inline, operations start while fewer than
// Parallelism run.
func (r *run) dispatch() {
	for !r.stopping {
		if len(r.ready) > 0 {
			r.runTask(heap.Pop(&r.ready).(int32))
			continue
		}
		if len(r.readyOps) > 0 && r.running < r.cfg.Parallelism && !r.rec.backlogFull(r.cfg.MaxUnrecorded, r.cfg.MaxRecordDelay) {
			r.runTask(heap.Pop(&r.readyOps).(int32))
			continue
		}
		return
	}
}

// push makes a task ready.
func (r *run) push(i int32) {
	t := r.g.Tasks[i]
	if t.Kind == KindOperation && !r.done[t.ID].Done() {
		heap.Push(&r.readyOps, i)
		return
	}
	heap.Push(&r.ready, i)
}

func (r *run) runTask(i int32) {
	t := r.g.Tasks[i]
	if rec, ok := r.done[t.ID]; ok {
		if t.Kind == KindOperation {
			r.res.Skipped++
			r.ex.opsDone.Add(1)
			r.rec.event(r.taskEvent(t, EventTaskSkipped, int(rec.Attempts), "completed in an earlier run: not run again"))
		}
		r.complete(i)
		return
	}
	switch t.Kind {
	case KindNop:
		r.complete(i)
	case KindSetState:
		if !r.req.DryRun {
			in := r.insts.get(t.InstanceID)
			in.setState(t.State)
			r.rec.markDirty(t.InstanceID)
			r.rec.task(TaskRecord{ID: t.ID, Status: TaskSucceeded, Attempts: 1})
		}
		r.rec.event(Event{Type: EventStateChanged, NodeID: t.NodeID, NodeInstanceID: t.InstanceID, TaskID: t.ID, State: t.State,
			Message: fmt.Sprintf("node instance %s: %s", t.InstanceID, t.State), DryRun: r.req.DryRun})
		r.complete(i)
	case KindOperation:
		if r.req.DryRun {
			r.rec.event(r.taskEvent(t, EventTaskDryRun, 0, fmt.Sprintf("would run %s (plugin %s)", describeOp(t.op), t.op.Plugin)))
			r.ex.opsDone.Add(1)
			r.res.Succeeded++
			r.complete(i)
			return
		}
		r.running++
		r.ex.opsRunning.Add(1)
		attempt := int(r.attempts[i])
		go func() {
			o := r.attemptTask(i, attempt)
			r.results <- o
		}()
	}
}

func describeOp(op *tosca.Operation) string {
	if op.ScriptPath != "" {
		return op.ScriptPath
	}
	if op.Implementation != "" {
		return op.Implementation
	}
	return op.Operation
}

func (r *run) complete(i int32) {
	r.completed++
	for _, s := range r.g.Tasks[i].succ {
		r.indeg[s]--
		if r.indeg[s] == 0 {
			r.push(s)
		}
	}
}

// handle applies an operation attempt's outcome.
func (r *run) handle(o outcome) {
	t := r.g.Tasks[o.task]
	switch o.kind {
	case outcomeRetryDue:
		delete(r.timers, o.task)
		if !r.stopping {
			r.push(o.task)
		}
		return
	}
	r.running--
	r.ex.opsRunning.Add(-1)
	switch o.kind {
	case outcomeSucceeded:
		r.res.Succeeded++
		r.ex.opsDone.Add(1)
		r.complete(o.task)
	case outcomeIgnored:
		r.res.Ignored++
		r.ex.opsDone.Add(1)
		r.complete(o.task)
	case outcomeRetry:
		r.attempts[o.task]++
		r.res.Retries++
		if r.stopping {
			return
		}
		due := o.task
		tm := time.AfterFunc(o.after, func() {
			select {
			case r.results <- outcome{task: due, kind: outcomeRetryDue}:
			case <-r.quit:
			}
		})
		r.timers[o.task] = tm
	case outcomeFailed:
		if errCancelledScript(t, r.cancel) {
			// The script failed because the execution was cancelled
			// under it: the execution is cancelled, not failed.
			return
		}
		r.res.Failed++
		r.ex.opsDone.Add(1)
		r.ex.opsFailed.Add(1)
		if r.failure == nil {
			r.failure = &TaskError{TaskID: t.ID, Workflow: r.req.Workflow, Operation: t.Operation, InstanceID: t.InstanceID, NodeID: t.NodeID,
				Attempts: o.attempt + 1, Err: errors.New(r.red.String(o.err.Error()))}
			if t.Side != SideNone {
				r.failure.Operation = fmt.Sprintf("%s (%s side of relationship to %s)", t.Operation, t.Side, t.TargetInstanceID)
			}
		}
		r.stop()
	case outcomeCancelled:
		// Forced cancel stopped it; it is neither done nor failed.
	}
}

// finish writes the final status.
func (r *run) finish(start time.Time) {
	res := &r.res
	res.Duration = time.Since(start)
	r.custom.addTo(res)
	var errMsg string
	switch {
	case r.failure != nil:
		res.Status, res.Err = StatusFailed, r.failure
	case r.rec.failed() != nil:
		res.Status, res.Err = StatusFailed, r.rec.failed()
	case r.cancel != CancelNone:
		res.Status, res.Err = StatusCancelled, ErrCancelled
	case r.completed != len(r.g.Tasks):
		res.Status, res.Err = StatusFailed, fmt.Errorf("workflow %s stalled: %d of %d tasks completed", r.req.Workflow, r.completed, len(r.g.Tasks))
	default:
		res.Status = StatusTerminated
	}
	if res.Err != nil {
		errMsg = r.red.String(res.Err.Error())
	}
	summary := fmt.Sprintf("%d operations: %d succeeded, %d failed, %d failures ignored, %d skipped (done earlier), %d retries, in %s",
		res.Operations, res.Succeeded, res.Failed, res.Ignored, res.Skipped, res.Retries, res.Duration.Round(time.Millisecond))
	switch res.Status {
	case StatusTerminated:
		r.rec.event(Event{Type: EventWorkflowSucceeded, Message: fmt.Sprintf("workflow %s succeeded: %s", r.req.Workflow, summary), DryRun: r.req.DryRun})
	case StatusFailed:
		r.rec.event(Event{Type: EventWorkflowFailed, Message: fmt.Sprintf("workflow %s failed: %s", r.req.Workflow, summary), Error: errMsg})
	case StatusCancelled:
		r.rec.event(Event{Type: EventWorkflowCancelled, Message: fmt.Sprintf("workflow %s cancelled: %s", r.req.Workflow, summary)})
	}
	if err := r.rec.close(); err != nil && res.Err == nil {
		res.Status, res.Err = StatusFailed, err
		errMsg = err.Error()
	}
	if err := r.cfg.State.SetExecutionStatus(context.Background(), r.req.ExecutionID, res.Status, errMsg); err != nil && res.Err == nil {
		res.Status, res.Err = StatusFailed, fmt.Errorf("record execution status: %w", err)
	}
	r.ex.res = res
	close(r.ex.done)
}
