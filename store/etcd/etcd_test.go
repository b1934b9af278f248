package etcdstore

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/store/storetest"
	"github.com/gantryhq/gantry/testenv"
	"github.com/gantryhq/gantry/tosca"
)

// One real 3-member cluster (etcd's default limits: 128 operations per
// transaction, 1.5 MiB per request) serves every test of the package,
// each under its own prefix.
var (
	cluster  *testenv.EtcdCluster
	prefixes atomic.Int64
)

func TestEtcd(t *testing.T) {
	cluster = testenv.StartEtcdCluster(t, 3)
	t.Run("Contract", func(t *testing.T) {
		// The whole store contract suite, through store.Open and a URL.
		storetest.Run(t, func(t *testing.T) store.Store {
			s, err := store.Open(context.Background(), cluster.URL(fmt.Sprintf("contract-%d", prefixes.Add(1))), store.Options{})
			require.NoError(t, err)
			w, ok := store.AsWatcher(s)
			require.True(t, ok, "an etcd store watches, through Open's wrapper")
			require.IsType(t, &Store{}, w)
			return s
		})
		storetest.RunExpiry(t, func(t *testing.T, ttl time.Duration) store.Store {
			s, err := store.Open(context.Background(), cluster.URL(fmt.Sprintf("contract-%d", prefixes.Add(1))), store.Options{DeletedExecutionTTL: ttl})
			require.NoError(t, err)
			return s
		})
	})
	t.Run("BigBatchIsOrderedTransactions", testBigBatch)
	t.Run("BigDeployment", testBigDeployment)
	t.Run("BigArchive", testBigArchive)
	t.Run("BigPlan", testBigPlan)
	t.Run("PlanSwitchesWithItsRecord", testPlanSwitchCrash)
	t.Run("ConflictAfterFirstTransaction", testConflictAfterFirst)
	t.Run("ImportDeletedMidCreate", testImportDeletedMidCreate)
	t.Run("ImportersIndexMadeWhole", testImportersIndexMadeWhole)
	t.Run("StaleCacheVersionCheck", testStaleCacheVersionCheck)
	t.Run("UnansweredCacheCheck", testUnansweredCacheCheck)
	t.Run("AppliedAfterALostAnswer", testApplied)
	t.Run("LeftoversOfADeadCreate", testLeftovers)
	t.Run("SchemaNewer", testSchemaNewer)
	t.Run("WaitEvents", testWaitEvents)
	t.Run("WatchExecution", testWatchExecution)
	t.Run("ClaimRace", testClaimRace)
	t.Run("StaleTokenRefused", testStaleTokenRefused)
	t.Run("LeaseExpiry", testLeaseExpiry)
	t.Run("Queue", testQueue)
	t.Run("CancelQueued", testCancelQueued)
	t.Run("ClaimAnswerLost", testClaimAnswerLost)
	// Last: it compacts the cluster's history.
	t.Run("DeletedEventsSplitDeleteAndCompaction", testDeletedEventsCompacted)
}

// testDeletedEventsCompacted: the events of executions deleted with their
// deployment are read at the revision before their tombstone, also when
// the delete is split over several transactions; once the cluster
// compacted that revision they are gone (ErrNotFound), the tombstone
// stays and the store checks clean.
func testDeletedEventsCompacted(t *testing.T) {
	ctx := context.Background()
	s, err := OpenURL(ctx, cluster.URL(fmt.Sprintf("t-%d", prefixes.Add(1)))+"?max-txn-ops=8", store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	seed(t, s, 0)
	ids := []string{"e"}
	for i := range 20 {
		id := fmt.Sprintf("e%02d", i)
		require.NoError(t, s.CreateExecution(ctx, &store.Execution{ID: id, DeploymentID: "d", WorkflowID: "install"}))
		ids = append(ids, id)
	}
	for _, id := range ids {
		require.NoError(t, s.AppendEvents(ctx, id, []*store.Event{{Type: "log", Message: id}, {Type: "workflow_succeeded", Message: id}}))
	}
	before := rev(t, s)
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	require.Greater(t, rev(t, s)-before, int64(2), "a delete split over several transactions")
	for _, id := range ids {
		evs, err := s.DeletedEvents(ctx, id, 0, 0)
		require.NoError(t, err, id)
		require.Len(t, evs, 2, id)
		assert.Equal(t, "workflow_succeeded", evs[1].Type, id)
		assert.Equal(t, id, evs[1].Message)
	}

	_, err = s.cli.Compact(ctx, rev(t, s))
	require.NoError(t, err)
	_, err = s.DeletedEvents(ctx, "e", 0, 0)
	require.ErrorIs(t, err, store.ErrNotFound, "compacted away")
	assert.Contains(t, err.Error(), "compacted")
	_, err = s.GetDeletedExecution(ctx, "e")
	require.NoError(t, err, "the tombstone stays")
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	require.Empty(t, problems)
}

// testWaitEvents: a follower blocked in WaitEvents wakes when another
// client appends, returns at once when events are there already, and
// honours its context.
func testWaitEvents(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 0)
	other, err := OpenURL(ctx, cluster.URL(s.opts.Prefix), store.Options{})
	require.NoError(t, err)
	defer other.Close()

	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, s.WaitEvents(short, "e", 0), context.DeadlineExceeded, "nothing to wait for yet")

	woke := make(chan time.Time, 1)
	go func() {
		assert.NoError(t, s.WaitEvents(ctx, "e", 0))
		woke <- time.Now()
	}()
	time.Sleep(100 * time.Millisecond) // the watch is set up
	sent := time.Now()
	require.NoError(t, other.AppendEvents(ctx, "e", []*store.Event{{Type: "log", Message: "hi"}}))
	select {
	case at := <-woke:
		t.Logf("woke %v after the append", at.Sub(sent))
	case <-time.After(5 * time.Second):
		t.Fatal("WaitEvents did not wake on an append")
	}
	require.NoError(t, s.WaitEvents(ctx, "e", 0), "an event after 0 exists: no wait")
	require.ErrorIs(t, s.WaitEvents(ctx, "nope", 0), store.ErrNotFound)
}

// testWatchExecution: the record, then a cancel request made by another
// client, arrive on the channel; it closes when the context ends.
func testWatchExecution(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := open(t)
	seed(t, s, 0)
	ch, err := s.WatchExecution(ctx, "e")
	require.NoError(t, err)
	first := <-ch
	require.False(t, first.CancelRequested)
	sent := time.Now()
	_, err = s.RequestCancel(ctx, "e", true)
	require.NoError(t, err)
	select {
	case e := <-ch:
		require.True(t, e.CancelRequested && e.ForceCancel)
		t.Logf("cancel seen %v after the request", time.Since(sent))
	case <-time.After(5 * time.Second):
		t.Fatal("the cancel request did not arrive")
	}
	cancel()
	for range ch {
	}
	_, err = s.WatchExecution(context.Background(), "nope")
	require.ErrorIs(t, err, store.ErrNotFound)
}

func open(t *testing.T) *Store {
	t.Helper()
	s, err := OpenURL(context.Background(), cluster.URL(fmt.Sprintf("t-%d", prefixes.Add(1))), store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func rev(t *testing.T, s *Store) int64 {
	t.Helper()
	resp, err := s.cli.Get(context.Background(), s.k.schema())
	require.NoError(t, err)
	return resp.Header.Revision
}

func plan(n int) *tosca.Plan {
	p := &tosca.Plan{Nodes: []*tosca.Node{{ID: "web", Name: "web", Type: tosca.TypeRoot}}}
	for i := range n {
		id := fmt.Sprintf("web_%05d", i)
		p.NodeInstances = append(p.NodeInstances, &tosca.NodeInstance{ID: id, Name: id, NodeID: "web"})
	}
	return p
}

func seed(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte("x"), 0o644))
	data, err := store.ArchiveDir(dir, 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "bp", MainFile: "blueprint.yaml"}, data))
	require.NoError(t, s.CreateDeployment(ctx, &store.Deployment{ID: "d", BlueprintID: "bp", Plan: plan(n)}))
	require.NoError(t, s.CreateExecution(ctx, &store.Execution{ID: "e", DeploymentID: "d", WorkflowID: "install"}))
}

// testStaleCacheVersionCheck: a Batch's version check against a cached
// node instance that another client deleted and created again (a scale
// rolled back, then resumed: the instance is back at version 1) runs
// again from a fresh read instead of failing with ErrConflict.
func testStaleCacheVersionCheck(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	other, err := OpenURL(ctx, cluster.URL(s.opts.Prefix), store.Options{})
	require.NoError(t, err)
	defer other.Close()
	setState := func(st store.Store, version int, state store.State) error {
		_, err := st.UpdateNodeInstance(ctx, "d", "web_00000", version, func(ni *store.NodeInstance) error { ni.State = state; return nil })
		return err
	}
	for v := 1; v <= 3; v++ { // cached at version 4
		require.NoError(t, s.Batch(ctx, func(b store.Store) error { return setState(b, v, store.StateCreating) }))
	}
	require.NoError(t, other.DeleteNodeInstances(ctx, "d", []string{"web_00000"}))
	require.NoError(t, other.CreateNodeInstances(ctx, "d", []*store.NodeInstance{{NodeInstance: tosca.NodeInstance{ID: "web_00000", Name: "web_00000", NodeID: "web"}}}))
	require.NoError(t, s.Batch(ctx, func(b store.Store) error { return setState(b, 1, store.StateCreated) }))
	ni, err := other.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	require.Equal(t, 2, ni.Version)
	require.Equal(t, store.StateCreated, ni.State)
	// A version that is wrong in the store itself is still a conflict.
	err = s.Batch(ctx, func(b store.Store) error { return setState(b, 1, store.StateStarted) })
	require.ErrorIs(t, err, store.ErrConflict)
}

// testUnansweredCacheCheck: the check of a Batch's cached records that
// the cluster does not answer (its leader just died: the connection was
// reset) is waited out like an unanswered read or commit; the Batch
// commits once the cluster answers (it used to fail with ErrUnavailable,
// failing the execution whose state it wrote).
func testUnansweredCacheCheck(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	setState := func(version int, state store.State) error {
		return s.Batch(ctx, func(b store.Store) error {
			_, err := b.UpdateNodeInstance(ctx, "d", "web_00000", version, func(ni *store.NodeInstance) error { ni.State = state; return nil })
			return err
		})
	}
	require.NoError(t, setState(1, store.StateCreating)) // cached at version 2
	kv := &unansweringKV{KV: s.cli}
	s.kv = kv
	require.NoError(t, setState(2, store.StateCreated))
	require.Equal(t, 1, kv.failed, "the cached record's check went unanswered once")
	ni, err := s.GetNodeInstance(ctx, "d", "web_00000")
	require.NoError(t, err)
	require.Equal(t, 3, ni.Version)
	require.Equal(t, store.StateCreated, ni.State)
}

// unansweringKV fails its first compare-only transaction as a connection
// to a leader that died does.
type unansweringKV struct {
	clientv3.KV
	failed int
}

func (u *unansweringKV) Txn(ctx context.Context) clientv3.Txn {
	return &unansweredTxn{Txn: u.KV.Txn(ctx), kv: u}
}

type unansweredTxn struct {
	clientv3.Txn
	kv     *unansweringKV
	writes bool
}

func (x *unansweredTxn) If(cs ...clientv3.Cmp) clientv3.Txn { x.Txn = x.Txn.If(cs...); return x }
func (x *unansweredTxn) Then(ops ...clientv3.Op) clientv3.Txn {
	x.writes = x.writes || len(ops) > 0
	x.Txn = x.Txn.Then(ops...)
	return x
}
func (x *unansweredTxn) Else(ops ...clientv3.Op) clientv3.Txn { x.Txn = x.Txn.Else(ops...); return x }
func (x *unansweredTxn) Commit() (*clientv3.TxnResponse, error) {
	if !x.writes && x.kv.failed == 0 {
		x.kv.failed++
		return nil, status.Error(codes.Unavailable, "error reading from server: read tcp: connection reset by peer")
	}
	return x.Txn.Commit()
}

func clean(t *testing.T, s *Store) {
	t.Helper()
	problems, err := s.Check(context.Background())
	require.NoError(t, err)
	require.Empty(t, problems)
}

// testBigBatch: a flush of 1,000 items (far over 128 operations) commits
// as several ordered transactions, all of it visible after, events
// numbered without a gap.
func testBigBatch(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 400)
	before := rev(t, s)
	err := s.Batch(ctx, func(tx store.Store) error {
		for i := range 300 {
			if _, err := tx.UpdateNodeInstance(ctx, "d", fmt.Sprintf("web_%05d", i), 1, func(ni *store.NodeInstance) error {
				ni.State = store.StateStarted
				return nil
			}); err != nil {
				return err
			}
		}
		tasks := make([]*store.Task, 300)
		for i := range tasks {
			tasks[i] = &store.Task{ID: fmt.Sprintf("task-%03d", i), Status: store.TaskSucceeded}
		}
		if err := tx.PutTasks(ctx, "e", tasks); err != nil {
			return err
		}
		evs := make([]*store.Event, 400)
		for i := range evs {
			evs[i] = &store.Event{Type: "log", Message: fmt.Sprint(i)}
		}
		return tx.AppendEvents(ctx, "e", evs)
	})
	require.NoError(t, err)
	txns := rev(t, s) - before
	// 300 + 300 + 400 puts plus the counter, 128 per transaction.
	assert.EqualValues(t, 8, txns, "ordered transactions of at most 128 operations")
	insts, err := s.ListNodeInstances(ctx, "d", "")
	require.NoError(t, err)
	for i, ni := range insts[:300] {
		require.Equal(t, store.StateStarted, ni.State, i)
		require.Equal(t, 2, ni.Version)
	}
	evs, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 400)
	for i, ev := range evs {
		require.Equal(t, uint64(i+1), ev.Seq)
	}
	more := []*store.Event{{Type: "log"}}
	require.NoError(t, s.AppendEvents(ctx, "e", more))
	assert.EqualValues(t, 401, more[0].Seq)
	clean(t, s)
}

// testBigDeployment: thousands of instances (two keys each, over the
// request size too) create, list, scale in and delete.
func testBigDeployment(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1000)
	insts, err := s.ListNodeInstances(ctx, "d", "web")
	require.NoError(t, err)
	require.Len(t, insts, 1000)
	ids := make([]string, 200)
	for i := range ids {
		ids[i] = fmt.Sprintf("web_%05d", i)
	}
	require.NoError(t, s.DeleteNodeInstances(ctx, "d", ids))
	insts, err = s.ListNodeInstances(ctx, "d", "")
	require.NoError(t, err)
	require.Len(t, insts, 800)
	clean(t, s)
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	resp, err := s.cli.Get(ctx, s.k.p, clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	assert.EqualValues(t, 5, resp.Count, "schema, the importers index's marker, blueprint, its archive chunk, the tombstone of its execution and nothing else of the deployment")
	clean(t, s)
}

// testBigArchive: an archive of several MiB (over etcd's request limit)
// is stored in chunks and comes back byte for byte.
func testBigArchive(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	dir := t.TempDir()
	noise := make([]byte, 3<<20) // incompressible
	_, _ = rand.Read(noise)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte("x"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "image.bin"), noise, 0o644))
	data, err := store.ArchiveDir(dir, 0)
	require.NoError(t, err)
	require.Greater(t, len(data), 3<<20)
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "big", MainFile: "blueprint.yaml"}, data))
	got, err := s.BlueprintArchive(ctx, "big")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, got))
	out := t.TempDir()
	require.NoError(t, s.BlueprintFiles(ctx, "big", out))
	back, err := os.ReadFile(filepath.Join(out, "image.bin"))
	require.NoError(t, err)
	require.True(t, bytes.Equal(noise, back))
	clean(t, s)
	require.NoError(t, s.DeleteBlueprint(ctx, "big"))
	clean(t, s)
}

// testBigPlan: a plan over etcd's request limit (a 1,000-node blueprint's
// is 1.5 MB of JSON) is stored as a compressed, chunked blob; an update
// replaces it and leaves no chunk of the old version behind.
func testBigPlan(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 0)
	noise := make([]byte, 1<<20)
	_, _ = rand.Read(noise)
	p := plan(1)
	p.Nodes[0].Properties = map[string]any{"blob": fmt.Sprintf("%x", noise)} // 2 MiB, ~1 MiB compressed
	require.NoError(t, s.CreateDeployment(ctx, &store.Deployment{ID: "big", BlueprintID: "bp", Plan: p}))
	got, err := s.GetDeployment(ctx, "big")
	require.NoError(t, err)
	require.Equal(t, p.Nodes[0].Properties["blob"], got.Plan.Nodes[0].Properties["blob"])
	chunks := func() int64 {
		resp, err := s.cli.Get(ctx, s.k.planChunks("big"), clientv3.WithPrefix(), clientv3.WithCountOnly())
		require.NoError(t, err)
		return resp.Count
	}
	require.Greater(t, chunks(), int64(1))
	_, err = s.UpdateDeployment(ctx, "big", func(d *store.Deployment) error {
		d.Plan.Nodes[0].Properties["blob"] = "small now"
		return nil
	})
	require.NoError(t, err)
	got, err = s.GetDeployment(ctx, "big")
	require.NoError(t, err)
	require.Equal(t, "small now", got.Plan.Nodes[0].Properties["blob"])
	require.EqualValues(t, 1, chunks(), "the old version's chunks are gone")
	clean(t, s)
	require.NoError(t, s.DeleteDeployment(ctx, "big", false))
	require.EqualValues(t, 0, chunks())
	clean(t, s)
}

// testPlanSwitchCrash: a deployment write committed in parts (one
// operation per etcd transaction here) and stopped after each of them, as
// a crash would: a reader always finds the record with its own plan (the
// old pair or the new one, never the new plan under the old record), and
// Check finds nothing but chunks no reader reads. A whole write from
// there leaves only its plan's chunk.
func testPlanSwitchCrash(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	opts := s.opts
	opts.MaxTxnOps = 1
	nodes := func(d *store.Deployment) []string {
		var ids []string
		for _, n := range d.Plan.Nodes {
			ids = append(ids, n.ID)
		}
		return ids
	}
	for at := 1; ; at++ {
		kv := &crashingKV{KV: s.cli, at: at}
		tx := newTx(kv, opts)
		v := &view{s: s, t: tx, k: s.k}
		_, err := v.UpdateDeployment(ctx, "d", func(d *store.Deployment) error {
			d.Plan.Nodes = append(d.Plan.Nodes, &tosca.Node{ID: "db", Name: "db", Type: tosca.TypeRoot})
			d.ModifiedBy = "switch"
			return nil
		})
		require.NoError(t, err)
		err = tx.commit(ctx)
		got, gerr := s.GetDeployment(ctx, "d")
		require.NoError(t, gerr)
		if got.ModifiedBy == "switch" {
			require.Equal(t, []string{"web", "db"}, nodes(got), "stopped at transaction %d: the new record has the new plan", at)
		} else {
			require.Equal(t, []string{"web"}, nodes(got), "stopped at transaction %d: the old record has the old plan", at)
		}
		problems, cerr := s.Check(ctx)
		require.NoError(t, cerr)
		for _, p := range problems {
			require.Contains(t, p, "not of its current plan", "stopped at %d: only chunks nobody reads are left over", at)
		}
		if err == nil {
			require.Empty(t, problems)
			require.Greater(t, at, 3, "the write took several transactions")
			break
		}
		require.ErrorIs(t, err, errCrashed)
		// Back to the old pair through a whole write (it cleans what the
		// stopped one left).
		_, err = s.UpdateDeployment(ctx, "d", func(d *store.Deployment) error {
			d.Plan.Nodes, d.ModifiedBy = d.Plan.Nodes[:1], ""
			return nil
		})
		require.NoError(t, err)
		resp, err := s.cli.Get(ctx, s.k.planChunks("d"), clientv3.WithPrefix(), clientv3.WithCountOnly())
		require.NoError(t, err)
		require.EqualValues(t, 1, resp.Count, "stopped at %d: one plan's chunk left after a whole write", at)
		clean(t, s)
	}
}

// crashingKV fails its at-th transaction, and every later one, as a
// process that died there would never send them.
type crashingKV struct {
	clientv3.KV
	n, at int
}

var errCrashed = errors.New("crashed")

func (c *crashingKV) Txn(ctx context.Context) clientv3.Txn {
	c.n++
	if c.n >= c.at {
		return crashedTxn{c.KV.Txn(ctx)}
	}
	return c.KV.Txn(ctx)
}

type crashedTxn struct{ clientv3.Txn }

func (x crashedTxn) If(cs ...clientv3.Cmp) clientv3.Txn   { x.Txn = x.Txn.If(cs...); return x }
func (x crashedTxn) Then(ops ...clientv3.Op) clientv3.Txn { x.Txn = x.Txn.Then(ops...); return x }
func (x crashedTxn) Else(ops ...clientv3.Op) clientv3.Txn { x.Txn = x.Txn.Else(ops...); return x }
func (crashedTxn) Commit() (*clientv3.TxnResponse, error) { return nil, errCrashed }

// racingKV changes a key behind the transaction's back after its first
// etcd transaction commits.
type racingKV struct {
	clientv3.KV
	commits int
	race    func()
}

func (r *racingKV) Txn(ctx context.Context) clientv3.Txn {
	r.commits++
	if r.commits == 2 && r.race != nil {
		r.race()
	}
	return r.KV.Txn(ctx)
}

// testConflictAfterFirst: when another client changes a key that a later
// transaction of a split write guards, that transaction fails with
// ErrConflict saying how much was committed, the earlier ones stay (a
// prefix of the writes, in order) and the other client's write is not
// overwritten.
func testConflictAfterFirst(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 200)
	kv := &racingKV{KV: s.cli}
	kv.race = func() {
		_, err := s.SetNodeInstanceState(ctx, "d", "web_00199", store.StateConfigured)
		require.NoError(t, err)
	}
	tx := newTx(kv, s.opts)
	v := &view{s: s, t: tx, k: s.k}
	for i := range 200 {
		_, err := v.SetNodeInstanceState(ctx, "d", fmt.Sprintf("web_%05d", i), store.StateStarted)
		require.NoError(t, err)
	}
	err := tx.commit(ctx)
	require.ErrorIs(t, err, store.ErrConflict)
	assert.Contains(t, err.Error(), "1 of 2 transactions")
	insts, err := s.ListNodeInstances(ctx, "d", "")
	require.NoError(t, err)
	for i, ni := range insts {
		switch {
		case i < 128:
			assert.Equal(t, store.StateStarted, ni.State, "first transaction committed: %s", ni.ID)
		case ni.ID == "web_00199":
			assert.Equal(t, store.StateConfigured, ni.State, "the other client's write stays")
		default:
			assert.Equal(t, store.StateUninitialized, ni.State, "nothing after the failed transaction: %s", ni.ID)
		}
	}
	clean(t, s)
}

// testImportDeletedMidCreate: a blueprint whose create is committed in
// parts, and what it imports deleted between its first transaction and
// its last (the record): the last fails (it guards the import's
// existence again) instead of storing a blueprint that imports nothing
// stored, and store check names only the files it left. An importers
// index entry without its record does not keep a blueprint.
func testImportDeletedMidCreate(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	data := withLib(t, s)

	kv := &racingKV{KV: s.cli, race: func() { require.NoError(t, s.DeleteBlueprint(ctx, "lib")) }}
	opts := s.opts
	opts.MaxTxnOps = 2 // the archive and the index entry, then the record
	tx := newTx(kv, opts)
	v := &view{s: s, t: tx, k: s.k}
	require.NoError(t, v.CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml", Imports: []string{"lib"}}, data))
	err := tx.commit(ctx)
	require.ErrorIs(t, err, store.ErrConflict)
	require.Contains(t, err.Error(), "1 of 2 transactions")
	_, err = s.GetBlueprint(ctx, "app")
	require.ErrorIs(t, err, store.ErrNotFound, "no importer of a deleted blueprint")
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	require.Len(t, problems, 1, "%q", problems)
	require.Contains(t, problems[0], "an upload that died before its record")

	// An index entry whose record never came does not hold a blueprint:
	// the delete drops it.
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "lib", MainFile: "blueprint.yaml"}, data))
	_, err = s.cli.Put(ctx, s.k.bpImporter("lib", "ghost"), "")
	require.NoError(t, err)
	problems, err = s.Check(ctx)
	require.NoError(t, err)
	require.Contains(t, strings.Join(problems, "\n"), `blueprint importers index: entry "lib" -> "ghost" has no record that calls for it`)
	require.NoError(t, s.DeleteBlueprint(ctx, "lib"))
	// Creating "app" again replaces the leftover files.
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml"}, data))
	require.NoError(t, s.DeleteBlueprint(ctx, "app"))
	clean(t, s)
}

// withLib stores blueprint "lib" and returns its files' archive.
func withLib(t *testing.T, s *Store) []byte {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte("x"), 0o644))
	data, err := store.ArchiveDir(dir, 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(context.Background(), &store.Blueprint{ID: "lib", MainFile: "blueprint.yaml"}, data))
	return data
}

// testImportersIndexMadeWhole: a prefix written before the importers
// index (its blueprints recorded their imports, unindexed) gets the index
// whole at the first blueprint write that needs it, so what they import
// is kept from then on; store check does not count the missing index.
func testImportersIndexMadeWhole(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	data := withLib(t, s)
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml", Imports: []string{"lib"}}, data))
	// As an older gantry wrote it: no index, no marker.
	_, err := s.cli.Delete(ctx, s.k.all(kindBPImport), clientv3.WithPrefix())
	require.NoError(t, err)
	_, err = s.cli.Delete(ctx, s.k.all(kindBPImportWhole))
	require.NoError(t, err)
	clean(t, s)

	err = s.DeleteBlueprint(ctx, "lib")
	require.ErrorIs(t, err, store.ErrInUse)
	require.ErrorContains(t, err, "blueprint(s) app import it")
	// The refused delete wrote nothing; the next write that needs the
	// index makes it.
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "other", MainFile: "blueprint.yaml"}, data))
	resp, err := s.cli.Get(ctx, s.k.all(kindBPImport), clientv3.WithPrefix(), clientv3.WithCountOnly())
	require.NoError(t, err)
	require.EqualValues(t, 1, resp.Count, "the importer's entry")
	clean(t, s)
	for _, id := range []string{"app", "lib", "other"} {
		require.NoError(t, s.DeleteBlueprint(ctx, id))
	}
	clean(t, s)
}

// testLeftovers: parts written by a create that died before its commit
// point are invisible, reported by Check, and replaced by the next create
// of the same id.
func testLeftovers(t *testing.T) {
	ctx := context.Background()
	s := open(t)
	seed(t, s, 1)
	_, err := s.cli.Put(ctx, s.k.instance("ghost", "web_x"), `{"id":"web_x"}`)
	require.NoError(t, err)
	_, err = s.GetNodeInstance(ctx, "ghost", "web_x")
	require.ErrorIs(t, err, store.ErrNotFound)
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	require.Len(t, problems, 1)
	assert.Contains(t, problems[0], "ghost")
	require.NoError(t, s.CreateDeployment(ctx, &store.Deployment{ID: "ghost", BlueprintID: "bp", Plan: plan(2)}))
	insts, err := s.ListNodeInstances(ctx, "ghost", "")
	require.NoError(t, err)
	require.Len(t, insts, 2)
	clean(t, s)
}

func testSchemaNewer(t *testing.T) {
	s := open(t)
	_, err := s.cli.Put(context.Background(), s.k.schema(), "99")
	require.NoError(t, err)
	_, err = Open(context.Background(), Options{Endpoints: cluster.Endpoints, Prefix: s.opts.Prefix})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "upgrade gantry")
}

func TestParseURL(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		url       string
		endpoints []string
		prefix    string
		err       string
	}{
		{url: "etcd://127.0.0.1:2379", endpoints: []string{"127.0.0.1:2379"}, prefix: "/gantry/"},
		{url: "etcd://a:1,b:2,c:3/team/prod", endpoints: []string{"a:1", "b:2", "c:3"}, prefix: "/team/prod/"},
		{url: "etcd://a:1/x?dial-timeout=2s&max-txn-ops=1024", endpoints: []string{"a:1"}, prefix: "/x/"},
		{url: "etcd://", err: "no HOST:PORT"},
		{url: "etcd://a", err: "want HOST:PORT"},
		{url: "etcd://a:99999", err: "not 1-65535"},
		{url: "etcd://a:1?colour=blue", err: `unknown parameter "colour"`},
		{url: "etcd://a:1?cert=" + dir + "/c.pem", err: "cert and key go together"},
		{url: "etcd://a:1?ca=" + dir + "/missing.pem", err: "CA"},
		{url: "etcd://a:1?dial-timeout=soon", err: "positive duration"},
		{url: "http://a:1", err: "want etcd://"},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			o, err := ParseURL(tc.url)
			if tc.err != "" {
				require.Error(t, err)
				assert.ErrorIs(t, err, store.ErrInvalid)
				assert.Contains(t, err.Error(), tc.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.endpoints, o.Endpoints)
			assert.Equal(t, tc.prefix, o.withDefaults().Prefix)
		})
	}
}

func TestOpenUnknownScheme(t *testing.T) {
	_, err := store.Open(context.Background(), "consul://a:1", store.Options{})
	require.ErrorIs(t, err, store.ErrInvalid)
	assert.Contains(t, err.Error(), "known: bolt, etcd")
}
