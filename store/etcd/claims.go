package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"

	"github.com/gantryhq/gantry/store"
)

var _ store.Queue = (*Store)(nil)

// session returns this process's lease (a concurrency.Session kept alive
// by the client), making a new one when there is none or the last one
// ended (expired while this process was cut off or paused). Granting is
// bounded by ctx and DialTimeout.
func (s *Store) session(ctx context.Context) (*concurrency.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, fmt.Errorf("etcd store %v: %w", s.opts.Endpoints, store.ErrClosed)
	}
	if s.sess != nil {
		select {
		case <-s.sess.Done():
			s.sess = nil
		default:
			return s.sess, nil
		}
	}
	gctx, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
	defer cancel()
	ttl := int64(s.opts.LeaseTTL / time.Second)
	grant, err := s.cli.Grant(gctx, ttl)
	if err != nil {
		return nil, fmt.Errorf("etcd lease: %w", wrapErr(err))
	}
	sess, err := concurrency.NewSession(s.cli, concurrency.WithLease(grant.ID), concurrency.WithTTL(int(ttl)))
	if err != nil {
		return nil, fmt.Errorf("etcd lease keepalive: %w", wrapErr(err))
	}
	s.sess = sess
	return sess, nil
}

// ClaimExecution claims the execution with a key attached to this
// process's lease; the key's create revision is the fencing token (see
// fence). ErrClaimed while another lease holds it.
func (s *Store) ClaimExecution(ctx context.Context, id string, holder store.ClaimHolder) (store.Claim, error) {
	if err := store.CheckID("execution", id); err != nil {
		return nil, err
	}
	sess, err := s.session(ctx)
	if err != nil {
		return nil, err
	}
	key, execKey := s.k.claim(id), s.k.execution(id)
	val, err := json.Marshal(store.ClaimInfo{ExecutionID: id, Holder: holder, Since: store.Now(), Lease: int64(sess.Lease())})
	if err != nil {
		return nil, err
	}
	resp, err := s.cli.Txn(ctx).
		If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0), clientv3.Compare(clientv3.CreateRevision(execKey), ">", 0)).
		Then(clientv3.OpPut(key, string(val), clientv3.WithLease(sess.Lease()))).
		Else(clientv3.OpGet(key), clientv3.OpGet(execKey, clientv3.WithKeysOnly())).Commit()
	if err != nil {
		// It may have been applied: then the key is this process's, on
		// its lease, and only a claim that adopts it frees the execution.
		s.noteUnsure(id, string(val))
		return nil, wrapErr(err)
	}
	token := resp.Header.Revision
	if !resp.Succeeded {
		if len(resp.Responses[1].GetResponseRange().Kvs) == 0 {
			s.takeUnsure(id, nil)
			return nil, fmt.Errorf("execution %q: %w", id, store.ErrNotFound)
		}
		kvs := resp.Responses[0].GetResponseRange().Kvs
		if mine := s.takeUnsure(id, firstValue(kvs)); mine && kvs[0].Lease == int64(sess.Lease()) {
			token = kvs[0].CreateRevision
		} else {
			who := "another process"
			if len(kvs) == 1 {
				var ci store.ClaimInfo
				if json.Unmarshal(kvs[0].Value, &ci) == nil {
					who = fmt.Sprintf("%s (pid %d on %s)", ci.Holder.Name, ci.Holder.PID, ci.Holder.Host)
				}
			}
			return nil, fmt.Errorf("execution %q: %w by %s", id, store.ErrClaimed, who)
		}
	} else {
		s.takeUnsure(id, nil)
	}
	held, drop := context.WithCancel(context.Background())
	c := &claim{s: s, id: id, key: key, token: token, lost: make(chan struct{}), drop: drop, stop: make(chan struct{})}
	c.writer = &view{s: s, k: s.k, fence: &fence{exec: id, key: key, token: c.token, lost: c.markLost, held: held}}
	go c.watch(sess)
	return c, nil
}

// unsureMax bounds the claims kept unsure; past it they are forgotten
// (an applied one is then freed when this process's lease ends).
const unsureMax = 1024

// noteUnsure remembers the value of a claim whose transaction got no
// answer (the leader changed, a timeout, a lost connection): it may have
// been applied. The value (holder, lease, time to the nanosecond) is this
// attempt's alone, so a later claim that finds exactly it under its own
// lease adopts it as its own (takeUnsure) instead of reporting
// ErrClaimed by itself: else the execution would stay claimed by a
// process that does not run it for as long as that process lives.
func (s *Store) noteUnsure(id, val string) {
	s.unsureMu.Lock()
	defer s.unsureMu.Unlock()
	if s.unsure == nil || len(s.unsure) >= unsureMax {
		s.unsure = map[string]string{}
	}
	s.unsure[id] = val
}

// takeUnsure forgets the unsure claim of id and reports whether val is
// its value (nil: only forget).
func (s *Store) takeUnsure(id string, val []byte) bool {
	s.unsureMu.Lock()
	defer s.unsureMu.Unlock()
	v, ok := s.unsure[id]
	if !ok {
		return false
	}
	delete(s.unsure, id)
	return val != nil && v == string(val)
}

// claim is a held claim (store.Claim).
type claim struct {
	s      *Store
	id     string
	key    string
	token  int64
	writer *view

	lost     chan struct{}
	lostOnce sync.Once
	drop     context.CancelFunc // ends the fence's held context
	stop     chan struct{}
	stopOnce sync.Once
}

func (c *claim) ExecutionID() string   { return c.id }
func (c *claim) Token() int64          { return c.token }
func (c *claim) Writer() store.Store   { return c.writer }
func (c *claim) Lost() <-chan struct{} { return c.lost }
func (c *claim) markLost()             { c.lostOnce.Do(func() { c.drop(); close(c.lost) }) }
func (c *claim) stopWatching()         { c.stopOnce.Do(func() { close(c.stop) }) }
func (c *claim) isLost() bool          { return isClosed(c.lost) }
func isClosed(ch <-chan struct{}) (yes bool) {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// watch marks the claim lost when the lease ends (the client could not
// renew it within its time to live: cut off, paused, or revoked) or the
// key goes (deleted by hand, or the lease expired on the cluster first).
// A watch that ends without telling (no leader) leaves it to the lease.
func (c *claim) watch(sess *concurrency.Session) {
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(context.Background()))
	defer cancel()
	events := c.s.cli.Watch(ctx, c.key, clientv3.WithRev(c.token+1))
	for {
		select {
		case <-c.stop:
			return
		case <-sess.Done():
			c.markLost()
			return
		case wr, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			for _, ev := range wr.Events {
				if ev.Type == mvccpb.DELETE || ev.Kv.CreateRevision != c.token {
					c.markLost()
					return
				}
			}
		}
	}
}

// Release deletes the claim key if it is still this claim's.
func (c *claim) Release(ctx context.Context) error {
	c.stopWatching()
	if c.isLost() {
		return nil
	}
	defer c.drop()
	_, err := c.s.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(c.key), "=", c.token)).
		Then(clientv3.OpDelete(c.key)).Commit()
	return wrapErr(err)
}

// Claimable lists queued executions without a claim, oldest first.
func (s *Store) Claimable(ctx context.Context) ([]string, error) {
	queued, err := s.cli.Get(ctx, s.k.all(kindQueue), clientv3.WithPrefix(), clientv3.WithKeysOnly(),
		clientv3.WithSort(clientv3.SortByCreateRevision, clientv3.SortAscend))
	if err != nil {
		return nil, wrapErr(err)
	}
	claims, err := s.cli.Get(ctx, s.k.all(kindClaim), clientv3.WithPrefix(), clientv3.WithKeysOnly(), clientv3.WithRev(queued.Header.Revision))
	if err != nil {
		return nil, wrapErr(err)
	}
	held := make(map[string]bool, len(claims.Kvs))
	for _, kv := range claims.Kvs {
		held[string(kv.Key[len(s.k.all(kindClaim)):])] = true
	}
	var out []string
	for _, kv := range queued.Kvs {
		if id := string(kv.Key[len(s.k.all(kindQueue)):]); !held[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// WatchClaimable watches the queue (new entries) and the claims (ended
// ones). It requires a leader: a process cut off from the quorum sees the
// channel close.
func (s *Store) WatchClaimable(ctx context.Context) (<-chan string, error) {
	if s.isClosed() {
		return nil, fmt.Errorf("etcd store %v: %w", s.opts.Endpoints, store.ErrClosed)
	}
	ctx, cancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
	queue := s.cli.Watch(ctx, s.k.all(kindQueue), clientv3.WithPrefix(), clientv3.WithFilterDelete())
	claims := s.cli.Watch(ctx, s.k.all(kindClaim), clientv3.WithPrefix(), clientv3.WithFilterPut())
	out := make(chan string, 64)
	go func() {
		defer cancel()
		defer close(out)
		for queue != nil || claims != nil {
			var wr clientv3.WatchResponse
			var ok bool
			var kind string
			select {
			case wr, ok = <-queue:
				kind = kindQueue
				if !ok || wr.Err() != nil {
					return
				}
			case wr, ok = <-claims:
				kind = kindClaim
				if !ok || wr.Err() != nil {
					return
				}
			}
			for _, ev := range wr.Events {
				select {
				case out <- string(ev.Kv.Key[len(s.k.all(kind)):]):
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

// RegisterWorker puts the worker's record under this process's lease.
func (s *Store) RegisterWorker(ctx context.Context, w store.WorkerInfo) error {
	if err := store.CheckID("worker", w.Name); err != nil {
		return err
	}
	sess, err := s.session(ctx)
	if err != nil {
		return err
	}
	w.Lease = int64(sess.Lease())
	val, err := json.Marshal(w)
	if err != nil {
		return err
	}
	_, err = s.cli.Put(ctx, s.k.worker(w.Name), string(val), clientv3.WithLease(sess.Lease()))
	return wrapErr(err)
}

// Workers lists registered workers with what remains of their leases.
func (s *Store) Workers(ctx context.Context) ([]store.WorkerInfo, error) {
	var out []store.WorkerInfo
	err := s.leased(ctx, kindWorker, func(kv *mvccpb.KeyValue, ttl func(int64) time.Duration) error {
		var w store.WorkerInfo
		if err := json.Unmarshal(kv.Value, &w); err != nil {
			return err
		}
		w.LeaseTTL = ttl(w.Lease)
		out = append(out, w)
		return nil
	})
	return out, err
}

// Claims lists held claims with what remains of their leases.
func (s *Store) Claims(ctx context.Context) ([]store.ClaimInfo, error) {
	var out []store.ClaimInfo
	err := s.leased(ctx, kindClaim, func(kv *mvccpb.KeyValue, ttl func(int64) time.Duration) error {
		var c store.ClaimInfo
		if err := json.Unmarshal(kv.Value, &c); err != nil {
			return err
		}
		c.Token = kv.CreateRevision
		c.LeaseTTL = ttl(c.Lease)
		out = append(out, c)
		return nil
	})
	return out, err
}

// leased reads the records of kind with the remaining time to live of
// their leases (one question per lease).
func (s *Store) leased(ctx context.Context, kind string, fn func(kv *mvccpb.KeyValue, ttl func(int64) time.Duration) error) error {
	resp, err := s.cli.Get(ctx, s.k.all(kind), clientv3.WithPrefix())
	if err != nil {
		return wrapErr(err)
	}
	ttls := map[int64]time.Duration{}
	ttl := func(lease int64) time.Duration {
		if d, ok := ttls[lease]; ok {
			return d
		}
		var d time.Duration
		if r, err := s.cli.TimeToLive(ctx, clientv3.LeaseID(lease)); err == nil && r.TTL > 0 {
			d = time.Duration(r.TTL) * time.Second
		}
		ttls[lease] = d
		return d
	}
	for _, kv := range resp.Kvs {
		if err := fn(kv, ttl); err != nil {
			return fmt.Errorf("%s %q: %w", kind, kv.Key, err)
		}
	}
	return nil
}

// Members lists the cluster's members and which one leads (each asked
// for its status, within DialTimeout).
func (s *Store) Members(ctx context.Context) ([]store.Member, error) {
	ml, err := s.cli.MemberList(ctx)
	if err != nil {
		return nil, wrapErr(err)
	}
	out := make([]store.Member, 0, len(ml.Members))
	for _, m := range ml.Members {
		sm := store.Member{Name: m.Name, ClientURL: m.ClientURLs}
		if len(m.ClientURLs) == 0 {
			sm.Error = "not started"
		} else {
			sctx, cancel := context.WithTimeout(ctx, s.opts.DialTimeout)
			st, err := s.cli.Status(sctx, m.ClientURLs[0])
			cancel()
			if err != nil {
				sm.Error = err.Error()
			} else {
				sm.Leader = st.Leader == m.ID
			}
		}
		out = append(out, sm)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// firstValue is the value of the only key of a range (nil when none).
func firstValue(kvs []*mvccpb.KeyValue) []byte {
	if len(kvs) != 1 {
		return nil
	}
	return kvs[0].Value
}
