package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/server"
)

// TestStartPromisesAFollower: a start that says its caller follows the
// execution (options.follow, as the remote client sends) makes the
// execution followed from its first event, before any stream has
// connected, so the engine commits its events at once rather than
// batching them until the follower comes; one that does not say so is
// not followed. The promise ends with the run.
func TestStartPromisesAFollower(t *testing.T) {
	bp, release := chainWaiting(t)
	f := newFixture(t, server.Limits{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := f.mgr.UploadBlueprint(ctx, "chain", bp)
	require.NoError(t, err)

	start := func(dep string, follow bool) string {
		_, err := f.mgr.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: "chain"})
		require.NoError(t, err)
		body, err := json.Marshal(api.StartRequest{DeploymentID: dep, Workflow: "install", Options: api.ExecOptions{Follow: follow}})
		require.NoError(t, err)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.http.URL+server.PathExecutions, bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+f.tokens[auth.RoleOperator])
		req.Header.Set("Content-Type", server.ContentJSON)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Less(t, resp.StatusCode, 300)
		var e api.Execution
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
		return e.ID
	}
	followed := start("promised", true)
	plain := start("plain", false)
	assert.True(t, f.mgr.Followed(followed), "followed on its starter's word, no stream open")
	assert.False(t, f.mgr.Followed(plain), "nobody said they follow it")

	release()
	for _, id := range []string{followed, plain} {
		e, err := f.mgr.WaitExecution(ctx, id)
		require.NoError(t, err)
		require.Equal(t, api.ExecutionTerminated, e.Status, e.Error)
	}
	require.Eventually(t, func() bool { return !f.mgr.Followed(followed) }, 10*time.Second, 10*time.Millisecond,
		"the promise ends with the run")
}
