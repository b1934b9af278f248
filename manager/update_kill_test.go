package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// TestUpdateKilledThenResumed kills the gantry process (SIGKILL) in the
// middle of a deployment update that adds fifteen nodes, then resumes the
// execution from a new process: the instances added are the ones the
// killed run planned and stored (ids seeded by the execution id), no
// operation recorded as succeeded runs again, the node the update keeps
// is never touched, and the deployment switches to the new blueprint once.
func TestUpdateKilledThenResumed(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile := filepath.Join(work, "ops.log")
	g := newGantryEnv(t, bin, "LOG="+logFile)
	ops := []string{"create", "configure", "start"}
	v1, v2 := filepath.Join(work, "v1"), filepath.Join(work, "v2")
	layeredBlueprint(t, v1, 1, 1, ops, killScript) // n0_0
	layeredBlueprint(t, v2, 2, 8, ops, killScript) // n0_0 kept, 15 nodes added
	r := g.run(t, "install", v1, "-d", "uk", "-b", "v1", "--seed", "1")
	require.Equal(t, 0, r.code, "install: %s", r)
	r = g.run(t, "blueprints", "upload", v2, "-b", "v2")
	require.Equal(t, 0, r.code, "upload: %s", r)
	require.NoError(t, os.Remove(logFile))
	ctx := context.Background()
	st := g.openStore(t)
	kept := instanceIDsOf(t, st, "uk", "n0_0")
	require.NoError(t, st.Close())

	total := 15 * len(ops)
	pid, atKill, before, offset := killMidway(t, g, logFile, total, "deployments", "update", "uk", "-b", "v2")

	st = g.openStore(t)
	execs, err := st.ListExecutions(ctx, "uk")
	require.NoError(t, err)
	e := execs[len(execs)-1]
	require.Equal(t, "update", e.WorkflowID)
	require.Equal(t, store.ExecutionStarted, e.Status)
	require.Equal(t, pid, e.PID)
	_, sent, succeeded := recordedOps(t, st, e.ID, before)
	planned := allInstanceIDs(t, st, "uk")
	require.Len(t, planned, 16, "the killed run stored its added instances")
	d, err := st.GetDeployment(ctx, "uk")
	require.NoError(t, err)
	require.Equal(t, "v1", d.BlueprintID, "the deployment switches only after success")
	require.Len(t, d.Plan.Nodes, 1)
	require.NoError(t, st.Close())
	g.requireConsistent(t)

	r = g.run(t, "executions", "resume", e.ID)
	require.Equal(t, 0, r.code, "resume: %s", r)
	checkResumedOps(t, logFile, offset, total, atKill, before, sent, succeeded)
	all, _ := opLog(t, logFile, 0)
	for k := range all["start"] {
		require.False(t, strings.HasPrefix(k, kept[0]+" "), "an operation of the kept instance: %s", k)
	}

	st2 := g.openStore(t)
	e2, err := st2.GetExecution(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e2.Status, e2.Error)
	require.Equal(t, planned, allInstanceIDs(t, st2, "uk"), "the resumed update added the instances the killed run planned, and no more")
	require.Equal(t, kept, instanceIDsOf(t, st2, "uk", "n0_0"))
	insts, err := st2.ListNodeInstances(ctx, "uk", "")
	require.NoError(t, err)
	for _, ni := range insts {
		require.Equal(t, store.StateStarted, ni.State, ni.ID)
	}
	d, err = st2.GetDeployment(ctx, "uk")
	require.NoError(t, err)
	require.Equal(t, "v2", d.BlueprintID)
	require.Len(t, d.Plan.Nodes, 16)
	require.NoError(t, st2.Close())
	g.requireConsistent(t)
}

func instanceIDsOf(t *testing.T, st store.Store, dep, node string) []string {
	t.Helper()
	insts, err := st.ListNodeInstances(context.Background(), dep, node)
	require.NoError(t, err)
	var out []string
	for _, ni := range insts {
		out = append(out, ni.ID)
	}
	return out
}

func allInstanceIDs(t *testing.T, st store.Store, dep string) []string {
	return instanceIDsOf(t, st, dep, "")
}
