package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/gantryhq/gantry/internal/atomicfile"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Retention and compaction defaults (Options).
const (
	// DefaultEventsPerExecution: an execution keeps its newest 100,000
	// events (ten times what one operation may print, see
	// workflow.DefaultMaxOutputLines).
	DefaultEventsPerExecution = 100_000
	// DefaultEventsMaxAge: events are kept 90 days.
	DefaultEventsMaxAge = 90 * 24 * time.Hour
	// DefaultAutoCompactFree: OpenBolt compacts a file more than half free.
	DefaultAutoCompactFree = 0.5
	// AutoCompactMinBytes: smaller files are never compacted automatically
	// (the saving is not worth holding the file).
	AutoCompactMinBytes = 4 << 20
	// compactTxBytes bounds one transaction of a compaction's copy.
	compactTxBytes = 64 << 20
)

// Environment variables OptionsFromEnv reads.
const (
	EnvEventsPerExecution = "GANTRY_EVENTS_PER_EXECUTION"
	EnvEventsMaxAge       = "GANTRY_EVENTS_MAX_AGE"
)

// OptionsFromEnv returns o with the retention settings of the environment
// applied where o leaves them zero: GANTRY_EVENTS_PER_EXECUTION (a count;
// negative: no limit) and GANTRY_EVENTS_MAX_AGE (a Go duration such as
// 720h; negative: forever).
func OptionsFromEnv(o Options) (Options, error) {
	if v := os.Getenv(EnvEventsPerExecution); v != "" && o.EventsPerExecution == 0 {
		n, err := strconv.Atoi(v)
		if err != nil {
			return o, fmt.Errorf("%s=%q: not a whole number: %w", EnvEventsPerExecution, v, ErrInvalid)
		}
		o.EventsPerExecution = n
	}
	if v := os.Getenv(EnvEventsMaxAge); v != "" && o.EventsMaxAge == 0 {
		d, err := time.ParseDuration(v)
		if err != nil {
			return o, fmt.Errorf("%s=%q: not a duration such as 720h: %w", EnvEventsMaxAge, v, ErrInvalid)
		}
		o.EventsMaxAge = d
	}
	return o, nil
}

// trimEvents deletes an execution's oldest events beyond
// EventsPerExecution. Event keys are contiguous (sequence numbers, only
// ever deleted from the front), so this costs one delete per event
// dropped.
func (s *BoltStore) trimEvents(b *bolt.Bucket) error {
	keep := s.opts.EventsPerExecution
	last := b.Sequence()
	if keep <= 0 || last <= uint64(keep) {
		return nil
	}
	k, _ := b.Cursor().First()
	if len(k) != 8 {
		return nil
	}
	for seq := binary.BigEndian.Uint64(k); seq <= last-uint64(keep); seq++ {
		if err := b.Delete(seqKey(seq)); err != nil {
			return fmt.Errorf("drop old event %d: %w", seq, err)
		}
	}
	return nil
}

// openMaintenance is OpenBolt's write transaction: the schema, then events
// older than EventsMaxAge dropped (reading one event per execution when
// there is nothing to drop).
func (s *BoltStore) openMaintenance(tx *bolt.Tx) error {
	if err := initSchema(tx); err != nil {
		return err
	}
	if s.opts.EventsMaxAge <= 0 {
		return nil
	}
	cutoff := now().Add(-s.opts.EventsMaxAge)
	parent := tx.Bucket(bktEvents)
	var execs [][]byte
	_ = parent.ForEachBucket(func(k []byte) error {
		execs = append(execs, bytes.Clone(k))
		return nil
	})
	for _, exec := range execs {
		b := parent.Bucket(exec)
		var old [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			var ev struct {
				Timestamp time.Time `json:"timestamp"`
			}
			if json.Unmarshal(v, &ev) != nil || !ev.Timestamp.Before(cutoff) {
				break
			}
			old = append(old, bytes.Clone(k))
		}
		b.FillPercent = 1.0
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return fmt.Errorf("drop old events of execution %q: %w", exec, err)
			}
		}
	}
	return nil
}

// CompactResult tells what a compaction did.
type CompactResult struct {
	Path        string        `json:"path"`
	BytesBefore int64         `json:"bytes_before"`
	BytesAfter  int64         `json:"bytes_after"`
	Took        time.Duration `json:"took_ns"`
}

// Compact rewrites the store into a new file holding only live pages
// (bbolt's Compact, in transactions of at most 64 MiB), syncs it, and
// renames it over the store (0600). It holds the file meanwhile: other
// processes wait, and one that opened the old file notices the rename and
// reopens. A damaged store is refused (ErrDamaged).
func (s *BoltStore) Compact(ctx context.Context) (*CompactResult, error) {
	var res *CompactResult
	err := s.withDBMode(ctx, true, func(db *bolt.DB) error {
		if err := verified(s.path); err != nil {
			return err
		}
		r, err := s.compact(db)
		res = r
		return err
	})
	return res, err
}

// autoCompact compacts when more than AutoCompactFree of a file of at
// least AutoCompactMinBytes is free: free pages, and the room bbolt grew
// the file by but does not use yet.
func (s *BoltStore) autoCompact(db *bolt.DB) error {
	if s.opts.AutoCompactFree < 0 {
		return nil
	}
	fi, err := os.Stat(s.path)
	if err != nil || fi.Size() < AutoCompactMinBytes {
		return nil
	}
	var used int64
	err = db.View(func(tx *bolt.Tx) error {
		st := db.Stats()
		used = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(db.Info().PageSize)
		return nil
	})
	if err != nil || float64(fi.Size()-used) <= s.opts.AutoCompactFree*float64(fi.Size()) {
		return err
	}
	_, err = s.compact(db)
	return err
}

// beforeCompactRename, when set (tests), runs between a compaction's copy
// and its rename.
var beforeCompactRename func()

// compact copies db into a new file and renames it over the store; the
// caller holds db alone.
func (s *BoltStore) compact(src *bolt.DB) (*CompactResult, error) {
	start := time.Now()
	fi, err := os.Stat(s.path)
	if err != nil {
		return nil, fmt.Errorf("compact store: %w", err)
	}
	res := &CompactResult{Path: s.path, BytesBefore: fi.Size()}
	tmp, err := os.CreateTemp(filepath.Dir(s.path), "."+filepath.Base(s.path)+".compact-*")
	if err != nil {
		return nil, fmt.Errorf("compact store %s: %w", s.path, err)
	}
	name := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(name) // after a successful rename, a no-op
	dst, err := bolt.Open(name, 0o600, &bolt.Options{NoSync: true})
	if err != nil {
		return nil, fmt.Errorf("compact store %s: %w", s.path, err)
	}
	err = bolt.Compact(dst, src, compactTxBytes)
	if err == nil && !s.opts.NoSync {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(name, 0o600)
	}
	if err == nil && beforeCompactRename != nil {
		beforeCompactRename()
	}
	if err == nil {
		err = os.Rename(name, s.path)
	}
	if err == nil {
		err = atomicfile.SyncDir(filepath.Dir(s.path))
	}
	if err != nil {
		return nil, fmt.Errorf("compact store %s: %w", s.path, err)
	}
	if fi, err := os.Stat(s.path); err == nil {
		res.BytesAfter = fi.Size()
	}
	res.Took = time.Since(start)
	return res, nil
}

// Backup writes a consistent copy of the store to w (bbolt's Tx.WriteTo in
// one read transaction) and returns its size. Other processes wait while
// it runs: write to a local file, not a slow pipe. A damaged store is
// refused (ErrDamaged): a backup is always a sound store.
func (s *BoltStore) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.do(ctx, false, func(tx *bolt.Tx) error {
		if err := verified(s.path); err != nil {
			return err
		}
		var err error
		n, err = tx.WriteTo(w)
		if err != nil {
			return fmt.Errorf("back up store %s: %w", s.path, err)
		}
		return nil
	})
	return n, err
}

// Maintainer is a store kept in a local file, which Gantry backs up and
// compacts itself (BoltStore).
type Maintainer interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
	Compact(ctx context.Context) (*CompactResult, error)
}

var _ Maintainer = (*BoltStore)(nil)

// AsMaintainer returns st's backend as a Maintainer.
func AsMaintainer(st Store) (Maintainer, bool) {
	m, ok := Backend(st).(Maintainer)
	return m, ok
}

// Backend returns the backend under the layers Open puts over it (the
// encryption of secret values): a *BoltStore, an etcd store.
func Backend(st Store) Store {
	for {
		w, ok := st.(interface{ Unwrap() Store })
		if !ok {
			return st
		}
		st = w.Unwrap()
	}
}
