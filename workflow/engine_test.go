package workflow

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/internal/secretmask"
	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// wide returns a plan of n independent nodes with one create op each.
func wide(n int, inputs func(i int) map[string]any) *tosca.Plan {
	b := newPlan()
	for i := 0; i < n; i++ {
		var in map[string]any
		if inputs != nil {
			in = inputs(i)
		}
		b.node(fmt.Sprintf("n%02d", i), rootTypes, map[string]*tosca.Operation{opCreate: op("rec", in), opStart: op("rec", nil)}, 1)
	}
	return b.p
}

func TestParallelismIsBounded(t *testing.T) {
	for _, par := range []int{1, 3, 10} {
		t.Run(fmt.Sprint(par), func(t *testing.T) {
			rec := newRecPlugin()
			cfg := testConfig(t, NewMemState(), rec)
			cfg.Parallelism = par
			p := wide(12, func(int) map[string]any { return map[string]any{"sleep": 0.02} })
			_, err := runWF(t, cfg, p, WorkflowInstall, nil)
			require.NoError(t, err)
			assert.Equal(t, par, rec.peak, "peak concurrency")
			assert.Len(t, rec.ran(), 24)
		})
	}
}

// On failure no new task starts, running ones finish and are recorded.
func TestFailureLetsRunningTasksFinish(t *testing.T) {
	rec := newRecPlugin()
	st := NewMemState()
	cfg := testConfig(t, st, rec)
	p := wide(2, func(i int) map[string]any {
		if i == 0 {
			return map[string]any{"fail_count": 1000, "non_recoverable": true}
		}
		return map[string]any{"sleep": 0.3}
	})
	res, err := runWF(t, cfg, p, WorkflowInstall, nil)
	var te *TaskError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "n00_1", te.InstanceID)
	assert.Equal(t, opCreate, te.Operation)
	assert.Equal(t, 1, te.Attempts)
	assert.Equal(t, StatusFailed, res.Status)
	// n01's create was running: it finished and was recorded; its start never ran.
	assert.Equal(t, []string{"n01_1:create"}, rec.ran())
	recs, _ := st.TaskRecords(context.Background(), lastExec())
	status := map[string]TaskStatus{}
	for _, r := range recs {
		status[r.ID] = r.Status
	}
	assert.Equal(t, TaskSucceeded, status["install/n01_1/"+opCreate])
	assert.Equal(t, TaskFailed, status["install/n00_1/"+opCreate])
	_, ok := status["install/n01_1/"+opStart]
	assert.False(t, ok)
	s, msg := st.Status(lastExec())
	assert.Equal(t, StatusFailed, s)
	assert.Contains(t, msg, "n00_1")
	assert.Len(t, eventsOf(st, lastExec(), EventWorkflowFailed), 1)
}

func TestCancelGraceful(t *testing.T) {
	tests := []struct {
		name   string
		cancel func(ex *Execution, st *MemState, ctxCancel context.CancelFunc)
	}{
		{"Execution.Cancel", func(ex *Execution, _ *MemState, _ context.CancelFunc) { ex.Cancel(CancelGraceful) }},
		{"context", func(_ *Execution, _ *MemState, c context.CancelFunc) { c() }},
		{"state flag from another process", func(_ *Execution, st *MemState, _ context.CancelFunc) { st.RequestCancel(lastExec(), CancelGraceful) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecPlugin()
			st := NewMemState()
			cfg := testConfig(t, st, rec)
			cfg.Parallelism = 2
			p := wide(4, func(int) map[string]any { return map[string]any{"sleep": 0.3} })
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			execSeq++
			ex, err := Start(ctx, cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowInstall, Plan: p})
			require.NoError(t, err)
			time.Sleep(100 * time.Millisecond)
			tc.cancel(ex, st, cancel)
			res, err := ex.Wait()
			require.ErrorIs(t, err, ErrCancelled)
			assert.Equal(t, StatusCancelled, res.Status)
			// The two running creates finished; nothing else started.
			assert.Equal(t, []string{"n00_1:create", "n01_1:create"}, sortedCopy(rec.ran()))
			s, _ := st.Status(lastExec())
			assert.Equal(t, StatusCancelled, s)
		})
	}
}

func TestCancelForceKillsScripts(t *testing.T) {
	e := newScriptEnv(t)
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "hang.sh"), []byte("echo started >> \"$LOG\"\nsleep 300\n"), 0o755))
	b := newPlan()
	o := e.sop()
	o.ScriptPath = "hang.sh"
	b.node("slow", rootTypes, map[string]*tosca.Operation{opCreate: o}, 1)
	b.p.BlueprintDir = e.dir
	execSeq++
	ex, err := Start(context.Background(), e.cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowInstall, Plan: b.p})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(e.ran(t)) == 1 }, 5*time.Second, 10*time.Millisecond)
	ex.Cancel(CancelGraceful)
	select {
	case <-ex.Done():
		t.Fatal("a graceful cancel must wait for the running script")
	case <-time.After(200 * time.Millisecond):
	}
	start := time.Now()
	ex.Cancel(CancelForce)
	res, err := ex.Wait()
	require.ErrorIs(t, err, ErrCancelled)
	assert.Equal(t, StatusCancelled, res.Status)
	assert.Less(t, time.Since(start), 3*time.Second)
	assert.Equal(t, StateCreating, e.state(t, "slow_1"))
}

// A crash (kill -9) loses the process but not what was committed: resume
// runs what is left and never re-runs a completed operation.
func TestResumeSkipsCompletedTasks(t *testing.T) {
	rec := newRecPlugin()
	st := NewMemState()
	cfg := testConfig(t, st, rec)
	cfg.Parallelism = 1
	b := newPlan()
	b.node("a", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil), opStart: op("rec", nil)}, 1)
	b.node("b", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil), opStart: op("rec", map[string]any{"fail_count": 1})}, 1)
	b.node("c", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil)}, 1)
	b.rel("b", tosca.RelDependsOn, "a", nil, nil)
	b.rel("c", tosca.RelDependsOn, "b", nil, nil)
	res, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.Error(t, err)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, []string{"a_1:create", "a_1:start", "b_1:create"}, rec.ran())
	// Simulate a crash that also lost the last batch of a_1 (its start
	// record and its "started" state): that operation will run again,
	// everything else that completed not.
	st.DeleteTaskRecords(lastExec(), "install/a_1/"+opStart, "install/a_1/state:started")
	a, _ := st.Instance("dep", "a_1")
	a.State = StateStarting
	st.PutInstance("dep", a)
	res, err = Run(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowInstall, Plan: b.p, Resume: true})
	require.NoError(t, err)
	assert.Equal(t, StatusTerminated, res.Status)
	assert.Equal(t, []string{"a_1:create", "a_1:start", "b_1:create", "a_1:start", "b_1:start", "c_1:create"}, rec.ran())
	assert.Equal(t, 2, res.Skipped) // a_1:create, b_1:create
	for _, id := range []string{"a_1", "b_1", "c_1"} {
		r, _ := st.Instance("dep", id)
		assert.Equal(t, StateStarted, r.State, id)
	}
	// A new install skips started instances entirely.
	res, err = runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	assert.Equal(t, 0, res.Tasks)
}

func TestDryRun(t *testing.T) {
	rec := newRecPlugin()
	st := NewMemState()
	cfg := testConfig(t, st, rec)
	p := goldenPlan()
	execSeq++
	res, err := Run(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowInstall, Plan: p, DryRun: true})
	require.NoError(t, err)
	assert.Empty(t, rec.ran())
	dry := eventsOf(st, lastExec(), EventTaskDryRun)
	assert.Len(t, dry, res.Operations)
	assert.Equal(t, "vm_1", dry[0].NodeInstanceID)
	assert.Equal(t, opCreate, dry[0].Operation)
	_, ok := st.Instance("dep", "vm_1")
	assert.False(t, ok, "a dry run must not change instances")
	recs, _ := st.TaskRecords(context.Background(), lastExec())
	assert.Empty(t, recs)
}

// Secrets handed to an operation through get_secret (the engine's one
// evaluator) never reach events or errors.
func TestSecretsNeverInEvents(t *testing.T) {
	e := newScriptEnv(t)
	const secret = "s3cr3t-p4ssw0rd"
	e.cfg.Secrets = func(_ context.Context, key string) (string, error) {
		if key == "db_password" {
			return secret, nil
		}
		return "", errors.New("no such secret")
	}
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "leak.sh"), []byte(`
echo "password is $PASSWORD"
echo "stderr: $PASSWORD" >&2
ctx logger info "logged: $PASSWORD"
ctx instance runtime-properties seen yes
exit 1
`), 0o755))
	b := newPlan()
	o := e.sop("PASSWORD", map[string]any{"get_secret": "db_password"})
	o.ScriptPath, o.HasIntrinsicFunctions = "leak.sh", true
	b.node("db", rootTypes, map[string]*tosca.Operation{opCreate: o}, 1)
	_, err := e.run(t, b.p, WorkflowInstall, nil)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	evs := e.st.Events(lastExec())
	var logs int
	for _, ev := range evs {
		assert.NotContains(t, ev.Message, secret)
		assert.NotContains(t, ev.Error, secret)
		if ev.Type == EventLog && strings.Contains(ev.Message, secretmask.Replacement) {
			logs++
		}
	}
	assert.Equal(t, 3, logs, "the three lines are there, masked")
	_, msg := e.st.Status(lastExec())
	assert.NotContains(t, msg, secret)
	r, _ := e.st.Instance("dep", "db_1")
	assert.Equal(t, "yes", r.RuntimeProperties["seen"], "runtime properties persist even when the op fails")
}

// The default evaluator (tosca.EvaluateRuntime) sees runtime properties
// written by earlier operations, and secrets.
func TestRuntimeFunctionsDefaultEvaluator(t *testing.T) {
	var got map[string]any
	reg := plugins.NewRegistry()
	require.NoError(t, reg.Register("set", plugins.Func(func(_ context.Context, oc *plugins.Context) (any, error) {
		return nil, oc.Runtime.Set("10.0.0.7", "ip")
	})))
	require.NoError(t, reg.Register("get", plugins.Func(func(_ context.Context, oc *plugins.Context) (any, error) {
		got = oc.Inputs
		return nil, nil
	})))
	cfg := Config{State: NewMemState(), Plugins: reg, FlushInterval: 5 * time.Millisecond,
		Secrets: func(_ context.Context, key string) (string, error) { return "pw-" + key, nil }}
	b := newPlan()
	o := op("get", map[string]any{
		"ip":     map[string]any{"get_attribute": []any{"SELF", "ip"}},
		"pw":     map[string]any{"get_secret": "db"},
		"url":    map[string]any{"concat": []any{"http://", map[string]any{"get_attribute": []any{"SELF", "ip"}}, ":80"}},
		"static": "x",
	})
	o.HasIntrinsicFunctions = true
	b.node("n", rootTypes, map[string]*tosca.Operation{opCreate: op("set", nil), opStart: o}, 1)
	_, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"ip": "10.0.0.7", "pw": "pw-db", "url": "http://10.0.0.7:80", "static": "x"}, got)
}

func TestUnknownPluginFailsAtOnce(t *testing.T) {
	rec := newRecPlugin()
	cfg := testConfig(t, NewMemState(), rec)
	cfg.TaskRetries = -1
	b := newPlan()
	b.node("n", rootTypes, map[string]*tosca.Operation{opCreate: op("nope", nil)}, 1)
	_, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `plugin "nope": unknown plugin`)
}

func TestUninstallIgnoreFailure(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprint(ignore), func(t *testing.T) {
			rec := newRecPlugin()
			st := NewMemState()
			cfg := testConfig(t, st, rec)
			b := newPlan()
			b.node("a", rootTypes, map[string]*tosca.Operation{opStop: op("rec", map[string]any{"fail_count": 99}), opDelete: op("rec", nil)}, 1)
			st.PutInstance("dep", InstanceRecord{ID: "a_1", State: StateStarted})
			res, err := runWF(t, cfg, b.p, WorkflowUninstall, map[string]any{"ignore_failure": ignore})
			r, _ := st.Instance("dep", "a_1")
			if ignore {
				require.NoError(t, err)
				assert.Equal(t, 1, res.Ignored)
				assert.Equal(t, []string{"a_1:delete"}, rec.ran())
				assert.Equal(t, StateDeleted, r.State)
				assert.Len(t, eventsOf(st, lastExec(), EventTaskIgnored), 1)
			} else {
				require.Error(t, err)
				assert.Empty(t, rec.ran())
				assert.Equal(t, StateStopping, r.State)
			}
		})
	}
}

func TestExecuteOperation(t *testing.T) {
	rec := newRecPlugin()
	cfg := testConfig(t, NewMemState(), rec)
	cfg.Parallelism = 1
	b := newPlan()
	b.node("vm", computeTypes, map[string]*tosca.Operation{"custom.op": op("rec", nil)}, 2)
	b.node("app", rootTypes, map[string]*tosca.Operation{"custom.op": op("rec", nil)}, 1)
	b.rel("app", tosca.RelContainedIn, "vm", nil, nil)
	tests := []struct {
		params map[string]any
		want   []string
	}{
		{map[string]any{"operation": "custom.op"}, []string{"app_1:op", "vm_1:op", "vm_2:op"}},
		{map[string]any{"operation": "custom.op", "node_ids": []any{"vm"}}, []string{"vm_1:op", "vm_2:op"}},
		{map[string]any{"operation": "custom.op", "node_instance_ids": []any{"vm_2", "app_1"}}, []string{"app_1:op", "vm_2:op"}},
		{map[string]any{"operation": "custom.op", "type_names": []any{tosca.TypeCompute}}, []string{"vm_1:op", "vm_2:op"}},
	}
	for _, tc := range tests {
		rec.log = nil
		_, err := runWF(t, cfg, b.p, WorkflowExecuteOperation, tc.params)
		require.NoError(t, err)
		assert.Equal(t, tc.want, sortedCopy(rec.ran()), "%v", tc.params)
	}
	// By dependency order, the contained app runs after both hosts.
	rec.log = nil
	_, err := runWF(t, cfg, b.p, WorkflowExecuteOperation, map[string]any{"operation": "custom.op", "run_by_dependency_order": true})
	require.NoError(t, err)
	requireBefore(t, rec.ran(), "vm_1:op", "app_1:op")
	requireBefore(t, rec.ran(), "vm_2:op", "app_1:op")
}

func TestHealReinstallsHostSubgraph(t *testing.T) {
	rec := newRecPlugin()
	st := NewMemState()
	cfg := testConfig(t, st, rec)
	all := func() map[string]*tosca.Operation {
		return map[string]*tosca.Operation{opCreate: op("rec", nil), opDelete: op("rec", nil)}
	}
	b := newPlan()
	b.node("vm", computeTypes, all(), 1)
	b.node("app", rootTypes, all(), 1)
	b.node("other", rootTypes, all(), 1)
	b.node("client", rootTypes, all(), 1)
	b.rel("app", tosca.RelContainedIn, "vm", nil, nil)
	b.rel("client", tosca.RelConnectedTo, "app", map[string]*tosca.Operation{relEstablish: op("rec", nil), relUnlink: op("rec", nil)}, nil)
	b.p.NodeInstances[0].HostID = "vm_1"
	b.p.NodeInstances[1].HostID = "vm_1"
	_, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	rec.log = nil
	_, err = runWF(t, cfg, b.p, WorkflowHeal, map[string]any{"node_instance_id": "app_1"})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"client_1->app_1:unlink:source", "app_1:delete", "vm_1:delete",
		"vm_1:create", "app_1:create", "client_1->app_1:establish:source",
	}, rec.ran())
}

func TestScaleOutAndIn(t *testing.T) {
	rec := newRecPlugin()
	st := NewMemState()
	cfg := testConfig(t, st, rec)
	cfg.Parallelism = 1
	b := newPlan()
	b.node("web", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil), opDelete: op("rec", nil)}, 1)
	b.node("lb", rootTypes, map[string]*tosca.Operation{opCreate: op("rec", nil)}, 1)
	b.rel("lb", tosca.RelConnectedTo, "web", map[string]*tosca.Operation{relEstablish: op("rec", nil), relUnlink: op("rec", nil)}, nil)
	_, err := runWF(t, cfg, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	rec.log = nil

	web2 := &tosca.NodeInstance{ID: "web_2", Name: "web_2", NodeID: "web"}
	lb := *b.p.NodeInstances[1]
	lb.Relationships = append(append([]*tosca.InstanceRelationship(nil), lb.Relationships...),
		&tosca.InstanceRelationship{Type: tosca.RelConnectedTo, TargetName: "web", TargetID: "web_2"})
	out := &ScaleChange{Added: []*tosca.NodeInstance{web2}, Related: []*tosca.NodeInstance{&lb}}
	execSeq++
	_, err = Run(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowScale, Plan: b.p, Scale: out,
		Params: map[string]any{"scalable_entity_name": "web", "delta": 1}})
	require.NoError(t, err)
	assert.Equal(t, []string{"web_2:create", "lb_1->web_2:establish:source"}, rec.ran())
	r, _ := st.Instance("dep", "web_2")
	assert.Equal(t, StateStarted, r.State)

	rec.log = nil
	in := &ScaleChange{Removed: []*tosca.NodeInstance{web2}, Related: []*tosca.NodeInstance{&lb}}
	execSeq++
	_, err = Run(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowScale, Plan: b.p, Scale: in,
		Params: map[string]any{"scalable_entity_name": "web", "delta": -1}})
	require.NoError(t, err)
	assert.Equal(t, []string{"lb_1->web_2:unlink:source", "web_2:delete"}, rec.ran())

	// As tosca/plan.Modify reports it: the intact lb listed (twice) with
	// only its new relationship.
	rec.log = nil
	web3 := &tosca.NodeInstance{ID: "web_3", Name: "web_3", NodeID: "web"}
	ext := &tosca.NodeInstance{ID: "lb_1", NodeID: "lb", Relationships: []*tosca.InstanceRelationship{{Type: tosca.RelConnectedTo, TargetName: "web", TargetID: "web_3"}}}
	other := &tosca.NodeInstance{ID: "lb_1", NodeID: "lb"}
	execSeq++
	_, err = Run(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowScale, Plan: b.p,
		Scale:  &ScaleChange{Added: []*tosca.NodeInstance{web3}, Related: []*tosca.NodeInstance{ext, other}},
		Params: map[string]any{"scalable_entity_name": "web", "delta": 1}})
	require.NoError(t, err)
	assert.Equal(t, []string{"web_3:create", "lb_1->web_3:establish:source"}, rec.ran())
}

func TestStateWriteFailureFailsExecution(t *testing.T) {
	rec := newRecPlugin()
	st := NewMemState()
	cfg := testConfig(t, st, rec)
	st.FailCommit = errors.New("disk full")
	res, err := runWF(t, cfg, wide(3, nil), WorkflowInstall, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "disk full")
	assert.Equal(t, StatusFailed, res.Status)
}

// watchState is a MemState whose cancel requests arrive by a watch (as
// store/etcd's do), through ch.
type watchState struct {
	*MemState
	ch chan CancelMode
}

func (w watchState) WatchCancel(context.Context, string) (<-chan CancelMode, error) { return w.ch, nil }

// TestCancelWatched: a State that is a CancelWatcher delivers cancel
// requests without polling; when its watch ends the engine polls again.
func TestCancelWatched(t *testing.T) {
	tests := []struct {
		name  string
		poll  time.Duration
		apply func(w watchState)
	}{
		{"by the watch, polling off", -1, func(w watchState) { w.ch <- CancelGraceful }},
		{"watch closed, polled after", 10 * time.Millisecond, func(w watchState) {
			close(w.ch)
			w.RequestCancel(lastExec(), CancelGraceful)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := watchState{MemState: NewMemState(), ch: make(chan CancelMode, 1)}
			rec := newRecPlugin()
			cfg := testConfig(t, w, rec)
			cfg.Parallelism, cfg.CancelPollInterval = 2, tc.poll
			p := wide(4, func(int) map[string]any { return map[string]any{"sleep": 0.3} })
			execSeq++
			ex, err := Start(context.Background(), cfg, Request{DeploymentID: "dep", ExecutionID: lastExec(), Workflow: WorkflowInstall, Plan: p})
			require.NoError(t, err)
			time.Sleep(100 * time.Millisecond)
			tc.apply(w)
			res, err := ex.Wait()
			require.ErrorIs(t, err, ErrCancelled)
			assert.Equal(t, StatusCancelled, res.Status)
			assert.Equal(t, []string{"n00_1:create", "n01_1:create"}, sortedCopy(rec.ran()))
		})
	}
}
