package etcdstore

import (
	"context"
	"strings"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// recordCache keeps the node-instance records this process last read or
// wrote, with their mod revisions, so that the engine's flush (a Batch of
// hundreds of read-modify-writes) does not pay one round trip per
// instance. A cached record is only a guess: before a transaction that
// used one commits, every such record is verified in a few compare-only
// transactions (MaxTxnOps each); if one changed, the cache forgets it and
// the operation runs again from fresh reads. So the cache never makes a
// write or a read of a Batch stale; it saves round trips only.
type recordCache struct {
	mu  sync.Mutex
	max int
	m   map[string]seenKV
}

// cacheMax bounds the cache (about 1 KiB a record); past it the cache
// starts afresh.
const cacheMax = 50_000

func newRecordCache() *recordCache { return &recordCache{max: cacheMax, m: map[string]seenKV{}} }

// cacheable: node-instance records only (the flush's reads).
func (k keys) cacheable(key string) bool { return strings.HasPrefix(key, k.p+kindInstance) }

func (c *recordCache) get(key string) (seenKV, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[key]
	return s, ok
}

func (c *recordCache) put(key string, s seenKV) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		c.m = map[string]seenKV{}
	}
	s.existsOnly, s.cached = false, false
	c.m[key] = s
}

func (c *recordCache) forget(keys []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.m, k)
	}
}

// verifyCached checks, MaxTxnOps keys per compare-only transaction, that
// the records the transaction took from the cache are still current;
// errRetry (and the cache forgets them) if one is not.
func (t *tx) verifyCached(ctx context.Context) error {
	var keys []string
	for k, s := range t.seen {
		if s.cached {
			keys = append(keys, k)
		}
	}
	for len(keys) > 0 {
		n := min(len(keys), t.opts.MaxTxnOps)
		cmps := make([]clientv3.Cmp, n)
		for i, k := range keys[:n] {
			cmps[i] = clientv3.Compare(clientv3.ModRevision(k), "=", t.seen[k].modRev)
		}
		resp, err := t.kv.Txn(ctx).If(cmps...).Commit()
		if err != nil {
			return wrapErr(err)
		}
		if !resp.Succeeded {
			t.cache.forget(keys[:n])
			return errRetry
		}
		keys = keys[n:]
	}
	return nil
}
