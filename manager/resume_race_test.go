package manager_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// failOnceScript fails while $FAIL exists, else logs its run.
const failOnceScript = `#!/bin/bash
[ -e "$FAIL" ] && { echo "told to fail" >&2; exit 1; }
echo "ran $GANTRY_NODE_INSTANCE_ID" >> "$LOG"
sleep 0.2
`

// Two `executions resume ID` started together: exactly one runs the
// operations, the other is refused (exit 5, "already running"), and the
// execution ends succeeded. Repeated, because the race is one of timing.
func TestConcurrentResumesRunOnce(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile, failFlag := filepath.Join(work, "ops.log"), filepath.Join(work, "fail")
	g := newGantryEnv(t, bin, "LOG="+logFile, "FAIL="+failFlag)
	bp := filepath.Join(work, "bp")
	layeredBlueprint(t, bp, 1, 1, []string{"create"}, failOnceScript)
	require.Equal(t, 0, g.run(t, "blueprints", "upload", bp, "-b", "bp").code)
	st := func() *store.BoltStore { return g.openStore(t) }
	ctx := context.Background()
	for i := range 5 {
		dep := fmt.Sprintf("d%d", i)
		require.NoError(t, os.WriteFile(failFlag, nil, 0o600))
		require.Equal(t, 0, g.run(t, "deployments", "create", dep, "-b", "bp").code)
		r := g.run(t, "executions", "start", "install", "-d", dep, "--task-retries", "0")
		require.NotEqual(t, 0, r.code, "install should fail: %s", r)
		require.NoError(t, os.Remove(failFlag))
		s := st()
		execs, err := s.ListExecutions(ctx, dep)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.Len(t, execs, 1)
		id := execs[0].ID

		var wg sync.WaitGroup
		results := make([]result, 2)
		for j := range results {
			wg.Add(1)
			go func() { defer wg.Done(); results[j] = g.run(t, "executions", "resume", id) }()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, r := range results {
			switch {
			case r.code == 0:
				ok++
			case strings.Contains(r.stderr, "already running"):
				refused++
				require.Equal(t, 5, r.code, "refusal exit code: %s", r)
			default:
				t.Fatalf("resume %s: %s", id, r)
			}
		}
		require.Equal(t, 1, ok, "exactly one resume runs: %v", results)
		require.Equal(t, 1, refused)
		require.Equal(t, i+1, strings.Count(readFile(t, logFile), "ran n0_0"), "the operation ran once in round %d: %v", i, results)
		s = st()
		e, err := s.GetExecution(ctx, id)
		require.NoError(t, err)
		require.NoError(t, s.Close())
		require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	}
}

func readFile(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return string(b)
}
