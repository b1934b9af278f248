package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// killScript logs "start|end <instance> <operation>" around a short sleep
// and a ctx call.
const killScript = `#!/bin/bash
echo "start $GANTRY_NODE_INSTANCE_ID $GANTRY_OPERATION" >> "$LOG"
sleep 0.05
ctx instance runtime-properties "${GANTRY_OPERATION##*.}" done
echo "end $GANTRY_NODE_INSTANCE_ID $GANTRY_OPERATION" >> "$LOG"
`

// opLog reads the log as "start"/"end" -> operation key -> count.
func opLog(t *testing.T, file string, from int64) (map[string]map[string]int, int64) {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	out := map[string]map[string]int{"start": {}, "end": {}}
	for _, line := range strings.Split(string(b[from:]), "\n") {
		kind, key, ok := strings.Cut(line, " ")
		if ok {
			out[kind][key]++
		}
	}
	return out, int64(len(b))
}

// TestKillDuringInstallThenResume kills the gantry process (SIGKILL) in the
// middle of a 30-node install, then resumes the execution from a new
// process: the install completes, no operation whose success was recorded
// runs again, the only operations that run twice are ones that were
// running (sent, success not recorded) at the kill, and the store is
// consistent.
func TestKillDuringInstallThenResume(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile := filepath.Join(work, "ops.log")
	g := newGantryEnv(t, bin, "LOG="+logFile)
	bp := filepath.Join(work, "bp")
	const layers, width = 6, 5
	ops := []string{"create", "configure", "start"}
	layeredBlueprint(t, bp, layers, width, ops, killScript)
	total := layers * width * len(ops)

	pid, atKill, before, offset := killMidway(t, g, logFile, total, "install", bp, "-d", "crash", "--seed", "1")

	// What the store knows: the execution still looks started, by the dead pid.
	st := g.openStore(t)
	ctx := context.Background()
	execs, err := st.ListExecutions(ctx, "crash")
	require.NoError(t, err)
	require.Len(t, execs, 1)
	e := execs[0]
	require.Equal(t, store.ExecutionStarted, e.Status)
	require.Equal(t, pid, e.PID)
	evs, sent, succeeded := recordedOps(t, st, e.ID, before)
	require.NoError(t, st.Close())
	// The store is consistent right after the crash, not only after resume.
	g.requireConsistent(t)

	// Following the dead execution's events ends: every event recorded,
	// then exit 1 with the execution reaped as interrupted (it used to
	// poll forever).
	follow := g.run(t, "events", "list", "-e", e.ID, "--follow", "--json")
	require.Equal(t, 1, follow.code, "events --follow of a dead execution: %s", follow)
	require.Equal(t, len(evs), strings.Count(follow.stdout, "\n"), "every recorded event, once")
	got := g.run(t, "executions", "get", e.ID, "--json")
	require.Contains(t, got.stdout, `"status": "failed"`)
	require.Contains(t, got.stdout, "interrupted")

	// Resume from a new process.
	r := g.run(t, "executions", "resume", e.ID)
	require.Equal(t, 0, r.code, "resume: %s", r)
	assert.Contains(t, r.stderr, "resuming execution "+e.ID)

	checkResumedOps(t, logFile, offset, total, atKill, before, sent, succeeded)

	// The resumed execution skipped only recorded operations and ended well.
	st2 := g.openStore(t)
	e2, err := st2.GetExecution(ctx, e.ID)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e2.Status, e2.Error)
	evs2, err := st2.Events(ctx, e.ID, evs[len(evs)-1].Seq, 0)
	require.NoError(t, err)
	skipped := 0
	for _, ev := range evs2 {
		if ev.Type == "task_skipped" {
			skipped++
			require.True(t, succeeded[ev.NodeInstanceID+" "+ev.Operation], "skipped %s %s which had not been recorded", ev.NodeInstanceID, ev.Operation)
		}
	}
	t.Logf("the resumed run reported %d task_skipped events for %d recorded operations (it leaves finished instances out of the graph)", skipped, len(succeeded))
	insts, err := st2.ListNodeInstances(ctx, "crash", "")
	require.NoError(t, err)
	require.Len(t, insts, layers*width)
	for _, ni := range insts {
		require.Equal(t, store.StateStarted, ni.State, ni.ID)
		for _, op := range ops {
			require.Equal(t, "done", ni.RuntimeProperties[op], "%s: runtime property %s", ni.ID, op)
		}
	}
	require.NoError(t, st2.Close())
	g.requireConsistent(t)
}

// killMidway runs gantry with args in the background and kills it
// (SIGKILL) once a third of total operations logged their end to logFile.
// It returns the dead process's pid and the log at the kill, then a moment
// later (with the offset of its end).
func killMidway(t *testing.T, g *gantryEnv, logFile string, total int, args ...string) (pid int, atKill, before map[string]map[string]int, offset int64) {
	t.Helper()
	stdout, err := os.Create(logFile + ".out")
	require.NoError(t, err)
	defer stdout.Close()
	cmd := g.command(context.Background(), args...)
	cmd.Stdout, cmd.Stderr = stdout, stdout
	require.NoError(t, cmd.Start())
	waitFor(t, 30*time.Second, "a third of the operations", func() bool { return countLines(logFile, "end ") >= total/3 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait() // reap it: a zombie would still look alive
	require.Error(t, err, "%s finished before the kill", args[0])
	atKill, _ = opLog(t, logFile, 0)
	// The dead process's scripts are stopped by their guards; give any that
	// was just ending a moment to write its line.
	time.Sleep(500 * time.Millisecond)
	before, offset = opLog(t, logFile, 0)
	require.Less(t, len(before["end"]), total, "%s finished before the kill", args[0])
	t.Logf("at the kill: %d operations started, %d ended (of %d); %d more ended after it",
		len(before["start"]), len(atKill["end"]), total, len(before["end"])-len(atKill["end"]))
	return cmd.Process.Pid, atKill, before, offset
}

// recordedOps reads what the store holds of the killed execution id: its
// events, and the operation keys ("<instance> <operation>") sent and
// recorded as succeeded. Every succeeded one ended once in the log before.
func recordedOps(t *testing.T, st store.Store, id string, before map[string]map[string]int) (evs []*store.Event, sent, succeeded map[string]bool) {
	t.Helper()
	ctx := context.Background()
	evs, err := st.Events(ctx, id, 0, 0)
	require.NoError(t, err)
	tasks, err := st.ListTasks(ctx, id)
	require.NoError(t, err)
	keyOf := map[string]string{}
	sent, succeeded = map[string]bool{}, map[string]bool{}
	for _, ev := range evs {
		if ev.Type == "task_sent" {
			k := ev.NodeInstanceID + " " + ev.Operation
			keyOf[ev.TaskID] = k
			sent[k] = true
		}
	}
	for _, tk := range tasks {
		if k, ok := keyOf[tk.ID]; ok && tk.Status == store.TaskSucceeded {
			succeeded[k] = true
		}
	}
	require.NotEmpty(t, succeeded, "no operation was recorded as succeeded before the kill")
	for k := range succeeded {
		require.Equal(t, 1, before["end"][k], "%s recorded succeeded but its script did not end once", k)
	}
	return evs, sent, succeeded
}

// checkResumedOps checks the log the resumed run wrote after offset: no
// operation recorded as succeeded ran again, none ran twice in the resumed
// run, every one of total ended, and the ones that ran in both runs are at
// most those in flight at the kill (parallelism 10).
func checkResumedOps(t *testing.T, logFile string, offset int64, total int, atKill, before map[string]map[string]int, sent, succeeded map[string]bool) {
	t.Helper()
	after, _ := opLog(t, logFile, offset)
	var twice, twiceUnsent, endedUnrecorded []string
	for k := range after["start"] {
		require.False(t, succeeded[k], "%s completed (recorded) before the kill, yet ran again", k)
		require.Equal(t, 1, after["start"][k], "%s ran more than once in the resumed run", k)
		if before["start"][k] > 0 {
			twice = append(twice, k)
			if !sent[k] {
				twiceUnsent = append(twiceUnsent, k)
			}
			if atKill["end"][k] > 0 {
				endedUnrecorded = append(endedUnrecorded, k)
			}
		}
	}
	all, _ := opLog(t, logFile, 0)
	require.Len(t, all["end"], total, "operations that ended")
	for k, n := range all["start"] {
		require.LessOrEqual(t, n, 2, k)
	}
	require.LessOrEqual(t, len(twice), 10, "more operations ran twice than run at once (parallelism 10): %v", twice)
	t.Logf("resume ran %d operations; %d ran twice (in flight at the kill); of those %d had no durable task_sent and %d had ended before the kill but not been recorded",
		len(after["start"]), len(twice), len(twiceUnsent), len(endedUnrecorded))
}
