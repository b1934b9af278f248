package manager_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/testenv"
)

// retryBound is how long a queued execution may wait after the store
// came back before a worker runs it to its end: a few backoff steps and
// a short install, far below the leases and etcd's request timeout that
// an execution left behind would otherwise wait on (forever).
const retryBound = 20 * time.Second

// TestWorkerRetriesClaim: a queued execution whose claim failed because
// the store did not answer is claimed again once it answers, though
// nothing else is queued or changes.
func TestWorkerRetriesClaim(t *testing.T) {
	bin := buildGantry(t)
	for i := range faultRuns(t) {
		// It kills a member: a cluster of its own.
		t.Run(fmt.Sprintf("LeaderKilled/run%02d", i), func(t *testing.T) {
			testClaimDuringLeaderKill(newHAEnv(t, bin, testenv.StartEtcdCluster(t, 3), "claimretry"))
		})
	}
}

// testClaimDuringLeaderKill: the only worker, talking to one follower,
// is paused (SIGSTOP) while an install is queued; the follower has the
// queue's event for it; the leader is killed and the worker continued at
// once, so that it reads the event and claims while the cluster elects
// another leader. It must run the install to its end within retryBound.
func testClaimDuringLeaderKill(h *haEnv) {
	t, ctx := h.t, context.Background()
	leader := h.leader()
	follower := (leader + 1) % len(h.cluster.Endpoints)
	w := h.startWorker("wa", follower)
	h.waitWorkers(1)

	bp := filepath.Join(t.TempDir(), "bp")
	layeredBlueprint(t, bp, 1, 2, []string{"create"}, "#!/bin/bash\ntrue\n")
	_, err := h.m.UploadBlueprint(ctx, "retry", bp)
	require.NoError(t, err)
	_, err = h.m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "retry", BlueprintID: "retry", Seed: 1})
	require.NoError(t, err)

	require.NoError(t, w.cmd.Process.Signal(syscall.SIGSTOP))
	r, err := h.m.StartExecution(ctx, api.StartRequest{DeploymentID: "retry", Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	id := r.Execution().ID
	h.appliedOn(follower, id)

	h.cluster.Kill(leader)
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGCONT))
	killed := time.Now()
	e := h.waitEndedWithin(id, retryBound)
	t.Logf("leader m%d killed as the worker woke up; install %s %s after", leader, e.Status, time.Since(killed).Round(10*time.Millisecond))
	require.False(t, strings.Contains(w.stderr.String(), "panic"), w.stderr.String())
}

// appliedOn waits until member i has applied the queueing of execution
// id (a serializable read of that member alone).
func (h *haEnv) appliedOn(i int, id string) {
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{h.cluster.Endpoints[i]}, DialTimeout: 5 * time.Second})
	require.NoError(h.t, err)
	defer func() { _ = cli.Close() }()
	waitFor(h.t, 10*time.Second, fmt.Sprintf("m%d to apply the queueing of %s", i, id), func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		resp, err := cli.Get(ctx, "/"+h.prefix+"/queue/"+id, clientv3.WithSerializable(), clientv3.WithCountOnly())
		return err == nil && resp.Count == 1
	})
}
