package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// flockProbe as bbolt's Timeout makes bbolt try the lock once and return
// ErrTimeout at once (bbolt sleeps 50ms between its own tries, too coarse
// for handing the file back and forth between processes); open retries.
const flockProbe = time.Nanosecond

// Poll interval bounds while waiting for another process's lock.
const (
	pollMin = 500 * time.Microsecond
	pollMax = 5 * time.Millisecond
)

// open opens and locks the file, retrying while another process holds it,
// up to LockTimeout; then ErrLocked says which file and which process.
func (s *BoltStore) open(ctx context.Context) (*bolt.DB, error) {
	s.waiters.yield(s.opts.MaxYield)
	var opened *os.File
	bopts := &bolt.Options{Timeout: flockProbe, NoSync: s.opts.NoSync, OpenFile: openExisting(&opened)}
	start := time.Now()
	wait := pollMin
	registered := false
	defer func() {
		if registered {
			s.waiters.leave()
		}
	}()
	for {
		var db *bolt.DB
		opened = nil
		err := guard(s.path, func() (err error) {
			db, err = bolt.Open(s.path, 0o600, bopts)
			return err
		})
		if err == nil && !sameFile(opened, s.path) {
			// Compacted by another process while we waited for the lock:
			// this is the old file. Open the new one.
			_ = db.Close()
			continue
		}
		if err == nil {
			return db, nil
		}
		if opened != nil {
			// bbolt closes the file when it returns an error, but not when
			// it panics. Its memory map still refers to the file, so the
			// lock must be dropped explicitly. A second Close is harmless.
			_ = syscall.Flock(int(opened.Fd()), syscall.LOCK_UN)
			_ = opened.Close()
		}
		if !errors.Is(err, berrors.ErrTimeout) {
			return nil, boltOpenError(s.path, err)
		}
		if !registered {
			s.waiters.join()
			registered = true
		}
		waited := time.Since(start)
		if waited >= s.opts.LockTimeout {
			return nil, s.lockedError(waited)
		}
		d := min(wait+rand.N(wait/2+1), s.opts.LockTimeout-waited)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("open store %s: waiting for another gantry process to release it: %w", s.path, ctx.Err())
		case <-time.After(d):
		}
		wait = min(wait*2, pollMax)
	}
}

func (s *BoltStore) lockedError(waited time.Duration) error {
	who := "another gantry process"
	if pid := lockHolder(s.path); pid > 0 {
		who = fmt.Sprintf("another gantry process (pid %d)", pid)
	}
	return fmt.Errorf("%w: %s is held by %s; gave up after %s (try again when it finishes)",
		ErrLocked, s.path, who, waited.Round(time.Millisecond))
}

// waitersFile is a side file ("<store>.waiters") on which processes that
// wait for the store take a shared flock. A process about to reopen the
// store first probes it with an exclusive non-blocking flock: if that fails
// someone is waiting, and it yields (up to MaxYield) instead of grabbing the
// store again at once. Without it a busy process that closes and reopens the
// file in a loop would starve pollers. Best effort: if the file cannot be
// created, there is no yielding.
type waitersFile struct{ f *os.File }

func openWaiters(path string) *waitersFile {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return &waitersFile{}
	}
	return &waitersFile{f: f}
}

func (w *waitersFile) fd() int { return int(w.f.Fd()) }

// join registers this process as waiting.
func (w *waitersFile) join() {
	if w.f != nil {
		_ = syscall.Flock(w.fd(), syscall.LOCK_SH)
	}
}

// leave unregisters.
func (w *waitersFile) leave() {
	if w.f != nil {
		_ = syscall.Flock(w.fd(), syscall.LOCK_UN)
	}
}

// yield waits while other processes wait for the store, up to max.
func (w *waitersFile) yield(max time.Duration) {
	if w.f == nil {
		return
	}
	deadline := time.Now().Add(max)
	for {
		err := syscall.Flock(w.fd(), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			_ = syscall.Flock(w.fd(), syscall.LOCK_UN)
			return
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(pollMin)
	}
}

// waiting reports whether another process waits for the store.
func (w *waitersFile) waiting() bool {
	if w.f == nil {
		return false
	}
	if err := syscall.Flock(w.fd(), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true
	}
	_ = syscall.Flock(w.fd(), syscall.LOCK_UN)
	return false
}

func (w *waitersFile) close() {
	if w.f != nil {
		_ = w.f.Close()
		w.f = nil
	}
}

// sameFile reports whether f is (still) the file at path.
func sameFile(f *os.File, path string) bool {
	a, err1 := f.Stat()
	b, err2 := os.Stat(path)
	return err1 != nil || err2 != nil || os.SameFile(a, b)
}
