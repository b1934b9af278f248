package manager_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/workflow"
)

const helloBlueprint = "../blueprints/hello"

// followLate asserts what a Manager that did not run an uninstall reads
// of it once it deleted its deployment: the store has no live execution,
// but GetExecution, FollowEvents and WaitExecution give its end
// (terminated, marked deleted), FollowEvents after every event of it (from
// the start or from a given one: kept with the tombstone), and Events
// those events.
func followLate(t *testing.T, follower *manager.Manager, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := follower.Store().GetExecution(ctx, id)
	require.ErrorIs(t, err, store.ErrNotFound, "deleted with its deployment")

	got, err := follower.GetExecution(ctx, id)
	require.NoError(t, err, "executions get")
	assert.Equal(t, store.ExecutionTerminated, got.Status)
	assert.Equal(t, "uninstall", got.WorkflowID)
	assert.False(t, got.DeletedAt.IsZero())

	var seqs []uint64
	var last api.Event
	ended, err := follower.FollowEvents(ctx, id, 0, func(ev *api.Event) error {
		seqs, last = append(seqs, ev.Seq), *ev
		return nil
	})
	require.NoError(t, err, "events list --follow")
	assert.Equal(t, store.ExecutionTerminated, ended.Status)
	require.NotEmpty(t, seqs, "its events are kept with its tombstone")
	for i, seq := range seqs {
		require.Equal(t, uint64(i+1), seq, "every event, in order")
	}
	assert.Equal(t, string(workflow.EventWorkflowSucceeded), string(last.Type), "the last one included")
	assert.Equal(t, id, last.ExecutionID)

	from := uint64(len(seqs) - 1)
	var tail []uint64
	ended, err = follower.FollowEvents(ctx, id, from, func(ev *api.Event) error { tail = append(tail, ev.Seq); return nil })
	require.NoError(t, err, "events list --follow from an event on")
	assert.Equal(t, store.ExecutionTerminated, ended.Status)
	assert.Equal(t, []uint64{from + 1}, tail)

	waited, err := follower.WaitExecution(ctx, id)
	require.NoError(t, err, "GET .../wait")
	assert.Equal(t, store.ExecutionTerminated, waited.Status)

	evs, err := follower.Events(ctx, id, 0, 0)
	require.NoError(t, err, "events list: kept with the final record")
	require.NotEmpty(t, evs)
	assert.Equal(t, api.EventWorkflowSucceeded, evs[len(evs)-1].Type)
	page, n, err := follower.EventsJSON(ctx, id, evs[len(evs)-2].Seq, 0, nil)
	require.NoError(t, err, "the server's page of them")
	assert.Equal(t, 1, n)
	assert.Contains(t, string(page), "workflow_succeeded")
}

// followDuring follows an execution from its start and returns how it
// ended (a follower attached before the deletion).
func followDuring(t *testing.T, follower *manager.Manager, id string) <-chan *api.Execution {
	out := make(chan *api.Execution, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		e, err := follower.FollowEvents(ctx, id, 0, func(*api.Event) error { return nil })
		assert.NoError(t, err, "a follow attached while it ran")
		out <- e
	}()
	return out
}

// TestQueuedUninstallFollowedLateOnEtcd (issue 8): an uninstall queued
// for a worker deletes its deployment, the execution with it, in the
// worker's process. A follower in another Manager (its own etcd client)
// and in other gantry processes (the CLI) that attach after the deletion
// read that it ended terminated, from the store's tombstone; one that
// attached while it ran ends with it too.
func TestQueuedUninstallFollowedLateOnEtcd(t *testing.T) {
	bin := buildGantry(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	c := testenv.StartEtcdCluster(t, 3)
	url := c.URL("tombstones") + "?lease-ttl=2s"
	open := func(name string) *manager.Manager {
		m, err := manager.OpenLocal(url, manager.Config{DataDir: filepath.Join(t.TempDir(), name)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		return m
	}
	client := open("client")
	_, err := client.UploadBlueprint(ctx, "hello", helloBlueprint)
	require.NoError(t, err)
	_, err = client.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "hello", BlueprintID: "hello", Inputs: map[string]any{"web_port": 9093}, Seed: 7})
	require.NoError(t, err)
	w, err := open("worker").NewWorker(manager.WorkerConfig{Name: "w1", Parallel: 2, Log: func(msg string) { t.Log(msg) }})
	require.NoError(t, err)
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); assert.NoError(t, w.Run(wctx)) }()
	t.Cleanup(func() { stop(); wg.Wait() })

	r, err := client.StartExecution(ctx, api.StartRequest{DeploymentID: "hello", Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	e, err := r.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)

	follower := open("follower")
	u, err := client.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	id := u.Execution().ID
	during := followDuring(t, follower, id)
	e, err = u.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	_, err = client.GetDeployment(ctx, "hello")
	require.ErrorIs(t, err, store.ErrNotFound, "the worker deleted the deployment")
	select {
	case x := <-during:
		require.NotNil(t, x)
		assert.Equal(t, store.ExecutionTerminated, x.Status)
	case <-ctx.Done():
		t.Fatal("the follow attached while it ran never ended")
	}

	followLate(t, follower, id)

	// Other processes: the CLI on the same store.
	g := &gantryEnv{bin: bin, env: append(os.Environ(), "GANTRY_STORE="+url, "HOME="+t.TempDir())}
	res := g.run(t, "events", "list", "-e", id, "--follow")
	require.Equal(t, 0, res.code, "events list --follow ends with the end: %s", res)
	assert.Regexp(t, `workflow_succeeded +workflow uninstall succeeded`, res.stdout, "with its last event")
	res = g.run(t, "executions", "get", id, "--json")
	require.Equal(t, 0, res.code, "%s", res)
	var got api.Execution
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &got), res.stdout)
	assert.Equal(t, store.ExecutionTerminated, got.Status)
	assert.False(t, got.DeletedAt.IsZero())
	res = g.run(t, "events", "list", "-e", id)
	require.Equal(t, 0, res.code, "events list: %s", res)
	assert.Regexp(t, `workflow_succeeded +workflow uninstall succeeded`, res.stdout, "kept with the final record")

	problems, err := client.Store().Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// TestUninstallFollowedLateOnBolt: the same across two Managers, each
// with its own handle on one bbolt file (as two gantry processes).
func TestUninstallFollowedLateOnBolt(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "gantry.db")
	open := func(name string) *manager.Manager {
		st, err := store.OpenBolt(path, store.Options{NoSync: true})
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		m, err := manager.New(manager.Config{Store: st, DataDir: filepath.Join(t.TempDir(), name)})
		require.NoError(t, err)
		t.Cleanup(func() { _ = m.Close() })
		return m
	}
	runner, follower := open("runner"), open("follower")
	started, err := runner.Install(ctx, api.InstallRequest{Path: helloBlueprint, DeploymentID: "hello", Inputs: map[string]any{"web_port": 9094}})
	require.NoError(t, err)
	e, err := started.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)

	u, err := runner.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello"})
	require.NoError(t, err)
	id := u.Execution().ID
	during := followDuring(t, follower, id)
	e, err = u.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	select {
	case x := <-during:
		require.NotNil(t, x)
		assert.Equal(t, store.ExecutionTerminated, x.Status)
	case <-ctx.Done():
		t.Fatal("the follow attached while it ran never ended")
	}
	followLate(t, follower, id)
}
