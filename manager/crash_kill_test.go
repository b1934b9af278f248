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

	// Install in the background and kill it about a third of the way in.
	stdout, err := os.Create(filepath.Join(work, "install.out"))
	require.NoError(t, err)
	defer stdout.Close()
	cmd := g.command(context.Background(), "install", bp, "-d", "crash", "--seed", "1")
	cmd.Stdout, cmd.Stderr = stdout, stdout
	require.NoError(t, cmd.Start())
	waitFor(t, 30*time.Second, "a third of the operations", func() bool { return countLines(logFile, "end ") >= total/3 })
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err = cmd.Wait() // reap it: a zombie would still look alive
	require.Error(t, err, "install finished before the kill")
	atKill, _ := opLog(t, logFile, 0)
	// The dead process's scripts are stopped by their guards; give any that
	// was just ending a moment to write its line.
	time.Sleep(500 * time.Millisecond)

	before, offset := opLog(t, logFile, 0)
	require.Less(t, len(before["end"]), total, "install finished before the kill")
	t.Logf("at the kill: %d operations started, %d ended (of %d); %d more ended after it",
		len(before["start"]), len(atKill["end"]), total, len(before["end"])-len(atKill["end"]))

	// What the store knows: the execution still looks started, by the dead pid.
	st := g.openStore(t)
	ctx := context.Background()
	execs, err := st.ListExecutions(ctx, "crash")
	require.NoError(t, err)
	require.Len(t, execs, 1)
	e := execs[0]
	require.Equal(t, store.ExecutionStarted, e.Status)
	require.Equal(t, cmd.Process.Pid, e.PID)
	evs, err := st.Events(ctx, e.ID, 0, 0)
	require.NoError(t, err)
	tasks, err := st.ListTasks(ctx, e.ID)
	require.NoError(t, err)
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

	// Operation keys ("<instance> <operation>") by task id, from task_sent.
	keyOf := map[string]string{}
	sent := map[string]bool{}
	for _, ev := range evs {
		if ev.Type == "task_sent" {
			k := ev.NodeInstanceID + " " + ev.Operation
			keyOf[ev.TaskID] = k
			sent[k] = true
		}
	}
	succeeded := map[string]bool{}
	for _, tk := range tasks {
		if k, ok := keyOf[tk.ID]; ok && tk.Status == store.TaskSucceeded {
			succeeded[k] = true
		}
	}
	require.NotEmpty(t, succeeded, "no operation was recorded as succeeded before the kill")
	for k := range succeeded {
		require.Equal(t, 1, before["end"][k], "%s recorded succeeded but its script did not end once", k)
	}

	// Resume from a new process.
	r := g.run(t, "executions", "resume", e.ID)
	require.Equal(t, 0, r.code, "resume: %s", r)
	assert.Contains(t, r.stderr, "resuming execution "+e.ID)

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
	// Every operation ran to its end in one run or the other, and each ran
	// at most twice: the twice-run ones are those in flight at the kill.
	all, _ := opLog(t, logFile, 0)
	require.Len(t, all["end"], total, "operations that ended")
	for k, n := range all["start"] {
		require.LessOrEqual(t, n, 2, k)
	}
	require.LessOrEqual(t, len(twice), 10, "more operations ran twice than run at once (parallelism 10): %v", twice)
	t.Logf("resume ran %d operations; %d ran twice (in flight at the kill); of those %d had no durable task_sent and %d had ended before the kill but not been recorded",
		len(after["start"]), len(twice), len(twiceUnsent), len(endedUnrecorded))

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
