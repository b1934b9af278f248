package store_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// Environment of the helper process (TestHelperProcess in a re-executed
// test binary).
const (
	envHelper     = "GANTRY_STORE_TEST_HELPER"
	envHelperPath = "GANTRY_STORE_TEST_PATH"
	envHelperFor  = "GANTRY_STORE_TEST_FOR"
)

// TestHelperProcess is not a test: it is the second gantry process of the
// multi-process tests. It prints "ready" once it is working.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(envHelper)
	if mode == "" {
		t.Skip("helper process only")
	}
	if err := helper(mode, os.Getenv(envHelperPath)); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(3)
	}
	os.Exit(0)
}

func helper(mode, path string) error {
	ctx := context.Background()
	d, err := time.ParseDuration(os.Getenv(envHelperFor))
	if err != nil {
		return err
	}
	s, err := store.OpenBolt(path, store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	switch mode {
	case "hold": // hold the file for d
		return s.Hold(ctx, func() error {
			fmt.Println("ready")
			time.Sleep(d)
			return nil
		})
	case "write": // one small transaction after another for d, no pause
		fmt.Println("ready")
		n := 0
		for end := time.Now().Add(d); time.Now().Before(end); n++ {
			if err := s.AppendEvents(ctx, "e", []*store.Event{{Type: "log", Message: strconv.Itoa(n)}}); err != nil {
				return err
			}
			id := fmt.Sprintf("web_%05d", n%100)
			if _, err := s.SetNodeInstanceState(ctx, "d", id, store.States[n%len(store.States)]); err != nil {
				return err
			}
		}
		fmt.Println("appended", n)
		return nil
	case "batches": // batches of 10 events + 10 state changes until killed
		for n := 0; ; n++ {
			err := s.Batch(ctx, func(tx store.Store) error {
				evs := make([]*store.Event, 10)
				for i := range evs {
					evs[i] = &store.Event{Type: "log", Message: fmt.Sprintf("%d.%d", n, i)}
					id := fmt.Sprintf("web_%05d", (n*10+i)%100)
					if _, err := tx.SetNodeInstanceState(ctx, "d", id, store.StateStarted); err != nil {
						return err
					}
				}
				return tx.AppendEvents(ctx, "e", evs)
			})
			if err != nil {
				return err
			}
			if n == 5 {
				fmt.Println("ready")
			}
		}
	}
	return fmt.Errorf("unknown mode %q", mode)
}

// startHelper starts the helper process and waits until it prints ready.
func startHelper(t *testing.T, mode, path string, d time.Duration) (*exec.Cmd, *bufio.Scanner) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), envHelper+"="+mode, envHelperPath+"="+path, envHelperFor+"="+d.String())
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	sc := bufio.NewScanner(out)
	require.True(t, sc.Scan(), "helper produced no output")
	require.Equal(t, "ready", sc.Text())
	return cmd, sc
}

// seeded opens a store with deployment d (100 web instances + host) and
// execution e.
func seeded(t *testing.T, opts store.Options) (*store.BoltStore, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	s, err := store.OpenBolt(path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	bp := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(bp, "blueprint.yaml"), []byte("x"), 0o644))
	data, err := store.ArchiveDir(bp, 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "bp", MainFile: "blueprint.yaml"}, data))
	require.NoError(t, s.CreateDeployment(ctx, &store.Deployment{ID: "d", BlueprintID: "bp", Plan: instancePlan(100)}))
	require.NoError(t, s.CreateExecution(ctx, &store.Execution{ID: "e", DeploymentID: "d", WorkflowID: "install", Status: store.ExecutionStarted}))
	return s, path
}

// instancePlan is a plan with one node "web" of n instances.
func instancePlan(n int) *tosca.Plan {
	p := &tosca.Plan{Nodes: []*tosca.Node{{ID: "web", Name: "web", Type: tosca.TypeRoot}}}
	for i := range n {
		id := fmt.Sprintf("web_%05d", i)
		p.NodeInstances = append(p.NodeInstances, &tosca.NodeInstance{ID: id, Name: id, NodeID: "web"})
	}
	return p
}

// requireSeqs asserts that the execution's events are numbered 1..n.
func requireSeqs(t *testing.T, s store.Store) []*store.Event {
	t.Helper()
	evs, err := s.Events(context.Background(), "e", 0, 0)
	require.NoError(t, err)
	for i, ev := range evs {
		require.Equal(t, uint64(i+1), ev.Seq)
	}
	return evs
}

func requireConsistent(t *testing.T, s store.Store) {
	t.Helper()
	problems, err := s.Check(context.Background())
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestTwoProcessesInterleave: while another process writes to the store as
// fast as it can (one transaction after another, as an engine without
// batching would), this process keeps reading and writing: the open-per-
// transaction design with waiter yielding lets both progress, nothing is
// lost and the file stays consistent.
func TestTwoProcessesInterleave(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	ctx := context.Background()
	s, path := seeded(t, store.Options{LockTimeout: 5 * time.Second})
	cmd, sc := startHelper(t, "write", path, 1500*time.Millisecond)
	exited := make(chan error, 1)
	appended := make(chan int, 1)
	go func() {
		n := -1
		for sc.Scan() {
			if _, err := fmt.Sscanf(sc.Text(), "appended %d", &n); err == nil {
				appended <- n
			}
		}
		exited <- cmd.Wait()
	}()

	var ops int
	var worst time.Duration
	var after uint64
	for running := true; running; {
		select {
		case err := <-exited:
			require.NoError(t, err, "helper failed")
			running = false
			continue
		default:
		}
		start := time.Now()
		insts, err := s.ListNodeInstances(ctx, "d", "")
		require.NoError(t, err)
		require.Len(t, insts, 100)
		evs, err := s.Events(ctx, "e", after, 0)
		require.NoError(t, err)
		for _, ev := range evs {
			require.Equal(t, after+1, ev.Seq, "follower sees every event once, in order")
			after = ev.Seq
		}
		_, err = s.UpdateExecution(ctx, "e", func(e *store.Execution) error { e.Error = strconv.Itoa(ops); return nil })
		require.NoError(t, err)
		worst = max(worst, time.Since(start))
		ops++
	}
	n := <-appended
	t.Logf("helper committed %d events + %d state changes; meanwhile this process made %d rounds of 3 ops, worst round %s",
		n, n, ops, worst)
	assert.Greater(t, n, 20, "the writer progressed")
	assert.Greater(t, ops, 20, "the other process progressed")
	assert.Less(t, worst, 2*time.Second, "no round came near the 5s lock timeout")
	evs := requireSeqs(t, s)
	assert.Len(t, evs, n)
	requireConsistent(t, s)
}

// TestLongHolderLocked: a process that holds the file longer than the
// other's LockTimeout makes it fail with a clear ErrLocked (file and pid),
// within the timeout, not hang; after it is gone all works.
func TestLongHolderLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	ctx := context.Background()
	s, path := seeded(t, store.Options{LockTimeout: 300 * time.Millisecond})
	cmd, _ := startHelper(t, "hold", path, 2*time.Second)

	start := time.Now()
	_, err := s.GetExecution(ctx, "e")
	waited := time.Since(start)
	require.ErrorIs(t, err, store.ErrLocked)
	msg := err.Error()
	assert.Contains(t, msg, path)
	assert.Contains(t, msg, "another gantry process")
	assert.Contains(t, msg, fmt.Sprintf("pid %d", cmd.Process.Pid))
	assert.Less(t, waited, 1500*time.Millisecond)
	t.Log(msg)

	require.NoError(t, cmd.Wait())
	e, err := s.GetExecution(ctx, "e")
	require.NoError(t, err)
	assert.Equal(t, store.ExecutionStarted, e.Status)
	requireConsistent(t, s)
}

// TestKill9MidBatch: killing a writer with SIGKILL in the middle of its
// batches loses no committed batch, commits no partial one, and leaves a
// consistent file.
func TestKill9MidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("multi-process test")
	}
	s, path := seeded(t, store.Options{})
	cmd, _ := startHelper(t, "batches", path, time.Second)
	time.Sleep(200 * time.Millisecond)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	err := cmd.Wait()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "killed")

	evs := requireSeqs(t, s)
	require.NotEmpty(t, evs)
	assert.Zero(t, len(evs)%10, "only whole batches: %d events", len(evs))
	assert.True(t, strings.HasSuffix(evs[len(evs)-1].Message, ".9"), "last batch complete")
	requireConsistent(t, s)
	t.Logf("%d batches committed before kill -9", len(evs)/10)
}
