package etcdstore

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/gantryhq/gantry/store"
)

// tx is one optimistic transaction: reads come from one etcd revision (the
// snapshot, pinned by the first read) overlaid with the transaction's own
// writes; writes are buffered in order and committed by commit as one etcd
// transaction, or as several ordered ones when they exceed etcd's limits
// (see chunks and doc.go). Every key read is remembered with the revision
// it had, so that commit can refuse (and the caller retry) when another
// client changed it meanwhile.
type tx struct {
	kv   clientv3.KV
	opts Options
	rev  int64 // snapshot revision; 0 before the first read
	// cache, inside a Batch only: see recordCache.
	cache *recordCache
	k     keys
	// fence, when set, guards every transaction of the commit.
	fence *fence

	seen   map[string]seenKV // snapshot reads, by key
	ranges []string          // prefixes read by scans (guarded in the first chunk)

	ops  []op           // buffered writes, in call order
	cur  map[string]int // key -> index in ops of its latest point write
	dels []int          // indexes in ops of prefix deletes
}

// seenKV is what the snapshot said about a key.
type seenKV struct {
	val       []byte
	ok        bool
	modRev    int64
	createRev int64
	// existsOnly: the caller only relied on the key existing (or not),
	// so the guard is on its create revision and updates do not conflict.
	existsOnly bool
	// cached: taken from the record cache, verified before commit.
	cached bool
}

type opKind uint8

const (
	opPut opKind = iota
	opDel
	opDelPrefix
)

type op struct {
	kind opKind
	key  string
	val  []byte
	// undo restores cur for this op's key on rollback (-1: none before).
	undo int
	// lease, on a put: the key goes when the lease expires.
	lease clientv3.LeaseID
}

func newTx(kv clientv3.KV, opts Options) *tx {
	return &tx{kv: kv, opts: opts, seen: map[string]seenKV{}, cur: map[string]int{}}
}

// snapshot returns options that read at the snapshot revision.
func (t *tx) at(extra ...clientv3.OpOption) []clientv3.OpOption {
	if t.rev > 0 {
		extra = append(extra, clientv3.WithRev(t.rev))
	}
	return extra
}

func (t *tx) pin(rev int64) {
	if t.rev == 0 {
		t.rev = rev
	}
}

// overlay reports the transaction's own latest write of key: the value,
// whether it exists, and whether the transaction decided it at all.
func (t *tx) overlay(key string) (val []byte, ok, decided bool) {
	if i, has := t.cur[key]; has {
		o := t.ops[i]
		return o.val, o.kind == opPut, true
	}
	for j := len(t.dels) - 1; j >= 0; j-- {
		o := t.ops[t.dels[j]]
		if strings.HasPrefix(key, o.key) {
			return nil, false, true
		}
	}
	return nil, false, false
}

// getRaw reads key (own writes first, then the snapshot).
func (t *tx) getRaw(ctx context.Context, key string) ([]byte, bool, error) {
	return t.read(ctx, key, false)
}

// exists reports whether key exists, guarding only its existence.
func (t *tx) exists(ctx context.Context, key string) (bool, error) {
	_, ok, err := t.read(ctx, key, true)
	return ok, err
}

// getStable is get for a caller that uses only fields of the record that
// never change (an execution's deployment): the guard is on its
// existence, so updates of the record do not conflict.
func (t *tx) getStable(ctx context.Context, kind, key string, out any) (bool, error) {
	raw, ok, err := t.read(ctx, key, true)
	return decode(kind, key, raw, ok, err, out)
}

func (t *tx) read(ctx context.Context, key string, existsOnly bool) ([]byte, bool, error) {
	if val, ok, decided := t.overlay(key); decided {
		return val, ok, nil
	}
	if s, has := t.seen[key]; has {
		if !existsOnly && s.existsOnly {
			s.existsOnly = false
			t.seen[key] = s
		}
		return s.val, s.ok, nil
	}
	if t.cache != nil && t.k.cacheable(key) {
		if s, hit := t.cache.get(key); hit {
			s.cached = true
			t.seen[key] = s
			return s.val, s.ok, nil
		}
	}
	// A read inside a fenced Batch is called with its caller's context:
	// bind it too, or a process cut off from etcd hangs here after its
	// claim is lost (seen in TestWorkerFaults/CutOffFromEtcd).
	ctx, done := t.fence.bind(ctx)
	defer done()
	resp, err := t.kv.Get(ctx, key, t.at()...)
	if err != nil {
		return nil, false, wrapErr(err)
	}
	t.pin(resp.Header.Revision)
	s := seenKV{existsOnly: existsOnly}
	if len(resp.Kvs) > 0 {
		kv := resp.Kvs[0]
		s = seenKV{val: kv.Value, ok: true, modRev: kv.ModRevision, createRev: kv.CreateRevision, existsOnly: existsOnly}
	}
	t.seen[key] = s
	if t.cache != nil && s.ok && t.k.cacheable(key) {
		t.cache.put(key, s)
	}
	return s.val, s.ok, nil
}

// get decodes the JSON record at key into out; false if there is none.
func (t *tx) get(ctx context.Context, kind, key string, out any) (bool, error) {
	raw, ok, err := t.getRaw(ctx, key)
	return decode(kind, key, raw, ok, err, out)
}

func decode(kind, key string, raw []byte, ok bool, err error, out any) (bool, error) {
	if err != nil || !ok {
		return false, err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return true, fmt.Errorf("decode %s %q: %w", kind, key, err)
	}
	return true, nil
}

// kv is one key of a scan.
type kv struct {
	key string
	val []byte
}

// scan returns every key with prefix p in key order (own writes applied),
// reading the snapshot in pages of Options.PageSize, and guards the range.
// keysOnly leaves values out.
func (t *tx) scan(ctx context.Context, p string, keysOnly bool) ([]kv, error) {
	return t.scanFrom(ctx, p, p, 0, keysOnly)
}

// scanFrom is scan from key from (>= p) on, stopping after limit keys
// (<= 0: all).
func (t *tx) scanFrom(ctx context.Context, p, from string, limit int, keysOnly bool) ([]kv, error) {
	var out []kv
	end := clientv3.GetPrefixRangeEnd(p)
	for limit <= 0 || len(out) < limit {
		page := t.opts.PageSize
		if limit > 0 {
			page = min(page, limit-len(out))
		}
		opts := t.at(clientv3.WithRange(end), clientv3.WithLimit(int64(page)))
		if keysOnly {
			opts = append(opts, clientv3.WithKeysOnly())
		}
		resp, err := t.getPage(ctx, from, opts)
		if err != nil {
			return nil, wrapErr(err)
		}
		t.pin(resp.Header.Revision)
		for _, x := range resp.Kvs {
			out = append(out, kv{key: string(x.Key), val: x.Value})
		}
		if !resp.More || len(resp.Kvs) == 0 {
			break
		}
		from = string(resp.Kvs[len(resp.Kvs)-1].Key) + "\x00"
	}
	t.ranges = append(t.ranges, p)
	if len(t.ops) == 0 {
		return out, nil
	}
	// Apply the transaction's own writes (inside a Batch only).
	merged := make([]kv, 0, len(out))
	inSnap := make(map[string]bool, len(out))
	for _, x := range out {
		inSnap[x.key] = true
		val, ok, decided := t.overlay(x.key)
		switch {
		case !decided:
			merged = append(merged, x)
		case ok:
			merged = append(merged, kv{key: x.key, val: val})
		}
	}
	for k, i := range t.cur {
		if strings.HasPrefix(k, p) && k >= from && !inSnap[k] && t.ops[i].kind == opPut {
			merged = append(merged, kv{key: k, val: t.ops[i].val})
		}
	}
	sort.Slice(merged, func(i, j int) bool { return merged[i].key < merged[j].key })
	if limit > 0 && len(merged) > limit {
		merged = merged[:limit]
	}
	return merged, nil
}

// put buffers a write of the JSON encoding of v.
func (t *tx) put(kind, key string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", kind, key, err)
	}
	t.putRaw(key, data)
	return nil
}

func (t *tx) putRaw(key string, val []byte) { t.write(op{kind: opPut, key: key, val: val}) }

// putLeased buffers a write of v attached to lease.
func (t *tx) putLeased(kind, key string, v any, lease clientv3.LeaseID) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %q: %w", kind, key, err)
	}
	t.write(op{kind: opPut, key: key, val: data, lease: lease})
	return nil
}

func (t *tx) del(key string) { t.write(op{kind: opDel, key: key}) }

// delPrefix buffers the deletion of every key with prefix p.
func (t *tx) delPrefix(p string) {
	t.ops = append(t.ops, op{kind: opDelPrefix, key: p, undo: -1})
	t.dels = append(t.dels, len(t.ops)-1)
	for k := range t.cur {
		if strings.HasPrefix(k, p) {
			delete(t.cur, k) // the prefix delete now decides them
		}
	}
}

func (t *tx) write(o op) {
	o.undo = -1
	if i, has := t.cur[o.key]; has {
		o.undo = i
	}
	t.ops = append(t.ops, o)
	t.cur[o.key] = len(t.ops) - 1
}

// mark returns a savepoint for undo.
func (t *tx) mark() int { return len(t.ops) }

// undo drops the writes made since savepoint sp (an operation that failed
// inside a Batch writes nothing).
func (t *tx) undo(sp int) {
	for i := len(t.ops) - 1; i >= sp; i-- {
		o := t.ops[i]
		switch o.kind {
		case opDelPrefix:
			// Rare (deployment deletes): rebuild the overlay from scratch.
			t.ops = t.ops[:i]
			t.rebuild()
			continue
		default:
			if o.undo >= 0 {
				t.cur[o.key] = o.undo
			} else {
				delete(t.cur, o.key)
			}
		}
		t.ops = t.ops[:i]
	}
}

func (t *tx) rebuild() {
	t.cur, t.dels = map[string]int{}, nil
	ops := t.ops
	t.ops = nil
	for _, o := range ops {
		if o.kind == opDelPrefix {
			t.delPrefix(o.key)
		} else {
			t.write(o)
		}
	}
}

// chunk is one etcd transaction of a commit.
type chunk struct {
	ops   []op
	keys  map[string]int // point key -> index in ops
	bytes int
	cmps  int // compares its writes need (estimate used while packing)
}

// chunks packs the buffered writes, in order, into transactions within
// the limits: at most MaxTxnOps operations and compares each, at most
// MaxTxnBytes of keys and values. Within one chunk a later write of a key
// replaces the earlier one in place (one transaction: same outcome); a
// prefix delete drops the chunk's earlier writes under it; a write under a
// prefix deleted earlier in the same chunk starts a new chunk (etcd
// refuses a put inside a deleted range in one transaction).
func (t *tx) chunks(guarded func(string) bool) ([]*chunk, error) {
	var out []*chunk
	maxCmps := t.opts.MaxTxnOps
	if t.fence != nil {
		maxCmps-- // the fence's compare
	}
	c := &chunk{keys: map[string]int{}}
	var chunkDels []string
	flush := func() {
		if len(c.ops) > 0 {
			out = append(out, c)
		}
		c, chunkDels = &chunk{keys: map[string]int{}}, nil
	}
	for _, o := range t.ops {
		size := len(o.key) + len(o.val)
		if size > t.opts.MaxTxnBytes {
			return nil, fmt.Errorf("etcd store: %q is %d bytes, limit %d per transaction: %w", o.key, size, t.opts.MaxTxnBytes, store.ErrTooLarge)
		}
		if o.kind == opDelPrefix {
			if len(c.ops)+1 > t.opts.MaxTxnOps {
				flush()
			}
			kept := c.ops[:0]
			for _, x := range c.ops {
				if x.kind != opDelPrefix && strings.HasPrefix(x.key, o.key) {
					continue
				}
				kept = append(kept, x)
			}
			c.ops = kept
			c.keys = map[string]int{}
			for i, x := range c.ops {
				if x.kind != opDelPrefix {
					c.keys[x.key] = i
				}
			}
			c.ops = append(c.ops, o)
			chunkDels = append(chunkDels, o.key)
			continue
		}
		if i, has := c.keys[o.key]; has {
			c.bytes += len(o.val) - len(c.ops[i].val)
			c.ops[i] = o
			continue
		}
		underDel := false
		for _, p := range chunkDels {
			if strings.HasPrefix(o.key, p) {
				underDel = true
				break
			}
		}
		cmp := 0
		if guarded(o.key) {
			cmp = 1
		}
		if underDel || len(c.ops)+1 > t.opts.MaxTxnOps || c.cmps+cmp > maxCmps || c.bytes+size > t.opts.MaxTxnBytes {
			flush()
		}
		c.ops = append(c.ops, o)
		c.keys[o.key] = len(c.ops) - 1
		c.bytes += size
		c.cmps += cmp
	}
	flush()
	return out, nil
}

// commit writes the buffered operations. One chunk: one etcd transaction,
// all or nothing. Several: see doc.go ("Transactions and etcd's limits").
// errRetry means nothing was written and the snapshot went stale. The
// caller has checked the records taken from the cache (verifyCached).
func (t *tx) commit(ctx context.Context) error {
	if len(t.ops) == 0 {
		return nil
	}
	written := map[string]int64{} // key -> revision of our chunk that last wrote it (0: deleted)
	deleted := map[string]bool{}
	expect := func(key string) (int64, bool) {
		if rev, ok := written[key]; ok {
			if deleted[key] {
				return 0, true
			}
			return rev, true
		}
		if s, ok := t.seen[key]; ok {
			return s.modRev, true
		}
		return 0, false
	}
	chunks, err := t.chunks(func(k string) bool { _, ok := t.seen[k]; return ok })
	if err != nil {
		return err
	}
	for ci, c := range chunks {
		var cmps []clientv3.Cmp
		var orElse []clientv3.Op
		if t.fence != nil {
			cmps = append(cmps, t.fence.cmp())
			orElse = append(orElse, clientv3.OpGet(t.fence.key, clientv3.WithKeysOnly()))
		}
		inChunk := map[string]bool{}
		for _, o := range c.ops {
			if o.kind == opDelPrefix {
				continue
			}
			inChunk[o.key] = true
			if rev, ok := expect(o.key); ok {
				cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(o.key), "=", rev))
			}
		}
		switch {
		case ci == 0:
			cmps = t.readGuards(cmps, inChunk)
		case ci == len(chunks)-1:
			cmps = t.commitGuards(cmps, inChunk, written)
		}
		ops := make([]clientv3.Op, len(c.ops))
		for i, o := range c.ops {
			switch o.kind {
			case opPut:
				var opts []clientv3.OpOption
				if o.lease != 0 {
					opts = append(opts, clientv3.WithLease(o.lease))
				}
				ops[i] = clientv3.OpPut(o.key, string(o.val), opts...)
			case opDel:
				ops[i] = clientv3.OpDelete(o.key)
			case opDelPrefix:
				ops[i] = clientv3.OpDelete(o.key, clientv3.WithPrefix())
			}
		}
		resp, err := t.send(ctx, c, cmps, ops, orElse)
		if err != nil {
			if ci == 0 {
				return wrapErr(err)
			}
			return fmt.Errorf("%w (%d of %d transactions of this write were committed, in order)", wrapErr(err), ci, len(chunks))
		}
		if !resp.Succeeded {
			if err := t.fence.check(resp); err != nil {
				return err
			}
			if ci == 0 {
				return errRetry
			}
			return fmt.Errorf("etcd store: a concurrent change after %d of %d transactions of this write were committed (in order): %w", ci, len(chunks), store.ErrConflict)
		}
		for _, o := range c.ops {
			switch o.kind {
			case opDelPrefix:
				for k := range written {
					if strings.HasPrefix(k, o.key) {
						deleted[k] = true
					}
				}
				for k := range t.seen {
					if strings.HasPrefix(k, o.key) {
						written[k], deleted[k] = resp.Header.Revision, true
					}
				}
			default:
				written[o.key] = resp.Header.Revision
				deleted[o.key] = o.kind == opDel
				if t.cache != nil && t.k.cacheable(o.key) {
					if o.kind == opDel {
						t.cache.forget([]string{o.key})
					} else {
						t.cache.put(o.key, seenKV{val: o.val, ok: true, modRev: resp.Header.Revision})
					}
				}
			}
		}
	}
	return nil
}

// commitGuards adds to the last chunk's compares (a write in parts: the
// commit point, where a create writes its record) the existence guards of
// the first that fit, on keys this write did not write: what the write
// required to exist (a create's blueprint, an import) is checked again
// where it takes effect, so a delete between the first transaction and
// the last fails the write instead of leaving a record that names
// something gone.
func (t *tx) commitGuards(cmps []clientv3.Cmp, inChunk map[string]bool, written map[string]int64) []clientv3.Cmp {
	room := t.opts.MaxTxnOps - len(cmps)
	var keys []string
	for k, s := range t.seen {
		if _, ours := written[k]; s.existsOnly && !inChunk[k] && !ours {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys[:min(len(keys), max(room, 0))] {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", t.seen[k].createRev))
	}
	return cmps
}

// readGuards adds to the first chunk's compares the snapshot reads it does
// not already guard: ranges scanned (nothing in them changed since the
// snapshot) and keys read, existence-only ones first, up to the limit.
func (t *tx) readGuards(cmps []clientv3.Cmp, inChunk map[string]bool) []clientv3.Cmp {
	room := t.opts.MaxTxnOps - len(cmps)
	for _, p := range t.ranges {
		if room == 0 {
			return cmps
		}
		cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(p), "<", t.rev+1).WithPrefix())
		room--
	}
	keys := make([]string, 0, len(t.seen))
	for k := range t.seen {
		if !inChunk[k] {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := t.seen[keys[i]].existsOnly, t.seen[keys[j]].existsOnly
		if a != b {
			return a
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		if room == 0 {
			break
		}
		s := t.seen[k]
		if s.existsOnly {
			cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(k), "=", s.createRev))
		} else {
			cmps = append(cmps, clientv3.Compare(clientv3.ModRevision(k), "=", s.modRev))
		}
		room--
	}
	return cmps
}

// listJSON decodes every record under prefix p, in key order, into out.
func listJSON[T any](ctx context.Context, t *tx, kind, p string, out *[]*T) error {
	kvs, err := t.scan(ctx, p, false)
	if err != nil {
		return err
	}
	return decodeAll(kind, kvs, out)
}

// decodeAll decodes the JSON values of kvs into out.
func decodeAll[T any](kind string, kvs []kv, out *[]*T) error {
	*out = make([]*T, 0, len(kvs))
	for _, x := range kvs {
		rec := new(T)
		if _, err := decode(kind, x.key, x.val, true, nil, rec); err != nil {
			return err
		}
		*out = append(*out, rec)
	}
	return nil
}

// getPage reads one page of a scan, bound to the fence like read.
func (t *tx) getPage(ctx context.Context, from string, opts []clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, done := t.fence.bind(ctx)
	defer done()
	return t.kv.Get(ctx, from, opts...)
}
