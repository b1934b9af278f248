package server_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/server"
)

// TestShutdownLeavesResumable: Shutdown while an install waits in an
// operation stops taking executions (health 503, starts refused), cancels
// the install (forced once its timeout passes), and the execution then
// resumes to the end with the done operations skipped.
func TestShutdownLeavesResumable(t *testing.T) {
	work := t.TempDir()
	logFile, release := filepath.Join(work, "ops.log"), filepath.Join(work, "release")
	t.Setenv("LOG", logFile)
	t.Setenv("RELEASE", release)
	bp := writeChain(t, work)
	f := newFixture(t, server.Limits{})
	ctx := context.Background()
	started, err := f.clients[auth.RoleOperator].Install(ctx, api.InstallRequest{Path: bp, DeploymentID: "chain"})
	require.NoError(t, err)
	id := started.Run.Execution().ID
	deadline := time.Now().Add(60 * time.Second)
	for countOf(t, logFile, "start n3") == 0 {
		require.True(t, time.Now().Before(deadline), "n3 never started")
		time.Sleep(20 * time.Millisecond)
	}

	stopCtx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	f.srv.Shutdown(stopCtx) // n3 never finishes by itself: forced
	e, err := f.mgr.GetExecution(ctx, id)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionCancelled, e.Status, e.Error)
	resp, err := http.Get(f.http.URL + server.PathHealth)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	_, err = f.clients[auth.RoleOperator].Resume(ctx, id, api.ExecOptions{})
	assert.ErrorIs(t, err, api.ErrUnavailable, "a stopping server starts nothing")

	// The next server (here: the manager it serves) resumes it.
	require.NoError(t, os.WriteFile(release, nil, 0o644))
	run, err := f.mgr.Resume(ctx, id, api.ExecOptions{})
	require.NoError(t, err)
	e, err = run.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionTerminated, e.Status, e.Error)
	for node, starts := range map[string]int{"n1": 1, "n2": 1, "n3": 2, "n4": 1} {
		assert.Equal(t, starts, countOf(t, logFile, "start "+node), node)
	}
	assert.Equal(t, 1, countOf(t, logFile, "end n3"), "the forced n3 did not end; the resumed one did")
}
