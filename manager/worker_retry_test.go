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
	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/testenv"
)

// Tests of a `gantry worker` whose store did not answer (docs/ha.md,
// "When the store does not answer"), on a real 3-member cluster: a
// queued execution whose claim failed is claimed again once the store
// answers, though nothing else is queued or changes. The cluster refuses
// writes with its out-of-space alarm (NOSPACE, raised through etcd's
// maintenance API as etcd raises it when its quota is exceeded: reads and
// watches go on, every claim fails), or loses its leader.

// retryBound is how long a queued execution may take, once the store
// answers again, to be run to its end: a few backoff steps and an
// install of two short operations.
const retryBound = 15 * time.Second

// TestWorkerRetriesClaim: the claim of a queued execution, the takeover
// of a dead worker's execution and a worker's start, each while the
// cluster refuses writes; and a claim as the leader is killed.
func TestWorkerRetriesClaim(t *testing.T) {
	bin := buildGantry(t)
	c := testenv.StartEtcdCluster(t, 3)
	runs := faultRuns(t)
	runOnCluster(t, bin, c, runs, []faultCase{
		{"QueuedOutOfSpace", testClaimOutOfSpace},
		{"TakeoverOutOfSpace", testTakeoverOutOfSpace},
		{"StartOutOfSpace", testStartOutOfSpace},
	})
	for i := range runs {
		// It kills a member: a cluster of its own.
		t.Run(fmt.Sprintf("LeaderKilled/run%02d", i), func(t *testing.T) {
			testClaimDuringLeaderKill(newHAEnv(t, bin, testenv.StartEtcdCluster(t, 3), "claimleader"))
		})
		t.Run(fmt.Sprintf("MemberPaused/run%02d", i), func(t *testing.T) {
			testMemberPaused(newHAEnv(t, bin, c, fmt.Sprintf("memberpaused%d", i)))
		})
		t.Run(fmt.Sprintf("WatchCancelled/run%02d", i), func(t *testing.T) {
			testWatchCancelled(newHAEnv(t, bin, c, fmt.Sprintf("watchcancelled%d", i)))
		})
	}
}

// testClaimOutOfSpace: the only worker is paused (SIGSTOP) while an
// install is queued; the cluster then refuses writes and the worker is
// continued: it reads the queue's event and its claim fails. Once the
// alarm is disarmed (nothing else queued or changed) it must claim the
// install again and run it to its end.
func testClaimOutOfSpace(h *haEnv) {
	t := h.t
	w := h.startWorkerOn("wa", h.cluster.Endpoints...)
	h.waitWorkers(1)
	h.deployShort("space")
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGSTOP))
	id := h.queue("space")
	h.noSpace(true)
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGCONT))
	h.waitLogged(w, "claim "+id)
	time.Sleep(outage) // the worker tries again meanwhile, with backoff
	h.noSpace(false)
	h.requireRunWithin(id, retryBound)
	h.requireOneEpisode(w, id)
}

// outage is how long the tests keep the cluster refusing writes after
// a worker's claim failed.
const outage = 1500 * time.Millisecond

// requireOneEpisode requires the worker to have logged its failed claims
// of execution id once, then their end, after a few attempts: backoff,
// not a busy loop. (Its registration may have failed meanwhile too: a
// heartbeat in the outage, an episode of its own.)
func (h *haEnv) requireOneEpisode(w *workerProc, id string) {
	t, log := h.t, w.stderr.String()
	failed := 0
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "claim "+id) && strings.Contains(line, "trying again") {
			failed++
		}
	}
	require.Equal(t, 1, failed, "the episode's failures are logged once:\n%s", log)
	const ended = "claims: the store answers again (failed attempts: "
	var n int
	i := strings.Index(log, ended)
	require.GreaterOrEqual(t, i, 0, log)
	_, err := fmt.Sscanf(log[i+len(ended):], "%d,", &n)
	require.NoError(t, err)
	// 100 ms doubling, jittered: 4 to 6 attempts fail in 1.5 s.
	require.True(t, n >= 2 && n <= 8, "%d failed attempts in %s:\n%s", n, outage, log)
}

// testTakeoverOutOfSpace: the worker running an install is killed
// (SIGKILL) and the cluster refuses writes before its lease ends; the
// other worker sees the claim end and its takeover's claim fails. Once
// the alarm is disarmed it must take the install over and complete it.
func testTakeoverOutOfSpace(h *haEnv) {
	t := h.t
	h.startWorkerOn("wa", h.cluster.Endpoints...)
	h.startWorkerOn("wb", h.cluster.Endpoints...)
	h.waitWorkers(2)
	h.deploy("takeover", 1, 2, "#!/bin/bash\nsleep 1\n")
	id := h.queue("takeover")
	name, _ := h.holder(id, 0, 30*time.Second)
	time.Sleep(300 * time.Millisecond) // its operations run
	victim, other := h.workers[name], h.workers[map[string]string{"wa": "wb", "wb": "wa"}[name]]
	require.NoError(t, victim.cmd.Process.Kill())
	<-victim.exited
	h.noSpace(true)
	h.waitLogged(other, "claim "+id)
	time.Sleep(outage)
	h.noSpace(false)
	h.requireRunWithin(id, retryBound)
	h.requireOneEpisode(other, id)
}

// testStartOutOfSpace: a worker starts while the cluster refuses writes
// (it cannot register, nor claim what is queued); once the alarm is
// disarmed it must register and run the queued install.
func testStartOutOfSpace(h *haEnv) {
	h.deployShort("start")
	id := h.queue("start")
	h.noSpace(true)
	w := h.startWorkerOn("wa", h.cluster.Endpoints...)
	h.waitLogged(w, "register")
	h.noSpace(false)
	h.waitWorkers(1)
	h.requireRunWithin(id, retryBound)
}

// testClaimDuringLeaderKill: the only worker, talking to one follower,
// is paused while an install is queued; once the follower has the
// queue's event for it the leader is killed and the worker continued at
// once: it claims while the cluster elects another leader, and must run
// the install to its end.
func testClaimDuringLeaderKill(h *haEnv) {
	t := h.t
	leader := h.leader()
	follower := (leader + 1) % len(h.cluster.Endpoints)
	w := h.startWorker("wa", follower)
	h.waitWorkers(1)
	h.deployShort("leader")
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGSTOP))
	id := h.queue("leader")
	h.appliedOn(follower, id)
	h.cluster.Kill(leader)
	require.NoError(t, w.cmd.Process.Signal(syscall.SIGCONT))
	h.requireRunWithin(id, retryBound)
}

// deployShort stores a deployment of two instances with one short
// operation each.
func (h *haEnv) deployShort(dep string) { h.deploy(dep, 1, 2, "#!/bin/bash\ntrue\n") }

func (h *haEnv) deploy(dep string, layers, width int, script string) {
	t, ctx := h.t, context.Background()
	bp := filepath.Join(t.TempDir(), "bp")
	layeredBlueprint(t, bp, layers, width, []string{"create"}, script)
	_, err := h.m.UploadBlueprint(ctx, dep, bp)
	require.NoError(t, err)
	_, err = h.m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: dep, Seed: 1})
	require.NoError(t, err)
}

// queue queues the install of dep and returns its execution id.
func (h *haEnv) queue(dep string) string {
	r, err := h.m.StartExecution(context.Background(), api.StartRequest{DeploymentID: dep, Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(h.t, err)
	return r.Execution().ID
}

// requireRunWithin requires the execution to end well within d.
func (h *haEnv) requireRunWithin(id string, d time.Duration) {
	start := time.Now()
	e := h.waitEndedWithin(id, d)
	h.t.Logf("execution %s %s %s after the store answered again", id, e.Status, time.Since(start).Round(10*time.Millisecond))
}

// waitLogged waits for the worker to log what.
func (h *haEnv) waitLogged(w *workerProc, what string) {
	waitFor(h.t, 15*time.Second, fmt.Sprintf("%s to log %q", w.name, what), func() bool {
		return strings.Contains(w.stderr.String(), what)
	})
}

// noSpace raises (on) or disarms the cluster's NOSPACE alarm: while it
// is raised the cluster refuses every write (puts, transactions, lease
// grants), as when its space quota is exceeded.
func (h *haEnv) noSpace(on bool) {
	t, ctx := h.t, context.Background()
	ml, err := h.cli.MemberList(ctx)
	require.NoError(t, err)
	id := ml.Members[0].ID
	if on {
		_, err = pb.NewMaintenanceClient(h.cli.ActiveConnection()).Alarm(ctx,
			&pb.AlarmRequest{Action: pb.AlarmRequest_ACTIVATE, MemberID: id, Alarm: pb.AlarmType_NOSPACE})
		require.NoError(t, err)
		t.Cleanup(func() {
			_, _ = h.cli.AlarmDisarm(context.Background(), &clientv3.AlarmMember{MemberID: id, Alarm: pb.AlarmType_NOSPACE})
		})
		return
	}
	_, err = h.cli.AlarmDisarm(ctx, &clientv3.AlarmMember{MemberID: id, Alarm: pb.AlarmType_NOSPACE})
	require.NoError(t, err)
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

// testMemberPaused: one of the two members the only worker talks to is
// paused (SIGSTOP: its connections stay open, nothing answers on them)
// and an install is queued through the others. Whatever the worker's
// watch, reads, heartbeat or claim were on, it must not stay deaf or
// hung on that member: it must run the install to its end.
func testMemberPaused(h *haEnv) {
	leader := h.leader()
	paused, other := (leader+1)%3, (leader+2)%3
	h.startWorkerOn("wa", h.cluster.Endpoints[paused], h.cluster.Endpoints[other])
	h.waitWorkers(1)
	h.deployShort("paused")
	h.cluster.Pause(paused)
	defer h.cluster.Continue(paused)
	start := time.Now()
	id := h.queue("paused")
	e := h.waitEndedWithin(id, pausedBound)
	h.t.Logf("m%d paused; execution %s %s %s after it was queued", paused, id, e.Status, time.Since(start).Round(10*time.Millisecond))
}

// pausedBound: a few calls of the worker's loop that get no answer, each
// ended by workerCallTimeout (10 s), then the install.
const pausedBound = 60 * time.Second

// testWatchCancelled: the member the only worker talks to loses its
// quorum (the two others paused) long enough for etcd to cancel the
// worker's watch (no leader); the others are continued and an install is
// queued. The worker must watch and read the queue again, not go deaf:
// it runs the install to its end.
func testWatchCancelled(h *haEnv) {
	t := h.t
	k := h.leader()
	w := h.startWorkerOn("wa", h.cluster.Endpoints[k])
	h.waitWorkers(1)
	h.deployShort("cancelled")
	for i := range h.cluster.Endpoints {
		if i != k {
			h.cluster.Pause(i)
			defer h.cluster.Continue(i)
		}
	}
	h.waitLogged(w, watchEndedLog)
	for i := range h.cluster.Endpoints {
		h.cluster.Continue(i)
	}
	start := time.Now()
	id := h.queue("cancelled")
	e := h.waitEndedWithin(id, pausedBound)
	t.Logf("the worker's watch was cancelled (no leader on m%d); execution %s %s %s after it was queued", k, id, e.Status, time.Since(start).Round(10*time.Millisecond))
}

// watchEndedLog is what a worker logs when the store's watch of the
// queue closed (manager/workerretry.go).
const watchEndedLog = "the store's watch of the queue ended"
