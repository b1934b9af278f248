package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/server"
	"github.com/gantryhq/gantry/store"
)

// TestUninstallEndsItsFollowers: an uninstall deletes its deployment,
// its executions and events with it, once the workflow succeeded. Whoever
// follows it through the server still reads how it ended: the record
// (the store's tombstone), a follow that ends with it (never a hang or
// an error after the success), the long poll; a list of its events is a
// 404 that says why.
func TestUninstallEndsItsFollowers(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := f.clients[auth.RoleViewer]
	op := f.clients[auth.RoleOperator]
	started, err := op.Install(ctx, api.InstallRequest{Path: helloBlueprint, DeploymentID: "hello", Inputs: map[string]any{"web_port": 9091}})
	require.NoError(t, err)
	e, err := started.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, e.Status, e.Error)

	run, err := op.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello"})
	require.NoError(t, err)
	id := run.Execution().ID
	e, err = run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, e.Status)
	_, err = f.st.GetExecution(ctx, id)
	require.ErrorIs(t, err, api.ErrNotFound, "the store deleted the execution with its deployment")

	got, err := c.GetExecution(ctx, id)
	require.NoError(t, err, "the server answers with the final record")
	assert.Equal(t, api.ExecutionTerminated, got.Status)
	assert.Equal(t, "uninstall", got.WorkflowID)

	ended, err := c.FollowEvents(ctx, id, 0, func(*api.Event) error { return nil })
	require.NoError(t, err, "a follow after the deletion ends with the end")
	require.NotNil(t, ended)
	assert.Equal(t, api.ExecutionTerminated, ended.Status)

	waited, err := c.WaitExecution(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionTerminated, waited.Status)

	evs, err := c.Events(ctx, id, 0, 0)
	require.NoError(t, err, "the events are kept with the final record")
	require.NotEmpty(t, evs)
	assert.Equal(t, api.EventWorkflowSucceeded, evs[len(evs)-1].Type)

	_, err = c.GetExecution(ctx, "no-such-execution")
	assert.ErrorIs(t, err, api.ErrNotFound, "an execution the server never ran is still a plain 404")
}

// TestWaitIsNoFollower: the long poll GET .../wait waits for the end of
// an execution without following its events, so the engine keeps
// batching its commits; a stream of its events is a follower.
func TestWaitIsNoFollower(t *testing.T) {
	work := t.TempDir()
	release := filepath.Join(work, "release")
	t.Setenv("LOG", filepath.Join(work, "ops.log"))
	t.Setenv("RELEASE", release)
	bp := writeChain(t, work)
	f := newFixture(t, server.Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// Started in process, not through the server: the server's /wait
	// waits on the store's record, as for any execution it did not start.
	started, err := f.mgr.Install(ctx, api.InstallRequest{Path: bp, DeploymentID: "chain"})
	require.NoError(t, err)
	id := started.Run.Execution().ID

	waited := make(chan server.WaitResponse, 1)
	go func() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.http.URL+server.PathOf(server.PathExecutionWait, id)+"?timeout=60s", nil)
		req.Header.Set("Authorization", "Bearer "+f.tokens[auth.RoleViewer])
		var w server.WaitResponse
		if resp, err := http.DefaultClient.Do(req); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			_ = json.Unmarshal(b, &w)
		}
		waited <- w
	}()
	time.Sleep(500 * time.Millisecond) // the long poll is in
	assert.False(t, f.mgr.Followed(id), "a /wait is no follower")

	streamCtx, stopStream := context.WithCancel(ctx)
	streamed := make(chan struct{})
	go func() {
		defer close(streamed)
		_, _ = f.clients[auth.RoleViewer].FollowEvents(streamCtx, id, 0, func(*api.Event) error { return nil })
	}()
	require.Eventually(t, func() bool { return f.mgr.Followed(id) }, 10*time.Second, 10*time.Millisecond, "a stream is a follower")
	stopStream()
	<-streamed
	require.Eventually(t, func() bool { return !f.mgr.Followed(id) }, 10*time.Second, 10*time.Millisecond, "and is one no more once it ends")

	require.NoError(t, os.WriteFile(release, nil, 0o644))
	select {
	case w := <-waited:
		require.True(t, w.Done, "the long poll answers at the end")
		assert.Equal(t, api.ExecutionTerminated, w.Execution.Status)
	case <-ctx.Done():
		t.Fatal("the long poll never answered")
	}
}

// TestUninstallElsewhereEndsFollowers: an uninstall run by another
// process on the same store (here another Manager with its own handle on
// the bbolt file; a worker on etcd alike) is no run of this server, and
// still whoever follows it here late reads how it ended, from the
// store's tombstone: the record, the follow (the SSE stream), the long
// poll; its events are a 404 that says why.
func TestUninstallElsewhereEndsFollowers(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st, err := store.OpenBolt(f.st.(*store.BoltStore).Path(), store.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	other, err := manager.New(manager.Config{Store: st, DataDir: filepath.Join(t.TempDir(), "other")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = other.Close() })

	started, err := other.Install(ctx, api.InstallRequest{Path: helloBlueprint, DeploymentID: "hello", Inputs: map[string]any{"web_port": 9092}})
	require.NoError(t, err)
	e, err := started.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, e.Status, e.Error)
	run, err := other.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello"})
	require.NoError(t, err)
	id := run.Execution().ID
	e, err = run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, e.Status)
	_, err = f.st.GetExecution(ctx, id)
	require.ErrorIs(t, err, api.ErrNotFound, "deleted with its deployment")

	c := f.clients[auth.RoleViewer]
	got, err := c.GetExecution(ctx, id)
	require.NoError(t, err, "the record of an uninstall this server did not run")
	assert.Equal(t, api.ExecutionTerminated, got.Status)
	assert.Equal(t, "uninstall", got.WorkflowID)
	assert.False(t, got.DeletedAt.IsZero(), "marked deleted with its deployment")

	ended, err := c.FollowEvents(ctx, id, 0, func(*api.Event) error { return nil })
	require.NoError(t, err, "the stream ends with the end")
	require.NotNil(t, ended)
	assert.Equal(t, api.ExecutionTerminated, ended.Status)

	waited, err := c.WaitExecution(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionTerminated, waited.Status)

	evs, err := c.Events(ctx, id, 0, 0)
	require.NoError(t, err, "the events are kept with the final record")
	require.NotEmpty(t, evs)
	assert.Equal(t, api.EventWorkflowSucceeded, evs[len(evs)-1].Type)
}
