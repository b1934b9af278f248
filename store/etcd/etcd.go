package etcdstore

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/gantryhq/gantry/store"
)

// schemaVersion is the layout version kept at <prefix>schema.
const schemaVersion = 1

// Store is the etcd backend of store.Store. It is safe for concurrent use
// by any number of goroutines and processes (servers, workers) sharing one
// cluster and prefix.
type Store struct {
	view
	cli *clientv3.Client
	// kv is what transactions talk to: cli (a test wraps it to fail).
	kv   clientv3.KV
	opts Options

	cache *recordCache

	mu     sync.Mutex
	closed bool
	// sess is this process's lease (claims.go), made on first use.
	sess *concurrency.Session

	// unsure holds, by execution, the value of a claim whose transaction
	// got no answer (claims.go: adopted by the next claim that finds it).
	unsureMu sync.Mutex
	unsure   map[string]string
}

// view runs Store operations each in its own transaction (t nil: the
// Store) or all in one (inside Batch).
type view struct {
	s *Store
	t *tx
	k keys
	// fence, on a claim's Writer: every transaction checks the claim.
	fence *fence
}

var _ store.Store = (*Store)(nil)

func init() {
	store.RegisterScheme(Scheme, func(ctx context.Context, target string, opts store.Options) (store.Store, error) {
		return OpenURL(ctx, target, opts)
	})
}

// OpenURL opens the store an etcd:// URL names (see ParseURL); base
// supplies the backend-independent options (archive size limit,
// tombstone retention).
func OpenURL(ctx context.Context, target string, base store.Options) (*Store, error) {
	opts, err := ParseURL(target)
	if err != nil {
		return nil, err
	}
	if base.MaxArchiveBytes > 0 {
		opts.MaxArchiveBytes = base.MaxArchiveBytes
	}
	opts.DeletedExecutionTTL = base.DeletedExecutionTTL
	return Open(ctx, opts)
}

// Open connects to the cluster, checks that it answers (within
// DialTimeout) and initialises the layout under the prefix.
func Open(ctx context.Context, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if len(opts.Endpoints) == 0 {
		return nil, fmt.Errorf("open etcd store: no endpoints: %w", store.ErrInvalid)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            opts.Endpoints,
		DialTimeout:          opts.DialTimeout,
		DialKeepAliveTime:    keepAliveTime,
		DialKeepAliveTimeout: keepAliveTimeout,
		TLS:                  opts.TLS,
		Logger:               zap.NewNop(),
		MaxCallSendMsgSize:   2 * opts.MaxTxnBytes,
		RejectOldCluster:     true,
	})
	if err != nil {
		return nil, fmt.Errorf("open etcd store %v: %w", opts.Endpoints, err)
	}
	s := &Store{cli: cli, kv: cli, opts: opts, cache: newRecordCache()}
	s.view = view{s: s, k: keys{p: opts.Prefix}}
	ictx, cancel := context.WithTimeout(ctx, opts.DialTimeout)
	defer cancel()
	if err := s.initSchema(ictx); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("open etcd store %v%s: %w", opts.Endpoints, opts.Prefix, err)
	}
	return s, nil
}

// initSchema writes the schema version if the prefix is new and refuses
// a newer one. A prefix that has its version is only read: opening it
// writes nothing (it opens while the cluster refuses writes, out of
// space).
func (s *Store) initSchema(ctx context.Context) error {
	key := s.k.schema()
	got, err := s.cli.Get(ctx, key)
	if err != nil {
		return wrapErr(err)
	}
	kvs := got.Kvs
	if len(kvs) == 0 {
		resp, err := s.cli.Txn(ctx).
			If(clientv3.Compare(clientv3.CreateRevision(key), "=", 0)).
			Then(clientv3.OpPut(key, strconv.Itoa(schemaVersion))).
			Else(clientv3.OpGet(key)).Commit()
		if err != nil {
			return wrapErr(err)
		}
		if resp.Succeeded {
			return nil
		}
		kvs = resp.Responses[0].GetResponseRange().Kvs
	}
	if len(kvs) == 1 {
		if n, err := strconv.Atoi(string(kvs[0].Value)); err != nil || n > schemaVersion {
			return fmt.Errorf("store schema version %q is newer than this gantry understands (%d): upgrade gantry", kvs[0].Value, schemaVersion)
		}
	}
	return nil
}

// Client returns the etcd client (for claims, watches and status).
func (s *Store) Client() *clientv3.Client { return s.cli }

// Prefix returns the key prefix the store lives under.
func (s *Store) Prefix() string { return s.opts.Prefix }

// Close releases the client. Further calls return store.ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.sess != nil {
		// Revoking the lease frees this process's claims at once.
		_ = s.sess.Close()
	}
	return s.cli.Close()
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// Close on the view of a Batch is a no-op (Store has its own).
func (v *view) Close() error { return nil }

// Batch runs fn in one transaction (see store.Store and doc.go: on etcd
// fn may run more than once, when another client changed what it read
// before anything was committed).
func (v *view) Batch(ctx context.Context, fn func(store.Store) error) error {
	if v.t != nil {
		return fn(v)
	}
	return v.run(ctx, func(t *tx) error {
		t.cache, t.k = v.s.cache, v.k
		return fn(&view{s: v.s, t: t, k: v.k, fence: v.fence})
	})
}

// run runs fn in the Batch's transaction (undoing its writes if it fails),
// or in a transaction of its own, committed, and retried from scratch
// while its reads go stale before commit.
func (v *view) run(ctx context.Context, fn func(*tx) error) error {
	if f := v.fence; f != nil && v.t == nil {
		if f.held != nil && f.held.Err() != nil {
			return f.lostErr()
		}
		var done func()
		ctx, done = f.bind(ctx)
		defer done()
		err := v.runTx(ctx, fn)
		if err != nil && f.held != nil && f.held.Err() != nil {
			return f.lostErr()
		}
		return err
	}
	return v.runTx(ctx, fn)
}

// runTx is run without the fence's bookkeeping.
func (v *view) runTx(ctx context.Context, fn func(*tx) error) error {
	if v.s.isClosed() {
		return fmt.Errorf("etcd store %v: %w", v.s.opts.Endpoints, store.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.t != nil {
		sp := v.t.mark()
		err := fn(v.t)
		if err != nil {
			v.t.undo(sp)
		}
		return err
	}
	backoff := time.Millisecond
	unanswered := time.Now().Add(transientWait)
	for attempt := 0; ; attempt++ {
		t := newTx(v.s.kv, v.s.opts)
		t.fence = v.fence
		err := fn(t)
		if err == nil && t.cache != nil {
			err = t.verifyCached(ctx)
		}
		if err != nil && transient(err) && time.Now().Before(unanswered) {
			// A read the cluster did not answer (a leader election), in
			// fn or in checking the cached records it read: nothing is
			// written before commit, so fn runs again, as send waits out
			// an unanswered commit (transient.go).
			select {
			case <-ctx.Done():
				return err
			case <-time.After(transientBackoff):
			}
			attempt--
			continue
		}
		switch {
		case errors.Is(err, errRetry):
			// A cached record went stale: fn runs again from fresh reads.
		case err != nil:
			// The error may come from a stale cached record (a version
			// check against a guess): then it runs again from fresh reads.
			if t.cache == nil || !errors.Is(t.verifyCached(ctx), errRetry) {
				return err
			}
			err = errRetry
		default:
			err = t.commit(ctx)
		}
		if !errors.Is(err, errRetry) {
			return err
		}
		if attempt+1 >= v.s.opts.Retries {
			return fmt.Errorf("etcd store: gave up after %d attempts, other clients kept changing the same records: %w", attempt+1, store.ErrConflict)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff/2 + rand.N(backoff)):
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}

// wrapErr turns client errors into the store's: a closed client is
// ErrClosed, an oversized request ErrTooLarge, a cluster that did not
// answer (transient: no leader, a timeout, a lost connection) or refuses
// writes for now (refusedForNow: out of space) ErrUnavailable.
func wrapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, rpctypes.ErrRequestTooLarge), errors.Is(err, rpctypes.ErrGRPCRequestTooLarge):
		return fmt.Errorf("etcd: %v: %w", err, store.ErrTooLarge)
	case errors.Is(err, context.DeadlineExceeded), status.Code(err) == codes.DeadlineExceeded, transient(err), refusedForNow(err):
		return fmt.Errorf("etcd: %w: %w", err, store.ErrUnavailable)
	}
	if err.Error() == "grpc: the client connection is closing" {
		return fmt.Errorf("etcd: %v: %w", err, store.ErrClosed)
	}
	return fmt.Errorf("etcd: %w", err)
}
