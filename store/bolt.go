package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Options tunes a BoltStore. The zero value is the default.
type Options struct {
	// LockTimeout bounds the total wait for the file lock when another
	// process holds the file; then the operation fails with ErrLocked.
	// Default 5s.
	LockTimeout time.Duration
	// MaxArchiveBytes bounds a blueprint archive. Default
	// DefaultMaxArchiveBytes.
	MaxArchiveBytes int64
	// MaxShare is how long goroutines of this process may keep joining an
	// already-open file handle before it is closed so that other processes
	// get a turn (Hold is not limited by it). Default 100ms.
	MaxShare time.Duration
	// MaxYield bounds how long this process waits, before reopening the
	// file, for other processes that are waiting for it. Default 50ms.
	MaxYield time.Duration
	// EventsPerExecution keeps at most this many events per execution,
	// the newest: appending more deletes the oldest. Default
	// DefaultEventsPerExecution; negative: no limit.
	EventsPerExecution int
	// EventsMaxAge: OpenBolt deletes events older than this. Default
	// DefaultEventsMaxAge; negative: events are kept forever.
	EventsMaxAge time.Duration
	// DeletedExecutionTTL is how long the tombstone of an execution
	// deleted with its deployment is kept (GetDeletedExecution). Default
	// DeletedExecutionTTL. The etcd backend takes it from here too.
	DeletedExecutionTTL time.Duration
	// AutoCompactFree: OpenBolt compacts the file when more than this
	// fraction of it is free and it is at least AutoCompactMinBytes.
	// Default DefaultAutoCompactFree; negative: never.
	AutoCompactFree float64
	// SecretKeyFile is the key file Open encrypts secret values with
	// (default KeyFileFor the store; $GANTRY_SECRET_KEY overrides it).
	SecretKeyFile string
	// OpenDamaged makes OpenBolt return a store whose file is damaged
	// instead of failing: every operation returns its ErrDamaged, but
	// Check describes the damage (`gantry store check`).
	OpenDamaged bool
	// KeepOpen keeps the file open between operations for as long as no
	// other process waits for it (the waiters side file): a long-running
	// process (`gantry server`) then pays for opening it only when it
	// takes the file back. Others wait as without it: the handle closes
	// as soon as its operations end once someone waits.
	KeepOpen bool
	// NoSync skips fsync on commit. Commits then survive a crash of the
	// process (kill -9) but not of the machine. For tests and benchmarks.
	NoSync bool
}

func (o Options) withDefaults() Options {
	if o.LockTimeout <= 0 {
		o.LockTimeout = 5 * time.Second
	}
	if o.MaxArchiveBytes <= 0 {
		o.MaxArchiveBytes = DefaultMaxArchiveBytes
	}
	if o.MaxShare <= 0 {
		o.MaxShare = 100 * time.Millisecond
	}
	if o.MaxYield <= 0 {
		o.MaxYield = 50 * time.Millisecond
	}
	if o.EventsPerExecution == 0 {
		o.EventsPerExecution = DefaultEventsPerExecution
	}
	if o.EventsMaxAge == 0 {
		o.EventsMaxAge = DefaultEventsMaxAge
	}
	if o.DeletedExecutionTTL <= 0 {
		o.DeletedExecutionTTL = DeletedExecutionTTL
	}
	if o.AutoCompactFree == 0 {
		o.AutoCompactFree = DefaultAutoCompactFree
	}
	return o
}

// BoltStore is the bbolt backend of Store. It does not keep the file open:
// each operation (or Batch, or Hold) opens it, takes bbolt's exclusive
// lock, and closes it when done, so other gantry processes can use the
// same file in between. Goroutines of one process share an open handle.
type BoltStore struct {
	boltView
	path string
	opts Options

	mu       sync.Mutex
	cond     *sync.Cond
	db       *bolt.DB // open handle, nil when the file is closed
	opening  bool     // a goroutine is opening the file
	refs     int      // users of db
	holds    int      // active Hold calls
	openedAt time.Time
	// exclusive: the handle is reserved for one caller (Compact), which
	// replaces the file: nobody joins it.
	exclusive bool
	// openGen counts failed open attempts and openErr is the last failure:
	// goroutines that waited for an attempt share its failure rather than
	// each waiting a full LockTimeout in turn.
	openGen uint64
	openErr error
	closed  bool
	waiters *waitersFile
	// othersWait caches waiters.waiting() for kept(): refreshed when a
	// handle opens and by watchKept every keptPoll, so that the operations
	// of a busy server do not pay two flock calls each.
	othersWait bool
	// damaged is set once the file is found damaged: every further
	// operation returns it, and nothing more is written.
	damaged error
	// claims are the executions this process has claimed (bolt_claims.go).
	claims boltClaims
}

// boltView runs Store operations either each in its own transaction (tx
// nil: the BoltStore) or all in one (inside Batch).
type boltView struct {
	s  *BoltStore
	tx *bolt.Tx
}

var _ Store = (*BoltStore)(nil)

// OpenBolt opens (creating if needed) the store file at path. A missing
// parent directory is created 0700 and a new file 0600 (built whole under
// a temporary name and linked into place). An existing file is verified
// (verifyFile, under the file lock) before anything else reads or writes
// it: a damaged one gives ErrDamaged, never a re-initialised store. The
// file is released again before OpenBolt returns.
func OpenBolt(path string, opts Options) (*BoltStore, error) {
	if path == "" {
		return nil, fmt.Errorf("open store: empty path: %w", ErrInvalid)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", abs, err)
	}
	s := &BoltStore{path: abs, opts: opts.withDefaults()}
	s.boltView.s = s
	s.cond = sync.NewCond(&s.mu)
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		if err := createStore(abs, s.opts); err != nil {
			return nil, err
		}
	}
	s.waiters = openWaiters(abs + ".waiters")
	err = s.withDB(context.Background(), func(db *bolt.DB) error {
		if err := verified(abs); err != nil {
			return err
		}
		if err := db.Update(s.openMaintenance); err != nil {
			return err
		}
		return s.autoCompact(db)
	})
	var fd *fileDamaged
	if errors.As(err, &fd) && s.opts.OpenDamaged {
		return s, nil
	}
	if err != nil {
		s.waiters.close()
		return nil, err
	}
	return s, nil
}

// Path returns the store file's absolute path.
func (s *BoltStore) Path() string { return s.path }

// Close releases the store. It waits for running operations and Holds.
func (s *BoltStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	for s.refs > 0 || s.opening {
		s.cond.Wait()
	}
	s.closeIdle()
	s.waiters.close()
	return nil
}

// closeIdle closes a handle KeepOpen kept with no user; s.mu is held.
func (s *BoltStore) closeIdle() {
	if s.db != nil && s.refs == 0 && s.holds == 0 {
		_ = s.db.Close()
		s.db, s.exclusive = nil, false
		s.cond.Broadcast()
	}
}

// kept reports whether an idle handle may stay open (KeepOpen, and no
// other process waits for the file); s.mu is held.
func (s *BoltStore) kept() bool {
	return s.opts.KeepOpen && !s.closed && !s.exclusive && !s.othersWait
}

// watchKept closes the kept handle db as soon as another process waits
// for the file (or a caller of this process needs it closed).
func (s *BoltStore) watchKept(db *bolt.DB) {
	for {
		time.Sleep(keptPoll)
		waiting := s.waiters.waiting()
		s.mu.Lock()
		if s.db != db {
			s.mu.Unlock()
			return
		}
		s.othersWait = waiting
		if s.refs == 0 && s.holds == 0 && !s.kept() {
			s.closeIdle()
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
	}
}

// keptPoll is how often a kept handle checks for waiting processes.
const keptPoll = 2 * time.Millisecond

// Hold keeps the file open (and locked against other processes) while fn
// runs, so that the operations fn makes, from any goroutine, do not pay for
// opening the file each. Other processes wait meanwhile, and give up with
// ErrLocked after their LockTimeout: keep fn short, or prefer Batch.
func (s *BoltStore) Hold(ctx context.Context, fn func() error) error {
	s.mu.Lock()
	s.holds++
	s.mu.Unlock()
	db, err := s.acquire(ctx)
	if err != nil {
		s.mu.Lock()
		s.holds--
		s.mu.Unlock()
		return err
	}
	defer func() {
		s.mu.Lock()
		s.holds--
		s.mu.Unlock()
		s.release(db)
	}()
	return fn()
}

// do runs fn in a transaction on a (possibly shared) handle.
func (s *BoltStore) do(ctx context.Context, write bool, fn func(*bolt.Tx) error) error {
	return s.withDB(ctx, func(db *bolt.DB) error {
		if write {
			return db.Update(fn)
		}
		return db.View(fn)
	})
}

// withDB runs fn on a (possibly shared) handle, guarded: a panic or fault
// in bbolt on a damaged file becomes ErrDamaged, and the store refuses
// every operation after that.
func (s *BoltStore) withDB(ctx context.Context, fn func(*bolt.DB) error) error {
	return s.withDBMode(ctx, false, fn)
}

// withDBMode is withDB, on a handle of its own if exclusive.
func (s *BoltStore) withDBMode(ctx context.Context, exclusive bool, fn func(*bolt.DB) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	db, err := s.acquireMode(ctx, exclusive)
	if err != nil {
		return err
	}
	defer s.release(db)
	err = guard(s.path, func() error { return fn(db) })
	s.noteDamage(err)
	return err
}

// noteDamage makes a structural ErrDamaged sticky.
func (s *BoltStore) noteDamage(err error) {
	var fd *fileDamaged
	if errors.As(err, &fd) {
		s.mu.Lock()
		if s.damaged == nil {
			s.damaged = fd
		}
		s.mu.Unlock()
	}
}

// acquire returns an open handle, joining the current one when it is
// young enough (or held), else waiting for it to close and opening anew.
func (s *BoltStore) acquire(ctx context.Context) (*bolt.DB, error) {
	return s.acquireMode(ctx, false)
}

// acquireMode is acquire; exclusive waits until no handle is open and
// keeps everyone else from joining the new one until it is released.
func (s *BoltStore) acquireMode(ctx context.Context, exclusive bool) (*bolt.DB, error) {
	s.mu.Lock()
	gen := s.openGen
	for {
		if s.openGen != gen {
			err := s.openErr
			s.mu.Unlock()
			return nil, err
		}
		if s.closed {
			s.mu.Unlock()
			return nil, fmt.Errorf("%s: %w", s.path, ErrClosed)
		}
		if s.damaged != nil {
			err := s.damaged
			s.mu.Unlock()
			return nil, err
		}
		if !exclusive && s.db != nil && !s.exclusive && (s.holds > 0 || time.Since(s.openedAt) < s.opts.MaxShare || s.kept()) {
			s.refs++
			db := s.db
			s.mu.Unlock()
			return db, nil
		}
		s.closeIdle() // a kept handle that may not be joined
		if s.db == nil && !s.opening {
			break
		}
		s.cond.Wait()
	}
	s.opening, s.exclusive = true, exclusive
	s.mu.Unlock()

	db, err := s.open(ctx)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.opening = false
	s.cond.Broadcast()
	if err != nil {
		s.exclusive = false
		s.openGen++
		s.openErr = err
		var fd *fileDamaged
		if errors.As(err, &fd) && s.damaged == nil {
			s.damaged = fd
		}
		return nil, err
	}
	s.db, s.openedAt, s.refs = db, time.Now(), 1
	if s.opts.KeepOpen {
		s.othersWait = s.waiters.waiting()
		go s.watchKept(db)
	}
	return db, nil
}

// release drops a reference and closes the handle when it was the last.
func (s *BoltStore) release(db *bolt.DB) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs--
	if s.refs > 0 || s.holds > 0 || s.db != db || s.kept() {
		return
	}
	// Closed under the lock: a new handle must not be opened (and block on
	// our own flock) before this one is closed.
	_ = db.Close()
	s.db, s.exclusive = nil, false
	s.cond.Broadcast()
}

// Batch runs fn in one write transaction (see Store).
func (v *boltView) Batch(ctx context.Context, fn func(Store) error) error {
	if v.tx != nil {
		return fn(v)
	}
	return v.s.do(ctx, true, func(tx *bolt.Tx) error {
		return fn(&boltView{s: v.s, tx: tx})
	})
}

// Close on the view of a Batch is a no-op (BoltStore has its own).
func (v *boltView) Close() error { return nil }

// run runs fn in the Batch's transaction, or in its own.
func (v *boltView) run(ctx context.Context, write bool, fn func(*bolt.Tx) error) error {
	if v.tx != nil {
		if write && !v.tx.Writable() {
			return errors.New("store: write in a read-only transaction")
		}
		return fn(v.tx)
	}
	return v.s.do(ctx, write, fn)
}
