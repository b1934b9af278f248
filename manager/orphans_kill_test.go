package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// longScript logs its pid and a background child's, then waits for both;
// on its second run (after resume) it ends at once.
const longScript = `#!/bin/bash
if [ -e "$LOG.ran" ]; then echo resumed >> "$LOG"; exit 0; fi
touch "$LOG.ran"
sleep 60 &
echo "pids $$ $!" >> "$LOG"
wait
`

// kill -9 of gantry ends the scripts it runs (and what they started) at
// once, not when they would have finished; resume then re-runs the
// operation alone.
func TestKilledGantryLeavesNoScripts(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile := filepath.Join(work, "ops.log")
	g := newGantryEnv(t, bin, "LOG="+logFile)
	bp := filepath.Join(work, "bp")
	layeredBlueprint(t, bp, 1, 1, []string{"create"}, longScript)

	cmd := g.command(context.Background(), "install", bp, "-d", "orphans")
	require.NoError(t, cmd.Start())
	var pids []int
	waitFor(t, 30*time.Second, "the script to start", func() bool {
		b, _ := os.ReadFile(logFile)
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(string(b)), "pids"))
		pids = pids[:0]
		for _, s := range f {
			n, _ := strconv.Atoi(s)
			pids = append(pids, n)
		}
		return len(pids) == 2
	})
	t.Cleanup(func() {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	_ = cmd.Wait()
	killed := time.Now()
	waitFor(t, 10*time.Second, "the orphaned script and its child to end", func() bool {
		for _, p := range pids {
			if syscall.Kill(p, 0) == nil && !zombie(p) {
				return false
			}
		}
		return true
	})
	t.Logf("script and child gone %s after the kill", time.Since(killed).Round(10*time.Millisecond))

	st := g.openStore(t)
	execs, err := st.ListExecutions(context.Background(), "orphans")
	require.NoError(t, err)
	require.NoError(t, st.Close())
	require.Len(t, execs, 1)
	r := g.run(t, "executions", "resume", execs[0].ID)
	require.Equal(t, 0, r.code, "resume: %s", r)
	require.Equal(t, 1, strings.Count(readFile(t, logFile), "resumed"))
	st = g.openStore(t)
	e, err := st.GetExecution(context.Background(), execs[0].ID)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status)
	entries, err := os.ReadDir(filepath.Join(filepath.Dir(g.store), "data", "resources"))
	require.NoError(t, err)
	require.Empty(t, entries, "the killed run's copy of the blueprint was removed by the resume")
}

// zombie reports whether pid is a zombie (dead, not yet reaped).
func zombie(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	i := strings.LastIndexByte(string(b), ')')
	return i > 0 && strings.HasPrefix(strings.TrimSpace(string(b[i+1:])), "Z")
}
