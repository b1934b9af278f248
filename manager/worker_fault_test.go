package manager_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	etcdstore "github.com/gantryhq/gantry/store/etcd"
	"github.com/gantryhq/gantry/testenv"
)

// Fault tests of `gantry worker` processes on a real 3-member etcd
// cluster: a worker running an install is killed (SIGKILL), paused past
// its lease (SIGSTOP), or cut off from etcd (its TCP proxy black-holes
// the traffic); another worker takes the install over and completes it;
// no operation recorded done runs again; the worker that lost its claim
// writes nothing more. Leases are 2 s here (bench/takeover.sh measures
// takeover with 5 s ones).

// haLeaseTTL is the workers' lease in these tests.
const haLeaseTTL = 2 * time.Second

// workerScript logs "start|end <instance> <operation>" around a sleep
// and a ctx call (see killScript).
const workerScript = `#!/bin/bash
echo "start $GANTRY_NODE_INSTANCE_ID $GANTRY_OPERATION" >> "$LOG"
sleep 0.2
ctx instance runtime-properties "${GANTRY_OPERATION##*.}" done
echo "end $GANTRY_NODE_INSTANCE_ID $GANTRY_OPERATION" >> "$LOG"
`

// haEnv is a cluster, a client manager in the test process, and gantry
// worker processes, each talking to etcd through a proxy of its own.
type haEnv struct {
	t       *testing.T
	bin     string
	cluster *testenv.EtcdCluster
	prefix  string
	home    string
	logFile string
	m       *manager.Manager
	q       store.Queue
	cli     *clientv3.Client
	workers map[string]*workerProc
	lease   time.Duration
}

type workerProc struct {
	name   string
	cmd    *exec.Cmd
	proxy  *testenv.TCPProxy
	stderr *lockedBuffer
	exited chan struct{}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// faultCase is a fault test run on a shared cluster.
type faultCase struct {
	name string
	fn   func(*haEnv)
}

// runOnCluster runs each case runs times on cluster c, each run under its
// own key prefix.
func runOnCluster(t *testing.T, bin string, c *testenv.EtcdCluster, runs int, cases []faultCase) {
	for _, tc := range cases {
		for i := range runs {
			t.Run(fmt.Sprintf("%s/run%02d", tc.name, i), func(t *testing.T) {
				tc.fn(newHAEnv(t, bin, c, fmt.Sprintf("%s%d", strings.ToLower(tc.name), i)))
			})
		}
	}
}

// TestWorkerFaults runs the fault tests on one cluster, each under its
// own key prefix, with one gantry binary: each faultRuns times.
func TestWorkerFaults(t *testing.T) {
	bin := buildGantry(t)
	c := testenv.StartEtcdCluster(t, 3)
	runs := faultRuns(t)
	runOnCluster(t, bin, c, runs, []faultCase{
		{"KilledMidInstall", testWorkerKilledMidInstall},
		{"KilledMidScale", testWorkerKilledMidScale},
		{"PausedPastItsLease", testWorkerPausedPastItsLease},
		{"CutOffFromEtcd", testWorkerCutOffFromEtcd},
	})
	for i := range runs {
		// It kills a member: a cluster of its own, so that the others keep three.
		t.Run(fmt.Sprintf("EtcdLeaderKilled/run%02d", i), func(t *testing.T) {
			testEtcdLeaderKilled(newHAEnv(t, bin, testenv.StartEtcdCluster(t, 3), "leaderkill"))
		})
	}
}

// faultRunsCI is how many times CI (CI=true) runs each fault test.
const faultRunsCI = 3

// faultRuns is how many times each fault test runs: $GANTRY_FAULT_RUNS
// (bench/faults.sh), else faultRunsCI under CI=true, else once.
func faultRuns(t *testing.T) int {
	if v := os.Getenv("GANTRY_FAULT_RUNS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err, "GANTRY_FAULT_RUNS")
		require.Positive(t, n, "GANTRY_FAULT_RUNS")
		return n
	}
	if os.Getenv("CI") == "true" {
		return faultRunsCI
	}
	return 1
}

func newHAEnv(t *testing.T, bin string, c *testenv.EtcdCluster, prefix string) *haEnv {
	return newHAEnvLease(t, bin, c, prefix, haLeaseTTL)
}

func newHAEnvLease(t *testing.T, bin string, c *testenv.EtcdCluster, prefix string, lease time.Duration) *haEnv {
	h := &haEnv{t: t, bin: bin, cluster: c, prefix: prefix, home: t.TempDir(), workers: map[string]*workerProc{}, lease: lease}
	h.logFile = filepath.Join(h.home, "ops.log")
	m, err := manager.OpenLocal(h.url(h.cluster.Endpoints...), manager.Config{DataDir: filepath.Join(t.TempDir(), "client")})
	require.NoError(t, err)
	t.Cleanup(func() { _ = m.Close() })
	h.m = m
	var ok bool
	h.q, ok = store.AsQueue(m.Store())
	require.True(t, ok)
	h.cli = store.Backend(m.Store()).(*etcdstore.Store).Client()
	return h
}

func (h *haEnv) url(endpoints ...string) string {
	return fmt.Sprintf("etcd://%s/%s?lease-ttl=%s", strings.Join(endpoints, ","), h.prefix, h.lease)
}

// startWorker starts `gantry worker` talking to member i through a proxy.
func (h *haEnv) startWorker(name string, member int) *workerProc {
	proxy := testenv.StartTCPProxy(h.t, h.cluster.Endpoints[member])
	w := h.startWorkerOn(name, proxy.Addr)
	w.proxy = proxy
	return w
}

// startWorkerOn starts `gantry worker` talking to the given endpoints.
func (h *haEnv) startWorkerOn(name string, endpoints ...string) *workerProc {
	t := h.t
	w := &workerProc{name: name, stderr: &lockedBuffer{}, exited: make(chan struct{})}
	w.cmd = exec.Command(h.bin, "worker", "--name", name, "--parallel", "2", "--store", h.url(endpoints...))
	w.cmd.Env = append(os.Environ(), "HOME="+h.home, "TMPDIR="+h.home, "LOG="+h.logFile)
	w.cmd.Stdout, w.cmd.Stderr = w.stderr, w.stderr
	require.NoError(t, w.cmd.Start())
	go func() { _ = w.cmd.Wait(); close(w.exited) }()
	t.Cleanup(func() {
		_ = w.cmd.Process.Signal(syscall.SIGCONT)
		_ = w.cmd.Process.Kill()
		<-w.exited
		t.Logf("worker %s:\n%s", name, w.stderr.String())
	})
	h.workers[name] = w
	return w
}

// waitWorkers waits until n workers are registered.
func (h *haEnv) waitWorkers(n int) {
	waitFor(h.t, 30*time.Second, fmt.Sprintf("%d workers registered", n), func() bool {
		ws, err := h.q.Workers(context.Background())
		return err == nil && len(ws) == n
	})
}

// queueInstall stores a layered blueprint's deployment and queues its
// install; it returns the execution id and the number of operations.
func (h *haEnv) queueInstall(dep string) (string, int) {
	return h.queueLayered(dep, 6, 4, []string{"create", "configure", "start"}, workerScript)
}

func (h *haEnv) queueLayered(dep string, layers, width int, ops []string, script string) (string, int) {
	t, ctx := h.t, context.Background()
	bp := filepath.Join(t.TempDir(), "bp")
	layeredBlueprint(t, bp, layers, width, ops, script)
	_, err := h.m.UploadBlueprint(ctx, dep, bp)
	require.NoError(t, err)
	_, err = h.m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: dep, Seed: 1})
	require.NoError(t, err)
	r, err := h.m.StartExecution(ctx, api.StartRequest{DeploymentID: dep, Workflow: "install", Options: api.ExecOptions{Queue: true}})
	require.NoError(t, err)
	return r.Execution().ID, layers * width * len(ops)
}

// installMidway starts workers wa and wb, queues an install of dep and
// waits until a third of its operations ended; it returns the execution,
// its operation count, the worker holding it and its claim token.
func (h *haEnv) installMidway(dep string) (id string, total int, name string, token int64) {
	h.startWorker("wa", 0)
	h.startWorker("wb", 1)
	h.waitWorkers(2)
	id, total = h.queueInstall(dep)
	name, token = h.holder(id, 0, 30*time.Second)
	waitFor(h.t, time.Minute, "a third of the operations", func() bool { return countLines(h.logFile, "end ") >= total/3 })
	return id, total, name, token
}

// holder waits for the execution's claim and returns its holder's name
// and token.
func (h *haEnv) holder(execID string, notToken int64, timeout time.Duration) (string, int64) {
	var name string
	var token int64
	waitFor(h.t, timeout, "a claim of "+execID, func() bool {
		claims, err := h.q.Claims(context.Background())
		if err != nil {
			return false
		}
		for _, c := range claims {
			if c.ExecutionID == execID && c.Token != notToken {
				name, token = c.Holder.Name, c.Token
				return true
			}
		}
		return false
	})
	return name, token
}

// recordedDone returns the operations ("<instance> <operation>") whose
// success the store has recorded.
func (h *haEnv) recordedDone(execID string) map[string]bool {
	ctx := context.Background()
	st := h.m.Store()
	evs, err := st.Events(ctx, execID, 0, 0)
	require.NoError(h.t, err)
	tasks, err := st.ListTasks(ctx, execID)
	require.NoError(h.t, err)
	keyOf := map[string]string{}
	for _, ev := range evs {
		if ev.Type == "task_sent" {
			keyOf[ev.TaskID] = ev.NodeInstanceID + " " + ev.Operation
		}
	}
	done := map[string]bool{}
	for _, tk := range tasks {
		if k, ok := keyOf[tk.ID]; ok && tk.Status == store.TaskSucceeded {
			done[k] = true
		}
	}
	return done
}

// waitEnded waits for the execution to end and requires it succeeded.
func (h *haEnv) waitEnded(execID string) *store.Execution {
	return h.waitEndedWithin(execID, 2*time.Minute)
}

// waitEndedWithin is waitEnded within timeout.
func (h *haEnv) waitEndedWithin(execID string, timeout time.Duration) *store.Execution {
	var e *store.Execution
	waitFor(h.t, timeout, "execution "+execID+" to end", func() bool {
		var err error
		e, err = h.m.Store().GetExecution(context.Background(), execID)
		return err == nil && e.Status.Terminal()
	})
	require.Equal(h.t, store.ExecutionTerminated, e.Status, e.Error)
	return e
}

// requireRanOnce checks the operation log: every operation ended, none
// recorded done before the takeover (from offset on) started again, and
// none started more than once after it.
func (h *haEnv) requireRanOnce(total int, done map[string]bool, offset int64) {
	t := h.t
	all, _ := opLog(t, h.logFile, 0)
	require.Len(t, all["end"], total, "operations that ended")
	after, _ := opLog(t, h.logFile, offset)
	for k := range after["start"] {
		require.False(t, done[k], "%s was recorded done before the takeover, yet ran again", k)
		require.Equal(t, 1, after["start"][k], "%s ran more than once after the takeover", k)
	}
	t.Logf("%d operations recorded done before the takeover; %d ran after it", len(done), len(after["start"]))
}

// requireWritesNothing waits for the worker to report its lost claim,
// then checks that no key of the store changed after revision rev but
// workers' and claims' own (a worker re-registers itself).
func (h *haEnv) requireWritesNothing(w *workerProc, rev int64) {
	t := h.t
	waitFor(t, 3*haLeaseTTL+5*time.Second, w.name+" to report its lost claim", func() bool {
		return strings.Contains(w.stderr.String(), "claim lost")
	})
	time.Sleep(time.Second) // anything it still tried to write
	resp, err := h.cli.Get(context.Background(), "/"+h.prefix+"/", clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithMinModRev(rev+1))
	require.NoError(t, err)
	for _, kv := range resp.Kvs {
		k := strings.TrimPrefix(string(kv.Key), "/"+h.prefix+"/")
		require.True(t, strings.HasPrefix(k, "worker/") || strings.HasPrefix(k, "claim/"), "key %q changed at revision %d, after the takeover completed (%d)", k, kv.ModRevision, rev)
	}
}

func (h *haEnv) revision() int64 {
	resp, err := h.cli.Get(context.Background(), "/"+h.prefix+"/schema")
	require.NoError(h.t, err)
	return resp.Header.Revision
}

func (h *haEnv) requireConsistent() {
	problems, err := h.m.Store().Check(context.Background())
	require.NoError(h.t, err)
	require.Empty(h.t, problems)
}

// testWorkerKilledMidInstall: the worker running an install is killed
// with SIGKILL; the other takes it over once the lease ends and
// completes it; operations recorded done do not run again.
func testWorkerKilledMidInstall(h *haEnv) {
	t := h.t
	id, total, name, token := h.installMidway("kill")
	victim := h.workers[name]
	require.NoError(t, victim.cmd.Process.Kill())
	<-victim.exited
	killed := time.Now()
	time.Sleep(300 * time.Millisecond) // the dead worker's scripts are stopped by their guards
	done := h.recordedDone(id)
	_, offset := opLog(t, h.logFile, 0)
	require.NotEmpty(t, done)

	next, _ := h.holder(id, token, 30*time.Second)
	t.Logf("%s killed; %s took the execution over after %s (lease %s)", name, next, time.Since(killed).Round(10*time.Millisecond), haLeaseTTL)
	require.NotEqual(t, name, next)
	h.waitEnded(id)
	h.requireRanOnce(total, done, offset)
	h.requireConsistent()
}

// testWorkerPausedPastItsLease: the worker running an install is paused
// (SIGSTOP) past its lease; the other takes over and completes it; then
// the paused one is continued: it finds its claim lost, stops, and
// writes nothing (no execution key changes after the takeover ended).
func testWorkerPausedPastItsLease(h *haEnv) {
	t := h.t
	id, total, name, token := h.installMidway("pause")
	paused := h.workers[name]
	require.NoError(t, paused.cmd.Process.Signal(syscall.SIGSTOP))
	stopped := time.Now()
	// A script it spawned just before may still log its start.
	time.Sleep(500 * time.Millisecond)
	done := h.recordedDone(id)
	_, offset := opLog(t, h.logFile, 0)

	next, _ := h.holder(id, token, 30*time.Second)
	t.Logf("%s paused; %s took the execution over after %s", name, next, time.Since(stopped).Round(10*time.Millisecond))
	h.waitEnded(id)
	rev := h.revision()
	require.NoError(t, paused.cmd.Process.Signal(syscall.SIGCONT))
	h.requireWritesNothing(paused, rev)
	h.waitEnded(id)
	h.requireRanOnce(total, done, offset)
	h.requireConsistent()
}

// testWorkerCutOffFromEtcd: the worker running an install is cut off
// from etcd (its proxy black-holes the traffic); its lease ends, it
// stops its operations, the other worker takes over and completes the
// install; when the network comes back the cut-off worker writes nothing.
func testWorkerCutOffFromEtcd(h *haEnv) {
	t := h.t
	id, total, name, token := h.installMidway("partition")
	cut := h.workers[name]
	cut.proxy.Block()
	blocked := time.Now()

	next, _ := h.holder(id, token, 30*time.Second)
	t.Logf("%s cut off; %s took the execution over after %s", name, next, time.Since(blocked).Round(10*time.Millisecond))
	waitFor(t, 3*haLeaseTTL+5*time.Second, name+" to stop on its lost lease", func() bool {
		return strings.Contains(cut.stderr.String(), "claim lost")
	})
	h.waitEnded(id)
	rev := h.revision()
	cut.proxy.Unblock()
	h.requireWritesNothing(cut, rev)
	all, _ := opLog(t, h.logFile, 0)
	require.Len(t, all["end"], total)
	h.requireConsistent()
}

// testEtcdLeaderKilled: the etcd leader is killed (SIGKILL) while two
// workers, each talking to every member, run an install; the cluster
// elects another leader and the install completes, whoever ends up
// holding it; no operation recorded done before the kill runs again.
func testEtcdLeaderKilled(h *haEnv) {
	t := h.t
	h.startWorkerOn("wa", h.cluster.Endpoints...)
	h.startWorkerOn("wb", h.cluster.Endpoints...)
	h.waitWorkers(2)
	id, total := h.queueInstall("leader")
	name, _ := h.holder(id, 0, 30*time.Second)
	waitFor(t, time.Minute, "a third of the operations", func() bool { return countLines(h.logFile, "end ") >= total/3 })
	leader := h.leader()
	h.cluster.Kill(leader)
	killed := time.Now()
	done := h.recordedDone(id)
	_, offset := opLog(t, h.logFile, 0)
	require.NotEmpty(t, done)

	h.waitEnded(id)
	t.Logf("leader m%d killed while %s ran the install (%d operations recorded done); it ended %s later",
		leader, name, len(done), time.Since(killed).Round(10*time.Millisecond))
	for _, w := range h.workers {
		if strings.Contains(w.stderr.String(), "claim lost") {
			t.Logf("%s lost its claim: the other took the install over", w.name)
		}
	}
	all, _ := opLog(t, h.logFile, 0)
	require.Len(t, all["end"], total, "operations that ended")
	after, _ := opLog(t, h.logFile, offset)
	for k := range after["start"] {
		require.False(t, done[k], "%s was recorded done before the leader's kill, yet ran again", k)
	}
	h.requireConsistent()
}

// leader returns the index of the cluster's leader.
func (h *haEnv) leader() int {
	var leader int
	waitFor(h.t, 30*time.Second, "a leader", func() bool {
		ms, err := h.q.Members(context.Background())
		if err != nil {
			return false
		}
		for _, m := range ms {
			if _, err := fmt.Sscanf(m.Name, "m%d", &leader); err == nil && m.Leader {
				return true
			}
		}
		return false
	})
	return leader
}

// TestTakeoverBench measures takeover latency with 5 s leases: from the
// SIGKILL of the worker running an install to the other worker's claim
// (its recorded time), GANTRY_BENCH_TAKEOVER times (bench/takeover.sh;
// skipped without it).
func TestTakeoverBench(t *testing.T) {
	runs, _ := strconv.Atoi(os.Getenv("GANTRY_BENCH_TAKEOVER"))
	if runs <= 0 {
		t.Skip("a benchmark: GANTRY_BENCH_TAKEOVER=N runs it N times (bench/takeover.sh)")
	}
	lease := 5 * time.Second
	if v := os.Getenv("GANTRY_BENCH_LEASE"); v != "" {
		var err error
		lease, err = time.ParseDuration(v)
		require.NoError(t, err)
	}
	bin := buildGantry(t)
	c := testenv.StartEtcdCluster(t, 3)
	var took []time.Duration
	for i := range runs {
		t.Run(fmt.Sprintf("run%02d", i), func(t *testing.T) {
			h := newHAEnvLease(t, bin, c, fmt.Sprintf("bench%d", i), lease)
			h.startWorker("wa", i%3)
			h.startWorker("wb", (i+1)%3)
			h.waitWorkers(2)
			// Operations that each sleep a while: the kill lands in one.
			id, _ := h.queueLayered("take", 2, 2, []string{"create"}, "#!/bin/bash\nsleep 2\n")
			name, token := h.holder(id, 0, 30*time.Second)
			time.Sleep(500 * time.Millisecond)
			victim := h.workers[name]
			killed := time.Now()
			require.NoError(t, victim.cmd.Process.Kill())
			<-victim.exited
			h.holder(id, token, 3*lease)
			claims, err := h.q.Claims(context.Background())
			require.NoError(t, err)
			require.Len(t, claims, 1)
			d := claims[0].Since.Sub(killed)
			took = append(took, d)
			t.Logf("run %d: takeover %s", i, d.Round(time.Millisecond))
			h.waitEnded(id)
		})
	}
	sort.Slice(took, func(i, j int) bool { return took[i] < took[j] })
	pct := func(p float64) time.Duration { return took[int(p*float64(len(took)-1)+0.5)] }
	fmt.Printf("takeover with a %s lease, %d runs: p50 %s, p95 %s, min %s, max %s\n", lease, len(took),
		pct(0.5).Round(time.Millisecond), pct(0.95).Round(time.Millisecond), took[0].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
}

// TestDrainBench measures how long 1 and then 3 workers (each
// --parallel 2) take to drain 30 queued installs of one 2 s operation
// each (bench/drain.sh; skipped without GANTRY_BENCH_DRAIN=1).
func TestDrainBench(t *testing.T) {
	if os.Getenv("GANTRY_BENCH_DRAIN") == "" {
		t.Skip("a benchmark: GANTRY_BENCH_DRAIN=1 runs it (bench/drain.sh)")
	}
	const deployments = 30
	bin := buildGantry(t)
	c := testenv.StartEtcdCluster(t, 3)
	took := map[int]time.Duration{}
	for _, n := range []int{1, 3} {
		t.Run(fmt.Sprintf("workers%d", n), func(t *testing.T) {
			h := newHAEnvLease(t, bin, c, fmt.Sprintf("drain%d", n), 5*time.Second)
			var ids []string
			for i := range deployments {
				id, _ := h.queueLayered(fmt.Sprintf("d%02d", i), 1, 1, []string{"create"}, "#!/bin/bash\nsleep 2\n")
				ids = append(ids, id)
			}
			start := time.Now()
			for i := range n {
				h.startWorker(fmt.Sprintf("w%d", i), i%3)
			}
			for _, id := range ids {
				h.waitEnded(id)
			}
			took[n] = time.Since(start)
			t.Logf("%d worker(s) drained %d installs in %s", n, deployments, took[n].Round(10*time.Millisecond))
		})
	}
	fmt.Printf("30 queued installs (one 2 s operation each), --parallel 2: 1 worker %s, 3 workers %s, speed-up %.2fx\n",
		took[1].Round(10*time.Millisecond), took[3].Round(10*time.Millisecond), float64(took[1])/float64(took[3]))
}
