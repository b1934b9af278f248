package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// TestScaleKilledThenResumed kills the gantry process (SIGKILL) in the
// middle of a scale out, then resumes the execution from a new process:
// the instances added are the ones the killed run planned and stored (ids
// seeded by the execution id), no operation recorded as succeeded runs
// again, the node has exactly the target count, and the modification (the
// plan's counts, the dependent's new relationships) is applied once.
func TestScaleKilledThenResumed(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile := filepath.Join(work, "ops.log")
	g := newGantryEnv(t, bin, "LOG="+logFile)
	bp := filepath.Join(work, "bp")
	// n1_0 depends on n0_0 (all to all): scaling n0_0 extends n1_0.
	ops := []string{"create", "configure", "start"}
	layeredBlueprint(t, bp, 2, 1, ops, killScript)
	r := g.run(t, "install", bp, "-d", "sk", "--seed", "1")
	require.Equal(t, 0, r.code, "install: %s", r)
	require.NoError(t, os.Remove(logFile))

	const node, delta = "n0_0", 14
	const target = 1 + delta
	total := delta * len(ops)
	pid, atKill, before, offset := killMidway(t, g, logFile, total,
		"executions", "start", "scale", "-d", "sk", "-p", "scalable_entity_name="+node, "-p", "delta="+strconv.Itoa(delta))

	// The killed run stored the instances it planned; the plan is untouched.
	ctx := context.Background()
	st := g.openStore(t)
	execs, err := st.ListExecutions(ctx, "sk")
	require.NoError(t, err)
	var e *store.Execution
	for _, x := range execs {
		if x.WorkflowID == "scale" {
			e = x
		}
	}
	require.NotNil(t, e, "no scale execution")
	require.Equal(t, store.ExecutionStarted, e.Status)
	require.Equal(t, pid, e.PID)
	_, sent, succeeded := recordedOps(t, st, e.ID, before)
	planned := instanceIDs(t, st, node)
	require.Len(t, planned, target, "the killed run stored its added instances")
	require.Equal(t, 1, plannedInstances(t, st, node), "the plan is applied only after success")
	require.NoError(t, st.Close())
	g.requireConsistent(t)

	r = g.run(t, "executions", "resume", e.ID)
	require.Equal(t, 0, r.code, "resume: %s", r)
	checkResumedOps(t, logFile, offset, total, atKill, before, sent, succeeded)

	st2 := g.openStore(t)
	e2, err := st2.GetExecution(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e2.Status, e2.Error)
	require.Equal(t, planned, instanceIDs(t, st2, node), "the resumed scale added the instances the killed run planned, and no more")
	all, _ := opLog(t, logFile, 0)
	for k := range all["start"] {
		id, _, _ := strings.Cut(k, " ")
		require.Contains(t, planned, id, "an operation of an instance the scale did not add: %s", k)
	}
	insts, err := st2.ListNodeInstances(ctx, "sk", node)
	require.NoError(t, err)
	for _, ni := range insts {
		require.Equal(t, store.StateStarted, ni.State, ni.ID)
		for _, op := range ops {
			require.Equal(t, "done", ni.RuntimeProperties[op], "%s: runtime property %s", ni.ID, op)
		}
	}
	require.Equal(t, target, plannedInstances(t, st2, node), "the plan records the scale once")
	dependents, err := st2.ListNodeInstances(ctx, "sk", "n1_0")
	require.NoError(t, err)
	require.Len(t, dependents, 1)
	var targets []string
	for _, rel := range dependents[0].Relationships {
		targets = append(targets, rel.TargetID)
	}
	sort.Strings(targets)
	require.Equal(t, planned, targets, "the dependent relates to each instance once")
	require.NoError(t, st2.Close())
	g.requireConsistent(t)
}

// instanceIDs lists the sorted ids of node's instances in deployment sk.
func instanceIDs(t *testing.T, st store.Store, node string) []string {
	t.Helper()
	insts, err := st.ListNodeInstances(context.Background(), "sk", node)
	require.NoError(t, err)
	ids := make([]string, len(insts))
	for i, ni := range insts {
		ids[i] = ni.ID
	}
	sort.Strings(ids)
	return ids
}

// plannedInstances is node's planned instance count in deployment sk's
// plan.
func plannedInstances(t *testing.T, st store.Store, node string) int {
	t.Helper()
	d, err := st.GetDeployment(context.Background(), "sk")
	require.NoError(t, err)
	for _, nd := range d.Plan.Nodes {
		if nd.ID == node {
			return nd.PlannedInstances
		}
	}
	t.Fatalf("no node %s in the plan", node)
	return 0
}
