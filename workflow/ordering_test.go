package workflow

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/tosca"
)

// The test binary doubles as the ctx command for script operations.
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	os.Exit(m.Run())
}

// mockScript is our stand-in for Cloudify's testmockoperations: it logs
// "<instance>:<op>" (or "<src>-><tgt>:<op>:<side>") to $LOG when it
// succeeds, and misbehaves on request (FAIL_COUNT, NON_RECOVERABLE,
// RETRY_AFTER, FALSE_COUNT; STATE_LOG logs the instance state too).
const mockScript = `#!/bin/bash
set -euo pipefail
op="${GANTRY_OPERATION##*.}"
if [ -n "${SIDE:-}" ]; then
  label="$(ctx source instance id)->$(ctx target instance id):$op:$SIDE"
else
  label="$(ctx instance id):$op"
fi
n=$(ctx operation retry-number)
if [ "${FAIL_COUNT:-0}" -gt "$n" ]; then
  if [ "${NON_RECOVERABLE:-}" = true ]; then ctx abort-operation "failing on purpose"; exit 0; fi
  if [ -n "${RETRY_AFTER:-}" ]; then ctx retry-operation "not ready yet" "$RETRY_AFTER"; exit 0; fi
  echo "failing attempt $n on purpose" >&2
  exit 1
fi
if [ -n "${FALSE_COUNT:-}" ]; then
  if [ "$FALSE_COUNT" -gt "$n" ]; then ctx returns false; exit 0; fi
  ctx returns true
fi
if [ -n "${STATE_LOG:-}" ]; then label="$label:$(ctx instance state)"; fi
echo "$label" >> "$LOG"
`

// scriptEnv is a blueprint folder with the mock script and a log file.
type scriptEnv struct {
	dir, log string
	st       *MemState
	cfg      Config
}

func newScriptEnv(t *testing.T) *scriptEnv {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mock.sh"), []byte(mockScript), 0o755))
	e := &scriptEnv{dir: dir, log: filepath.Join(dir, "ops.log"), st: NewMemState()}
	reg := plugins.NewRegistry()
	sp, err := script.Register(reg, script.Config{KillGrace: 200 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = sp.Close() })
	require.NoError(t, reg.Register("rec", newRecPlugin()))
	e.cfg = Config{State: e.st, Plugins: reg, FlushInterval: 5 * time.Millisecond, CancelPollInterval: 10 * time.Millisecond,
		TaskRetryInterval: 10 * time.Millisecond}
	return e
}

// sop is a script operation running mock.sh with extra inputs.
func (e *scriptEnv) sop(kv ...any) *tosca.Operation {
	in := map[string]any{"LOG": e.log}
	for i := 0; i+1 < len(kv); i += 2 {
		in[kv[i].(string)] = kv[i+1]
	}
	return &tosca.Operation{Plugin: "script", Operation: "script_runner.tasks.run", Implementation: "mock.sh", ScriptPath: "mock.sh", Executor: tosca.ExecutorCentral, Inputs: in}
}

func (e *scriptEnv) ran(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(e.log)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	return strings.Fields(string(b))
}

func (e *scriptEnv) run(t *testing.T, p *tosca.Plan, wf string, params map[string]any) (*Result, error) {
	t.Helper()
	p.BlueprintDir = e.dir
	return runWF(t, e.cfg, p, wf, params)
}

func (e *scriptEnv) state(t *testing.T, id string) string {
	t.Helper()
	r, ok := e.st.Instance("dep", id)
	require.True(t, ok, id)
	return r.State
}

// Corpus: dependencies_order_with_two_nodes.yaml.
func TestOrderDependenciesWithTwoNodes(t *testing.T) {
	e := newScriptEnv(t)
	b := newPlan()
	b.node("host_node", rootTypes, map[string]*tosca.Operation{opStart: e.sop(), opCreate: e.sop()}, 1)
	b.node("db_node", rootTypes, map[string]*tosca.Operation{opStart: e.sop(), opCreate: e.sop()}, 1)
	b.rel("db_node", tosca.RelContainedIn, "host_node", nil, nil)
	_, err := e.run(t, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"host_node_1:create", "host_node_1:start", "db_node_1:create", "db_node_1:start"}, e.ran(t))
}

// Corpus: uninstall_dependencies-order-with-three-nodes.yaml.
func TestOrderUninstallThreeNodes(t *testing.T) {
	e := newScriptEnv(t)
	b := newPlan()
	ops := func() map[string]*tosca.Operation {
		return map[string]*tosca.Operation{opCreate: e.sop(), opDelete: e.sop(),
			"cloudify.interfaces.monitor_lifecycle.start": e.sop(), "cloudify.interfaces.monitor_lifecycle.stop": e.sop()}
	}
	b.node("containing_node", rootTypes, ops(), 1)
	b.node("contained_in_node2", rootTypes, ops(), 1)
	b.node("contained_in_node1", rootTypes, ops(), 1)
	b.rel("contained_in_node2", tosca.RelContainedIn, "contained_in_node1", map[string]*tosca.Operation{relUnlink: e.sop("SIDE", "source")}, nil)
	b.rel("contained_in_node1", tosca.RelContainedIn, "containing_node", nil, map[string]*tosca.Operation{relUnlink: e.sop("SIDE", "target")})
	_, err := e.run(t, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"containing_node_1:create", "contained_in_node1_1:create", "contained_in_node2_1:create"}, e.ran(t))
	require.NoError(t, os.Remove(e.log))
	_, err = e.run(t, b.p, WorkflowUninstall, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"contained_in_node2_1->contained_in_node1_1:unlink:source", "contained_in_node2_1:delete",
		"contained_in_node1_1->containing_node_1:unlink:target", "contained_in_node1_1:delete",
		"containing_node_1:delete",
	}, e.ran(t))
	for _, id := range []string{"containing_node_1", "contained_in_node1_1", "contained_in_node2_1"} {
		assert.Equal(t, StateDeleted, e.state(t, id))
	}
}

// Corpus: relationship_interface_{post_source_location_target,pre_source_location_source}.yaml.
func TestOrderRelationshipInterfaces(t *testing.T) {
	tests := []struct {
		name              string
		sourceOps, tgtOps func(e *scriptEnv) map[string]*tosca.Operation
		want              []string
	}{
		{"establish on the target runs after the source started",
			func(*scriptEnv) map[string]*tosca.Operation { return nil },
			func(e *scriptEnv) map[string]*tosca.Operation {
				return map[string]*tosca.Operation{relEstablish: e.sop("SIDE", "target")}
			},
			[]string{"host_1:create", "host_1:configure", "host_1:start", "host_1:get_state",
				"mock_1:create", "mock_1:configure", "mock_1:start", "mock_1->host_1:establish:target"}},
		{"postconfigure on the source runs between configure and start",
			func(e *scriptEnv) map[string]*tosca.Operation {
				return map[string]*tosca.Operation{relPostconfigure: e.sop("SIDE", "source")}
			},
			func(*scriptEnv) map[string]*tosca.Operation { return nil },
			[]string{"host_1:create", "host_1:configure", "host_1:start", "host_1:get_state",
				"mock_1:create", "mock_1:configure", "mock_1->host_1:postconfigure:source", "mock_1:start"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newScriptEnv(t)
			b := newPlan()
			b.node("host", computeTypes, map[string]*tosca.Operation{opCreate: e.sop(), opConfigure: e.sop(), opStart: e.sop(),
				opHostGetState: e.sop("FALSE_COUNT", "0")}, 1)
			b.node("mock", []string{tosca.TypeRoot, "cloudify.nodes.ApplicationModule"}, map[string]*tosca.Operation{opCreate: e.sop(), opConfigure: e.sop(), opStart: e.sop()}, 1)
			b.rel("mock", tosca.RelConnectedTo, "host", tc.sourceOps(e), tc.tgtOps(e))
			_, err := e.run(t, b.p, WorkflowInstall, nil)
			require.NoError(t, err)
			assert.Equal(t, tc.want, e.ran(t))
		})
	}
}

// Corpus: node_states.yaml: each lifecycle operation sees its state.
func TestNodeStates(t *testing.T) {
	e := newScriptEnv(t)
	b := newPlan()
	ops := map[string]*tosca.Operation{}
	for _, o := range []string{opCreate, opConfigure, opStart, opStop, opDelete} {
		ops[o] = e.sop("STATE_LOG", "1")
	}
	b.node("node1234", rootTypes, ops, 1)
	_, err := e.run(t, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	assert.Equal(t, StateStarted, e.state(t, "node1234_1"))
	_, err = e.run(t, b.p, WorkflowUninstall, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"node1234_1:create:creating", "node1234_1:configure:configuring", "node1234_1:start:starting",
		"node1234_1:stop:stopping", "node1234_1:delete:deleting"}, e.ran(t))
	assert.Equal(t, StateDeleted, e.state(t, "node1234_1"))
	// The state changes were persisted in order as events.
	var states []string
	for _, ev := range e.st.Events(prevExec()) {
		if ev.Type == EventStateChanged {
			states = append(states, ev.State)
		}
	}
	assert.Equal(t, []string{StateInitializing, StateCreating, StateCreated, StateConfiguring, StateConfigured, StateStarting, StateStarted}, states)
}

// Corpus: workflow_task_retries_{1..6}.yaml and test-operation-retry-blueprint.yaml.
func TestTaskRetries(t *testing.T) {
	tests := []struct {
		name        string
		taskRetries int
		compute     bool
		op          func(e *scriptEnv) *tosca.Operation
		wantErr     string
		wantRuns    int // successful runs logged
		wantResched int
	}{
		{"1: fails twice, workflow retries suffice", 2, false, func(e *scriptEnv) *tosca.Operation { return e.sop("FAIL_COUNT", 2) }, "", 1, 2},
		{"2: fails five times, retries exhausted", 3, false, func(e *scriptEnv) *tosca.Operation { return e.sop("FAIL_COUNT", 5) }, "failing attempt 3 on purpose", 0, 3},
		{"3: host get_state polled until true, ignoring limits", 0, true, func(e *scriptEnv) *tosca.Operation { return e.sop("FALSE_COUNT", 3) }, "", 1, 3},
		{"4: non-recoverable fails at once", 5, false, func(e *scriptEnv) *tosca.Operation { return e.sop("FAIL_COUNT", 100000, "NON_RECOVERABLE", true) }, "failing on purpose", 0, 0},
		{"5: recoverable with retry_after", 1, false, func(e *scriptEnv) *tosca.Operation { return e.sop("FAIL_COUNT", 1, "RETRY_AFTER", 0.3) }, "", 1, 1},
		{"6: operation max_retries overrides the workflow's", 0, false, func(e *scriptEnv) *tosca.Operation {
			o := e.sop("FAIL_COUNT", 2)
			mr, ri := 2, 0.01
			o.MaxRetries, o.RetryInterval = &mr, &ri
			return o
		}, "", 1, 2},
		{"operation retry (ctx retry-operation) three times", 3, false, func(e *scriptEnv) *tosca.Operation { return e.sop("FAIL_COUNT", 3, "RETRY_AFTER", 0.05) }, "", 1, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newScriptEnv(t)
			e.cfg.TaskRetries = tc.taskRetries
			b := newPlan()
			name, types, opName := "test_node", rootTypes, opCreate
			if tc.compute {
				types, opName = computeTypes, opHostGetState
			}
			b.node(name, types, map[string]*tosca.Operation{opName: tc.op(e)}, 1)
			start := time.Now()
			res, err := e.run(t, b.p, WorkflowInstall, nil)
			if tc.wantErr != "" {
				require.Error(t, err)
				var te *TaskError
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "test_node_1", te.InstanceID)
				assert.Equal(t, opName, te.Operation)
				assert.Contains(t, err.Error(), tc.wantErr)
				assert.Equal(t, StatusFailed, res.Status)
				st, msg := e.st.Status(lastExec())
				assert.Equal(t, StatusFailed, st)
				assert.Contains(t, msg, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			assert.Len(t, e.ran(t), tc.wantRuns)
			assert.Len(t, eventsOf(e.st, lastExec(), EventTaskRescheduled), tc.wantResched)
			if tc.name[0] == '5' {
				assert.GreaterOrEqual(t, time.Since(start), 300*time.Millisecond, "retry_after must be honoured")
			}
		})
	}
}

// Corpus: basic_start_error.yaml: start fails, the workflow fails naming
// the operation and the instance, and the state stays where it stopped.
func TestBasicStartError(t *testing.T) {
	e := newScriptEnv(t)
	b := newPlan()
	b.node("webserver_host", computeTypes, map[string]*tosca.Operation{
		opCreate: e.sop(), opStart: e.sop("FAIL_COUNT", 1000), opStop: e.sop(), opDelete: e.sop(), opHostGetState: e.sop("FALSE_COUNT", 0),
	}, 1)
	res, err := e.run(t, b.p, WorkflowInstall, nil)
	require.Error(t, err)
	assert.Equal(t, StatusFailed, res.Status)
	assert.Contains(t, err.Error(), "cloudify.interfaces.lifecycle.start")
	assert.Contains(t, err.Error(), "webserver_host_1")
	assert.Contains(t, err.Error(), "failing attempt 0 on purpose")
	assert.Equal(t, []string{"webserver_host_1:create"}, e.ran(t))
	assert.Equal(t, StateStarting, e.state(t, "webserver_host_1"))
	// uninstall with ignore_failure cleans up anyway.
	_, err = e.run(t, b.p, WorkflowUninstall, map[string]any{"ignore_failure": true})
	require.NoError(t, err)
	assert.Equal(t, []string{"webserver_host_1:create", "webserver_host_1:stop", "webserver_host_1:delete"}, e.ran(t))
}
