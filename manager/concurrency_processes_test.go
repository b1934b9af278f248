package manager_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

const slowScript = `#!/bin/bash
echo "start $GANTRY_NODE_INSTANCE_ID $GANTRY_OPERATION" >> "$LOG"
sleep 0.4
ctx instance runtime-properties "${GANTRY_OPERATION##*.}" done
`

// TestSecondProcessesDuringInstall runs gantry commands from other
// processes while one installs: reads (node-instances list, executions
// list, events list --follow) work and see the install progress; a second
// install of the same deployment is refused with exit 5; and the store is
// consistent afterwards.
func TestSecondProcessesDuringInstall(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile := filepath.Join(work, "ops.log")
	g := newGantryEnv(t, bin, "LOG="+logFile)
	bp := filepath.Join(work, "bp")
	const layers, width = 3, 4
	layeredBlueprint(t, bp, layers, width, []string{"create", "start"}, slowScript)

	out, err := os.Create(filepath.Join(work, "install.out"))
	require.NoError(t, err)
	defer out.Close()
	install := g.command(context.Background(), "install", bp, "-d", "busy")
	install.Stdout, install.Stderr = out, out
	require.NoError(t, install.Start())
	installDone := make(chan error, 1)
	go func() { installDone <- install.Wait() }()
	t.Cleanup(func() { _ = install.Process.Kill() })
	waitFor(t, 30*time.Second, "the first operation", func() bool { return countLines(logFile, "start ") > 0 })

	// Follow the events from another process until the end.
	var follow result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		follow = g.run(t, "events", "list", "-d", "busy", "--follow", "--json")
	}()

	// Reads from other processes while the install runs.
	var reads, maxRead time.Duration
	n := 0
	sawProgress := false
	for running := true; running; {
		select {
		case err := <-installDone:
			require.NoError(t, err, "install")
			running = false
			continue
		default:
		}
		r := g.run(t, "node-instances", "list", "-d", "busy", "--json")
		require.Equal(t, 0, r.code, "node-instances list: %s", r)
		var insts []store.NodeInstance
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &insts), r.stdout)
		require.Len(t, insts, layers*width)
		started := 0
		for _, ni := range insts {
			if ni.State == store.StateStarted {
				started++
			}
		}
		if started > 0 && started < len(insts) {
			sawProgress = true
		}
		r2 := g.run(t, "executions", "list", "--json")
		require.Equal(t, 0, r2.code, "executions list: %s", r2)
		var execs []store.Execution
		require.NoError(t, json.Unmarshal([]byte(r2.stdout), &execs), r2.stdout)
		require.Len(t, execs, 1)
		for _, d := range []time.Duration{r.took, r2.took} {
			reads += d
			maxRead = max(maxRead, d)
			n++
		}
		if n == 2 {
			// Once, while it runs: a second install is refused.
			require.Contains(t, []store.ExecutionStatus{store.ExecutionPending, store.ExecutionStarted}, execs[0].Status)
			r3 := g.run(t, "install", bp, "-d", "busy")
			require.Equal(t, 5, r3.code, "second install: %s", r3)
			assert.Contains(t, r3.stderr, fmt.Sprintf("deployment busy: an execution is already running (execution %s, install", execs[0].ID))
			assert.Contains(t, r3.stderr, "gantry executions cancel "+execs[0].ID)
			r4 := g.run(t, "executions", "start", "uninstall", "-d", "busy")
			require.Equal(t, 5, r4.code, "uninstall during install: %s", r4)
		}
		time.Sleep(50 * time.Millisecond)
	}
	require.GreaterOrEqual(t, n, 4, "too few reads while installing")
	assert.True(t, sawProgress, "no read saw the install half done")
	t.Logf("%d reads from other processes during the install: mean %s, max %s", n, reads/time.Duration(n), maxRead)

	wg.Wait()
	require.Equal(t, 0, follow.code, "events list --follow: %s", follow)
	var seqs []uint64
	var last string
	sc := bufio.NewScanner(strings.NewReader(follow.stdout))
	for sc.Scan() {
		var ev store.Event
		require.NoError(t, json.Unmarshal(sc.Bytes(), &ev), sc.Text())
		seqs = append(seqs, ev.Seq)
		last = ev.Type
	}
	require.Equal(t, "workflow_succeeded", last, "the follower stops after the last event")
	for i, s := range seqs {
		require.Equal(t, uint64(i+1), s, "events list --follow missed or repeated an event")
	}
	st := g.openStore(t)
	execs, err := st.ListExecutions(context.Background(), "busy")
	require.NoError(t, err)
	require.Len(t, execs, 1)
	require.Equal(t, store.ExecutionTerminated, execs[0].Status)
	all, err := st.Events(context.Background(), execs[0].ID, 0, 0)
	require.NoError(t, err)
	require.Len(t, seqs, len(all), "the follower saw every stored event")
	require.NoError(t, st.Close())
	g.requireConsistent(t)
}

// TestStoreHeldByAnotherProcess: when another process keeps the store
// file locked beyond the lock timeout, gantry gives up with exit 5 and
// says which file and that another gantry process (with its pid) holds
// it, instead of hanging.
func TestStoreHeldByAnotherProcess(t *testing.T) {
	bin := buildGantry(t)
	g := newGantryEnv(t, bin)
	st := g.openStore(t)
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Hold(context.Background(), func() error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	r := g.run(t, "executions", "list")
	close(release)
	require.NoError(t, <-done)

	require.Equal(t, 5, r.code, "%s", r)
	assert.Contains(t, r.stderr, g.store)
	assert.Contains(t, r.stderr, fmt.Sprintf("is held by another gantry process (pid %d)", os.Getpid()))
	assert.Less(t, r.took, 10*time.Second, "gave up too late")
	assert.GreaterOrEqual(t, r.took, 4*time.Second, "gave up too early")
	t.Logf("gave up after %s: %s", r.took, strings.TrimSpace(r.stderr))

	// Released: the same command works.
	r = g.run(t, "executions", "list", "--json")
	require.Equal(t, 0, r.code, "%s", r)
	g.requireConsistent(t)
}
