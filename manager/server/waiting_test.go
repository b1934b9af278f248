package server_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
)

// chainWaiting writes the chain blueprint into a new folder and points its
// scripts' LOG and RELEASE there: its n3 waits until release is called (or
// 60 s have passed).
func chainWaiting(t *testing.T) (bp string, release func()) {
	t.Helper()
	work := t.TempDir()
	flag := filepath.Join(work, "release")
	t.Setenv("LOG", filepath.Join(work, "ops.log"))
	t.Setenv("RELEASE", flag)
	return writeChain(t, work), func() { _ = os.WriteFile(flag, nil, 0o644) }
}

// installWaiting installs the waiting chain through the operator's client
// and returns the execution's id; n3 waits until the test ends, whose
// cleanup releases it and waits for the install.
func (f *fixture) installWaiting(t *testing.T) string {
	t.Helper()
	bp, release := chainWaiting(t)
	ctx := context.Background()
	started, err := f.clients[auth.RoleOperator].Install(ctx, api.InstallRequest{Path: bp, DeploymentID: "chain"})
	require.NoError(t, err)
	t.Cleanup(func() { // let the install end before the fixture closes
		release()
		_, _ = started.Run.Wait(ctx)
	})
	return started.Run.Execution().ID
}

// requireEndsFirst waits up to 30 s for a request to end (ended closed)
// and checks that execution id still runs: the request did not end with it.
func (f *fixture) requireEndsFirst(t *testing.T, ended <-chan struct{}, id, why string) {
	t.Helper()
	select {
	case <-ended:
	case <-time.After(30 * time.Second):
		t.Fatalf("still open 30 s after %s", why)
	}
	e, err := f.mgr.GetExecution(context.Background(), id)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionStarted, e.Status, "the execution still runs: %s ended the request", why)
}
