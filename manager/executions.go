package manager

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
	"github.com/gantryhq/gantry/workflow"
)

// ExecOptions tune one execution.
type ExecOptions = api.ExecOptions

func newID() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// StartExecution runs a workflow of a deployment in this process and
// returns at once; Wait on the Run for the end.
func (m *Manager) StartExecution(ctx context.Context, req api.StartRequest) (api.Run, error) {
	return m.startWorkflow(ctx, req, nil, store.AfterNothing)
}

// asRun keeps a failed start from returning a non-nil Run holding nil.
func asRun(r *Running, err error) (api.Run, error) {
	if err != nil {
		return nil, err
	}
	return r, nil
}

// startWorkflow starts req; after runs when the workflow succeeded (when
// the execution is queued, a worker does what queuedAfter names).
func (m *Manager) startWorkflow(ctx context.Context, sreq api.StartRequest, after afterFunc, queuedAfter string) (api.Run, error) {
	deploymentID, wf, opts := sreq.DeploymentID, sreq.Workflow, sreq.Options
	d, err := m.loadDeployment(ctx, deploymentID)
	if err != nil {
		return nil, err
	}
	def, ok := d.Plan.Workflows[wf]
	if !ok {
		return nil, fmt.Errorf("deployment %s has no workflow %q (it has: %s): %w", deploymentID, wf, strings.Join(workflowNames(d.Plan), ", "), store.ErrNotFound)
	}
	params, err := bindParams(wf, def, sreq.Parameters, opts.AllowCustomParameters)
	if err != nil {
		return nil, err
	}
	if err := workflow.CheckCustomParams(d.Plan, wf, params, opts.AllowCustomParameters); err != nil {
		return nil, err
	}
	queued := m.queues(opts) && !runsInProcess(ctx)
	if queued {
		if err := m.CheckQueue(); err != nil {
			return nil, err
		}
	}
	if err := m.checkNoActive(ctx, deploymentID); err != nil {
		return nil, err
	}
	force := false
	if wf == workflowUninstall {
		force, _ = params["force"].(bool)
		if err := m.checkNoDependents(ctx, deploymentID); err != nil && !force {
			return nil, err
		}
		delete(params, "force")
	}
	req := workflow.Request{DeploymentID: deploymentID, BlueprintID: d.BlueprintID, ExecutionID: newID(), Workflow: wf, Params: params, Plan: d.Plan, DryRun: opts.DryRun, AllowCustomParameters: opts.AllowCustomParameters}
	if queued {
		if wf == workflowScale {
			// Refused now if it cannot be planned; the worker plans it
			// again with the same seed (prepareQueued).
			if _, _, _, err := m.prepareScale(ctx, d, params, scaleRun{dryRun: true, executionID: req.ExecutionID}); err != nil {
				return nil, err
			}
		}
		r, err := m.enqueue(ctx, req, opts, queuedAfter, force)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	var rollback afterFunc
	var apply switchFunc
	if wf == workflowScale {
		var ch *workflow.ScaleChange
		if ch, apply, rollback, err = m.prepareScale(ctx, d, params, scaleRun{dryRun: opts.DryRun, executionID: req.ExecutionID}); err != nil {
			return nil, err
		}
		req.Scale = ch
	}
	r, err := m.createAndStart(ctx, req, opts, after, rollback, apply)
	if err != nil && rollback != nil {
		if rerr := rollback(context.WithoutCancel(ctx)); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return asRun(r, err)
}

// executionRecord is the record of req's execution, as a process that
// runs it and the queue store it: a deployment update holds its new
// blueprint (store.Execution.HeldBlueprint).
func executionRecord(req workflow.Request, opts ExecOptions) *store.Execution {
	e := &store.Execution{ID: req.ExecutionID, DeploymentID: req.DeploymentID, WorkflowID: req.Workflow, Parameters: req.Params, DryRun: opts.DryRun}
	if req.Workflow == workflow.WorkflowUpdate {
		e.TargetBlueprintID = req.BlueprintID
	}
	return e
}

// createAndStart records the execution of req and starts it; rollback (if
// any) runs when the workflow fails or is cancelled, apply (if any) is
// the modification's switch (switch.go).
func (m *Manager) createAndStart(ctx context.Context, req workflow.Request, opts ExecOptions, after, rollback afterFunc, apply switchFunc) (*Running, error) {
	if req.ExecutionID == "" {
		req.ExecutionID = newID()
	}
	e := executionRecord(req, opts)
	e.PID, e.PIDStart, e.Host = os.Getpid(), selfStart, selfHost
	if req.Scale != nil && !opts.DryRun {
		e.ScaleAdded = addedIDs(req.Scale.Added)
	}
	if req.Update != nil && !opts.DryRun {
		e.ScaleAdded = addedIDs(req.Update.Added)
	}
	if err := m.st.CreateExecution(ctx, e); err != nil {
		return nil, err
	}
	if err := m.settleRace(ctx, e, false); err != nil {
		return nil, err
	}
	req.ExecutionID = e.ID
	return m.start(ctx, e, req, opts, nil, after, rollback, apply)
}

// settleRace handles two gantry processes that started an execution of
// the same deployment at the same moment (both passed checkNoActive before
// either had stored its execution): the one created first runs, the other
// is marked failed and refused with ErrActiveExecution. A resumed execution
// (created long ago) yields to any other active one: the other's settleRace
// may not have seen the resume's claim, so at worst both are refused, never
// both run.
func (m *Manager) settleRace(ctx context.Context, mine *store.Execution, resumed bool) error {
	execs, err := m.st.ListExecutions(ctx, mine.DeploymentID)
	if err != nil {
		return err
	}
	for _, other := range execs {
		if other.ID == mine.ID || !other.Status.Active() {
			continue
		}
		first := other.CreatedAt.Before(mine.CreatedAt) || (other.CreatedAt.Equal(mine.CreatedAt) && other.ID < mine.ID)
		if !first && !resumed {
			continue
		}
		m.failClaimed(ctx, mine.ID, fmt.Sprintf("refused: execution %s (%s) of the same deployment started first", other.ID, other.WorkflowID))
		return fmt.Errorf("deployment %s: %w (execution %s, %s, started at the same time); wait for it or cancel it with `gantry executions cancel %s`",
			mine.DeploymentID, ErrActiveExecution, other.ID, other.WorkflowID, other.ID)
	}
	return nil
}

// failClaimed gives back an execution this process claimed but will not run.
func (m *Manager) failClaimed(ctx context.Context, id, msg string) {
	_, _ = m.st.UpdateExecution(context.WithoutCancel(ctx), id, func(x *store.Execution) error {
		setStatus(x, store.ExecutionFailed, msg)
		return nil
	})
}

// start runs a stored execution in a fresh private copy of its blueprint's
// files (datadir.go), removed when the run ends. It runs under the
// execution's claim: cl when the caller holds it already (a worker), else
// claimed here. Every write of the engine goes through the claim. When
// apply is set (a modification's switch, switch.go), it is written with
// the execution's success and after is not used.
func (m *Manager) start(ctx context.Context, e *store.Execution, req workflow.Request, opts ExecOptions, cl store.Claim, after, rollback afterFunc, apply switchFunc) (*Running, error) {
	var sw *switcher
	if apply != nil {
		sw = &switcher{apply: apply}
		after = sw.after
	}
	remove := func() {}
	var err error
	if cl == nil {
		cl, err = m.claim(ctx, e.ID)
	}
	var bp *store.Blueprint
	if err == nil {
		bp, err = m.st.GetBlueprint(ctx, req.BlueprintID)
	}
	if err == nil {
		if req.Update != nil {
			req.Plan.BlueprintDir, remove, err = m.extractForUpdate(ctx, req.DeploymentID, bp, e.ID)
		} else {
			req.Plan.BlueprintDir, remove, err = m.extractBlueprint(ctx, bp, e.ID)
		}
		if err == nil {
			if err = m.extractImported(ctx, req.Plan.NamespacesMapping, req.Plan.BlueprintDir); err != nil {
				remove()
			}
		}
	}
	var ex *workflow.Execution
	if err == nil {
		if opts.Follow {
			m.commits.promise(e.ID)
		}
		cfg := m.engineConfig(req.DeploymentID, cl.Writer(), opts)
		if sw != nil {
			state := *cfg.State.(*storeState)
			state.sw, state.deploymentID = sw, req.DeploymentID
			cfg.State = &state
		}
		if ex, err = workflow.Start(ctx, cfg, req); err != nil {
			remove()
		}
	}
	if err != nil {
		m.commits.ended(e.ID)
		w := m.st
		if cl != nil {
			w = cl.Writer()
			defer func() { _ = cl.Release(context.WithoutCancel(ctx)) }()
		}
		_, _ = w.UpdateExecution(context.WithoutCancel(ctx), e.ID, func(x *store.Execution) error {
			setStatus(x, store.ExecutionFailed, err.Error())
			return nil
		})
		return nil, fmt.Errorf("execution %s (%s of %s): %w", e.ID, req.Workflow, req.DeploymentID, err)
	}
	r := &Running{exec: e, engine: ex, claim: cl, done: make(chan struct{}), cleanup: remove}
	m.mu.Lock()
	m.running[e.ID] = r
	m.mu.Unlock()
	// The run outlives the caller's context (a server's request).
	go r.follow(context.WithoutCancel(ctx), m, after, rollback)
	return r, nil
}

// Resume continues a failed, cancelled or interrupted execution, skipping
// every task that completed.
func (m *Manager) Resume(ctx context.Context, executionID string, opts ExecOptions) (api.Run, error) {
	e, err := m.GetExecution(ctx, executionID) // reaped
	if err != nil {
		return nil, err
	}
	switch {
	case e.Status == store.ExecutionFailed, e.Status == store.ExecutionCancelled:
	case e.Status.Active():
		return nil, fmt.Errorf("execution %s: %w: it is %s in gantry process %d", e.ID, ErrActiveExecution, e.Status, e.PID)
	default:
		return nil, fmt.Errorf("execution %s is %s: %w (only failed, cancelled or interrupted executions resume)", e.ID, e.Status, ErrNotResumable)
	}
	if e.RolledBack {
		return nil, fmt.Errorf("execution %s was rolled back: %w; run the deployment update again", e.ID, ErrNotResumable)
	}
	if !e.DeletedAt.IsZero() {
		return nil, fmt.Errorf("execution %s was deleted with its deployment %s: %w", e.ID, e.DeploymentID, ErrNotResumable)
	}
	if modifies(e.WorkflowID) && switchedBy(ctx, m.st, e.DeploymentID, e.ID) {
		// Its switch was applied but its end not recorded (switch.go).
		_, err := m.st.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
			setStatus(x, store.ExecutionTerminated, "")
			return nil
		})
		return nil, errors.Join(fmt.Errorf("execution %s succeeded (the deployment took its change): %w; it is now recorded terminated", e.ID, ErrNotResumable), err)
	}
	if err := m.checkNoActive(ctx, e.DeploymentID); err != nil {
		return nil, err
	}
	if m.queues(opts) && !runsInProcess(ctx) {
		return m.requeue(ctx, e, opts)
	}
	d, err := m.loadDeployment(ctx, e.DeploymentID)
	if err != nil {
		return nil, err
	}
	// Claim the execution in one store transaction: of two resumes started
	// together, only the first to claim it runs.
	e, err = m.st.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
		if err := reopen(x); err != nil {
			return err
		}
		x.PID, x.PIDStart, x.Host = os.Getpid(), selfStart, selfHost
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := m.settleRace(ctx, e, true); err != nil {
		return nil, err
	}
	// Scripts the dead gantry left must be gone before operations re-run.
	// Their records live in the data folder, which must be ours.
	if _, err := m.privateDataDir(); err != nil {
		m.failClaimed(ctx, e.ID, err.Error())
		return nil, err
	}
	if err := m.scripts.Reap(e.ID); err != nil {
		m.failClaimed(ctx, e.ID, err.Error())
		return nil, err
	}
	// The parameters were checked when the execution started.
	req := workflow.Request{DeploymentID: e.DeploymentID, BlueprintID: d.BlueprintID, ExecutionID: e.ID, Workflow: e.WorkflowID, Params: e.Parameters, Plan: d.Plan, Resume: true, AllowCustomParameters: true}
	var rollback afterFunc
	var apply switchFunc
	if e.WorkflowID == workflow.WorkflowUpdate {
		// The same update again (same new instance ids: the seed is the
		// execution's), over the plan it was not applied to.
		u, err := m.planUpdate(ctx, d, resumedUpdate(e), e.ID)
		if err == nil {
			apply, rollback, err = m.storeUpdate(ctx, m.st, u, true)
		}
		if err != nil {
			m.failClaimed(ctx, e.ID, err.Error())
			return nil, err
		}
		req.BlueprintID, req.Plan, req.Update = u.bp.ID, u.execPlan, u.change
	}
	if e.WorkflowID == workflowScale {
		// The same modification again (same instance ids: the seed is
		// the execution's), over the plan it was not applied to.
		if req.Scale, apply, rollback, err = m.prepareScale(ctx, d, e.Parameters, scaleRun{executionID: e.ID, resume: true, added: e.ScaleAdded}); err != nil {
			m.failClaimed(ctx, e.ID, err.Error())
			return nil, err
		}
	}
	return asRun(m.start(ctx, e, req, opts, nil, nil, rollback, apply))
}

// reopen makes a failed or cancelled execution pending again, in the
// store transaction that resumes it: of two resumes started together,
// the second finds it reopened and is refused.
func reopen(x *store.Execution) error {
	if x.Status != store.ExecutionFailed && x.Status != store.ExecutionCancelled {
		return fmt.Errorf("execution %s: %w: another gantry process (pid %d) resumed it first (it is %s)", x.ID, ErrActiveExecution, x.PID, x.Status)
	}
	x.Status, x.Error, x.EndedAt = store.ExecutionPending, "", time.Time{}
	x.CancelRequested, x.ForceCancel = false, false
	return nil
}

// Cancel asks an execution to stop. When this process runs it, the engine
// is told at once; otherwise the request is recorded and the gantry
// process running it picks it up within a quarter second.
func (m *Manager) Cancel(ctx context.Context, executionID string, force bool) (*store.Execution, error) {
	e, err := m.st.RequestCancel(ctx, executionID, force)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	r := m.running[executionID]
	m.mu.Unlock()
	if r != nil {
		r.Cancel(force)
	}
	return m.reap(ctx, e)
}

// reap returns e as it is now: when it is active but the gantry process
// that ran it is gone, it is marked failed (interrupted) or, if a cancel
// was asked, cancelled.
func (m *Manager) reap(ctx context.Context, e *store.Execution) (*store.Execution, error) {
	// A queued execution whose worker died is taken over by another
	// worker once the claim's lease ends.
	if !e.Status.Active() || e.Queued {
		return e, nil
	}
	// Before the process check (a read of /proc): a follower of a run of
	// this process asks on every commit.
	m.mu.Lock()
	_, mine := m.running[e.ID]
	m.mu.Unlock()
	if mine || processAlive(e.PID, e.PIDStart, e.Host) {
		return e, nil
	}
	pid := e.PID
	// A modification whose switch was applied succeeded (switch.go).
	switched := modifies(e.WorkflowID) && switchedBy(ctx, m.st, e.DeploymentID, e.ID)
	return m.st.UpdateExecution(ctx, e.ID, func(x *store.Execution) error {
		if !x.Status.Active() {
			return nil
		}
		status := store.ExecutionFailed
		msg := fmt.Sprintf("interrupted: the gantry process (pid %d) that ran it is gone; resume it with `gantry executions resume %s`", pid, x.ID)
		switch {
		case switched:
			status, msg = store.ExecutionTerminated, ""
		case x.CancelRequested:
			status, msg = store.ExecutionCancelled, "cancelled (its gantry process is gone)"
		}
		setStatus(x, status, msg)
		return nil
	})
}

// processAlive reports whether the process that ran an execution still
// runs: the pid exists and, where /proc tells, started when that one did.
// A process of another machine (a store shared through etcd) counts as
// alive: only its own machine can tell; one of this machine before its
// last boot is gone.
func processAlive(pid int, start uint64, host string) bool {
	if host != "" && host != selfHost {
		name, _, _ := strings.Cut(host, " ")
		selfName, _, _ := strings.Cut(selfHost, " ")
		return name != selfName
	}
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return start == 0 || start == selfStart
	}
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	if got := processStart(pid); start != 0 && got != 0 && got != start {
		return false // the pid now belongs to another process
	}
	return true
}

// selfStart is this process's start time.
var selfStart = processStart(os.Getpid())

// selfHost names this machine and its current boot: "hostname boot-id".
var selfHost = func() string {
	name, _ := os.Hostname()
	boot, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(name + " " + strings.TrimSpace(string(boot)))
}()

// processStart reads a process's start time (clock ticks since boot) from
// /proc/PID/stat; 0 when unknown.
func processStart(pid int) uint64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces: fields are counted after its ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	fields := strings.Fields(string(b[i+1:]))
	// After ')' come field 3 (state) onwards; starttime is field 22.
	if len(fields) < 20 {
		return 0
	}
	n, err := strconv.ParseUint(fields[19], 10, 64)
	if err != nil {
		return 0
	}
	return n
}

// setStatus updates status and the matching timestamps.
func setStatus(e *store.Execution, status store.ExecutionStatus, errMsg string) {
	now := time.Now().UTC()
	e.Status = status
	if status == store.ExecutionStarted && e.StartedAt.IsZero() {
		e.StartedAt = now
	}
	if status.Terminal() {
		e.EndedAt = now
		e.Error = errMsg
	}
}

// engineConfig configures the engine for an execution whose writes go
// through w (its claim's Writer).
func (m *Manager) engineConfig(deploymentID string, w store.Store, opts ExecOptions) workflow.Config {
	cfg := workflow.Config{
		State:             &storeState{st: m.st, w: w, commits: &m.commits},
		Plugins:           m.registry,
		Parallelism:       m.cfg.Parallelism,
		TaskRetries:       m.cfg.TaskRetries,
		TaskRetryInterval: m.cfg.TaskRetryInterval,
		Capability:        m.capability(deploymentID),
		Secrets:           m.secret,
		OnEvent:           m.eventSink(opts.OnEvent),
		Followed:          m.Followed,
	}
	if opts.Parallelism > 0 {
		cfg.Parallelism = opts.Parallelism
	}
	if opts.TaskRetries != nil {
		cfg.TaskRetries = *opts.TaskRetries
	}
	if opts.TaskRetryInterval > 0 {
		cfg.TaskRetryInterval = opts.TaskRetryInterval
	}
	return cfg
}

func workflowNames(p *tosca.Plan) []string {
	names := make([]string, 0, len(p.Workflows))
	for n := range p.Workflows {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// bindParams checks parameters against the workflow's declaration and
// fills in defaults.
func bindParams(wf string, def *tosca.Workflow, in map[string]any, allowCustom bool) (map[string]any, error) {
	out := make(map[string]any, len(in))
	for k, v := range in {
		if _, ok := def.Parameters[k]; !ok && !allowCustom && !(wf == workflowUninstall && k == "force") {
			known := make([]string, 0, len(def.Parameters))
			for n := range def.Parameters {
				known = append(known, n)
			}
			sort.Strings(known)
			return nil, fmt.Errorf("%w: workflow %s has no parameter %q (it has: %s); pass --allow-custom-parameters to send it anyway",
				ErrBadParameter, wf, k, strings.Join(known, ", "))
		}
		out[k] = v
	}
	for name, pd := range def.Parameters {
		if _, ok := out[name]; ok {
			continue
		}
		if pd.HasDefault || pd.Default != nil {
			out[name] = pd.Default
		}
	}
	return out, nil
}

// prepareScale plans the modification a scale execution runs, stores the
// added instances, and returns what to apply to the deployment after
// success and what rolls the modification back after a failure or a
// cancel (the added instances removed; the plan was never touched).
func (m *Manager) prepareScale(ctx context.Context, d *store.Deployment, params map[string]any, run scaleRun) (ch *workflow.ScaleChange, apply switchFunc, rollback afterFunc, err error) {
	name, err := workflow.ScaleTarget(d.Plan, params)
	if err != nil {
		return nil, nil, nil, err
	}
	delta, err := intParam(params["delta"], 1)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("scale: parameter delta: %w", err)
	}
	if len(run.added) > 0 {
		d.Plan = withoutInstances(d.Plan, run.added)
	}
	mod, err := plan.Modify(d.Plan, []plan.Change{{Name: name, Delta: delta}}, plan.Options{Seed: run.seed()})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("scale %s by %d: %w", name, delta, err)
	}
	byID := make(map[string]*tosca.NodeInstance, len(mod.NodeInstances))
	for _, ni := range mod.NodeInstances {
		byID[ni.ID] = ni
	}
	oldByID := make(map[string]*tosca.NodeInstance, len(d.Plan.NodeInstances))
	for _, ni := range d.Plan.NodeInstances {
		oldByID[ni.ID] = ni
	}
	ch = &workflow.ScaleChange{Added: mod.Added, Removed: mod.Removed}
	for _, ni := range mod.Extended {
		ch.Related = append(ch.Related, byID[ni.ID])
	}
	for _, ni := range mod.Reduced {
		if old := oldByID[ni.ID]; old != nil {
			ch.Related = append(ch.Related, old)
		}
	}
	if run.dryRun {
		return ch, nil, nil, nil
	}
	if run.record != nil {
		if err := run.record(ctx, mod.Added); err != nil {
			return nil, nil, nil, err
		}
	}
	w := run.w
	if w == nil {
		w = m.st
	}
	if len(mod.Added) > 0 {
		if err := storeAdded(ctx, w, d.ID, mod.Added, run.resume); err != nil {
			return nil, nil, nil, fmt.Errorf("scale: %w", err)
		}
		added := addedIDs(mod.Added)
		rollback = func(ctx context.Context) error {
			if err := m.st.DeleteNodeInstances(ctx, d.ID, added); err != nil {
				return fmt.Errorf("scale: rolling back, removing the added instances: %w", err)
			}
			return nil
		}
	}
	executionID := run.executionID
	apply = func(ctx context.Context, tx store.Store) error {
		if err := deleteInstances(ctx, tx, d.ID, mod.Removed); err != nil {
			return fmt.Errorf("scale: removing instances: %w", err)
		}
		if err := storeRelationships(ctx, tx, d.ID, mod, byID); err != nil {
			return fmt.Errorf("scale: %w", err)
		}
		_, err := tx.UpdateDeployment(ctx, d.ID, func(x *store.Deployment) error {
			mod.Apply(x.Plan)
			x.ModifiedBy = executionID
			return nil
		})
		return err
	}
	return ch, apply, rollback, nil
}

// scaleRun says how a scale's modification is prepared: for a dry run
// (nothing stored), a new execution or the resume of one. The instance
// ids are drawn from a seed of the execution's id, so a resume plans the
// same instances.
// storeAdded stores, through w, the instances a modification adds; on
// resume only those not stored yet (an interrupted run stored them
// already; a failed one rolled them back).
func storeAdded(ctx context.Context, w store.Store, depID string, added []*tosca.NodeInstance, resume bool) error {
	if len(added) == 0 {
		return nil
	}
	stored := map[string]bool{}
	if resume {
		insts, err := w.ListNodeInstances(ctx, depID, "")
		if err != nil {
			return err
		}
		for _, ni := range insts {
			stored[ni.ID] = true
		}
	}
	var recs []*store.NodeInstance
	for _, ni := range added {
		if !stored[ni.ID] {
			recs = append(recs, &store.NodeInstance{NodeInstance: *ni, DeploymentID: depID})
		}
	}
	if len(recs) == 0 {
		return nil
	}
	if err := w.CreateNodeInstances(ctx, depID, recs); err != nil {
		return fmt.Errorf("storing new instances: %w", err)
	}
	return nil
}

type scaleRun struct {
	dryRun, resume bool
	executionID    string
	// w stores the added instances: a worker's claim writer (nil: the
	// store).
	w store.Store
	// record, when set, records the added instances before they are
	// stored (a queued run: prepareQueued).
	record func(ctx context.Context, added []*tosca.NodeInstance) error
	// added: on resume, the instances the interrupted run stored
	// (Execution.ScaleAdded), left out of the plan it modifies.
	added []string
}

// withoutInstances is a shallow copy of p without the node instances ids.
func withoutInstances(p *tosca.Plan, ids []string) *tosca.Plan {
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		drop[id] = true
	}
	c := *p
	c.NodeInstances = make([]*tosca.NodeInstance, 0, len(p.NodeInstances))
	for _, ni := range p.NodeInstances {
		if !drop[ni.ID] {
			c.NodeInstances = append(c.NodeInstances, ni)
		}
	}
	return &c
}

func (s scaleRun) seed() int64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s.executionID))
	if v := int64(h.Sum64() >> 1); v != 0 {
		return v
	}
	return 1
}

func intParam(v any, def int) (int, error) {
	switch n := v.(type) {
	case nil:
		return def, nil
	case int:
		return n, nil
	case int64:
		return int(n), nil
	case float64:
		if n != float64(int(n)) {
			return 0, fmt.Errorf("%v is not a whole number", n)
		}
		return int(n), nil
	case string:
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(n, "+"), "%d", &i); err != nil {
			return 0, fmt.Errorf("%q is not a number", n)
		}
		return i, nil
	}
	return 0, fmt.Errorf("%v (%T) is not a number", v, v)
}
