package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"

	"github.com/gantryhq/gantry/tosca"
)

// execStore is a store with blueprint bp, deployment d and execution e.
func execStore(t *testing.T, path string, opts Options) *BoltStore {
	t.Helper()
	ctx := context.Background()
	s, err := OpenBolt(path, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	data, err := ArchiveDir(t.TempDir(), 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(ctx, &Blueprint{ID: "bp", MainFile: "b.yaml"}, data))
	require.NoError(t, s.CreateDeployment(ctx, &Deployment{ID: "d", BlueprintID: "bp", Plan: &tosca.Plan{}}))
	require.NoError(t, s.CreateExecution(ctx, &Execution{ID: "e", DeploymentID: "d", WorkflowID: "install"}))
	return s
}

func logEvents(n int, msg string, ts time.Time) []*Event {
	evs := make([]*Event, n)
	for i := range evs {
		evs[i] = &Event{Type: "log", Level: "info", NodeInstanceID: "web_1", Message: msg, Timestamp: ts}
	}
	return evs
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fi.Size()
}

func TestEventsPerExecution(t *testing.T) {
	ctx := context.Background()
	s := execStore(t, filepath.Join(t.TempDir(), "gantry.db"), Options{NoSync: true, EventsPerExecution: 10})
	for _, n := range []int{4, 9, 12} {
		require.NoError(t, s.AppendEvents(ctx, "e", logEvents(n, "x", time.Time{})))
	}
	evs, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 10, "the newest 10 of 25")
	assert.Equal(t, uint64(16), evs[0].Seq)
	assert.Equal(t, uint64(25), evs[9].Seq)
	assert.Equal(t, "e", evs[0].ExecutionID)
	assert.Equal(t, "d", evs[0].DeploymentID)
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

func TestEventsMaxAge(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	s := execStore(t, path, Options{NoSync: true})
	old := time.Now().Add(-40 * 24 * time.Hour)
	require.NoError(t, s.AppendEvents(ctx, "e", logEvents(5, "old", old)))
	require.NoError(t, s.AppendEvents(ctx, "e", logEvents(3, "new", time.Time{})))
	require.NoError(t, s.Close())

	s, err := OpenBolt(path, Options{NoSync: true, EventsMaxAge: 30 * 24 * time.Hour})
	require.NoError(t, err)
	defer s.Close()
	evs, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	for _, ev := range evs {
		assert.Equal(t, "new", ev.Message)
	}
	assert.Equal(t, uint64(6), evs[0].Seq)
}

// TestEventRecordsOfEarlierVersions: events stored with their seq,
// execution and deployment (before they were left out) still read.
func TestEventRecordsOfEarlierVersions(t *testing.T) {
	ctx := context.Background()
	s := execStore(t, filepath.Join(t.TempDir(), "gantry.db"), Options{NoSync: true})
	require.NoError(t, s.do(ctx, true, func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bktEvents).CreateBucketIfNotExists([]byte("e"))
		if err != nil {
			return err
		}
		seq, _ := b.NextSequence()
		return putJSON(b, "event", seqKey(seq), &Event{Seq: seq, ExecutionID: "e", DeploymentID: "d", Type: "log", Message: "old format"})
	}))
	require.NoError(t, s.AppendEvents(ctx, "e", logEvents(1, "new format", time.Time{})))
	evs, err := s.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	require.Len(t, evs, 2)
	for i, ev := range evs {
		assert.Equal(t, uint64(i+1), ev.Seq)
		assert.Equal(t, "e", ev.ExecutionID)
		assert.Equal(t, "d", ev.DeploymentID)
	}
	want, err := json.Marshal(evs)
	require.NoError(t, err)
	page, n, err := s.EventsJSON(ctx, "e", 0, 0, nil)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Equal(t, string(want), string(page), "the old record decoded, the new one spliced: one form")
	problems, err := s.Check(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
}

// deletedAtOnce: tombstones expire as soon as they are kept.
const deletedAtOnce = time.Nanosecond

// bigThenDeleted fills the store with about 6 MiB of events, then deletes
// them with their deployment, and once more a second deployment: that
// prunes the first one's tombstone with its events (s was opened with
// deletedAtOnce). The file stays as big.
func bigThenDeleted(t *testing.T, s *BoltStore) int64 {
	ctx := context.Background()
	msg := string(bytes.Repeat([]byte("y"), 200))
	for i := 0; i < 20; i++ {
		require.NoError(t, s.AppendEvents(ctx, "e", logEvents(1000, msg, time.Time{})))
	}
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	require.NoError(t, s.CreateDeployment(ctx, &Deployment{ID: "d2", BlueprintID: "bp", Plan: &tosca.Plan{}}))
	require.NoError(t, s.DeleteDeployment(ctx, "d2", true))
	_, err := s.DeletedEvents(ctx, "e", 0, 1)
	require.ErrorIs(t, err, ErrNotFound, "the tombstone's events pruned")
	size := fileSize(t, s.Path())
	require.Greater(t, size, int64(AutoCompactMinBytes))
	return size
}

func TestCompact(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	s := execStore(t, path, Options{NoSync: true, DeletedExecutionTTL: deletedAtOnce})
	before := bigThenDeleted(t, s)
	require.NoError(t, s.PutSecret(ctx, &Secret{Key: "k", Value: "v"}, false))

	// A second store on the file writes while the compaction runs: its
	// writes must land in the new file, not the replaced one.
	other, err := OpenBolt(path, Options{NoSync: true, AutoCompactFree: -1})
	require.NoError(t, err)
	defer other.Close()
	var wg sync.WaitGroup
	beforeCompactRename = func() {
		// These writes open the old file and wait for its lock.
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 30; i++ {
				assert.NoError(t, other.PutSecret(ctx, &Secret{Key: fmt.Sprintf("during-%d", i), Value: "v"}, false))
			}
		}()
		time.Sleep(100 * time.Millisecond)
	}
	defer func() { beforeCompactRename = nil }()
	res, err := s.Compact(ctx)
	require.NoError(t, err)
	wg.Wait()
	assert.Equal(t, before, res.BytesBefore)
	assert.Less(t, res.BytesAfter, before/4, "compaction frees the deleted events")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	fresh, err := OpenBolt(path, Options{NoSync: true})
	require.NoError(t, err)
	defer fresh.Close()
	secrets, err := fresh.ListSecrets(ctx)
	require.NoError(t, err)
	assert.Len(t, secrets, 31, "every write made during the compaction is in the new file")
	_, err = fresh.GetBlueprint(ctx, "bp")
	require.NoError(t, err)
	problems, err := fresh.Check(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
	left, err := filepath.Glob(filepath.Join(filepath.Dir(path), ".gantry.db.*"))
	require.NoError(t, err)
	assert.Empty(t, left, "no temporary file left")
}

func TestAutoCompactAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gantry.db")
	s := execStore(t, path, Options{NoSync: true, DeletedExecutionTTL: deletedAtOnce})
	before := bigThenDeleted(t, s)
	require.NoError(t, s.Close())

	s2, err := OpenBolt(path, Options{NoSync: true, AutoCompactFree: -1})
	require.NoError(t, err)
	require.NoError(t, s2.Close())
	assert.Equal(t, before, fileSize(t, path), "disabled: not compacted")

	s3, err := OpenBolt(path, Options{NoSync: true})
	require.NoError(t, err)
	defer s3.Close()
	assert.Less(t, fileSize(t, path), before/4, "more than half free: compacted at open")
	_, err = s3.GetBlueprint(context.Background(), "bp")
	require.NoError(t, err)
}

func TestBackup(t *testing.T) {
	ctx := context.Background()
	s := execStore(t, filepath.Join(t.TempDir(), "gantry.db"), Options{NoSync: true})
	require.NoError(t, s.AppendEvents(ctx, "e", logEvents(3, "x", time.Time{})))
	var buf bytes.Buffer
	n, err := s.Backup(ctx, &buf)
	require.NoError(t, err)
	assert.Equal(t, int64(buf.Len()), n)

	path := writeDamaged(t, buf.Bytes())
	b, err := OpenBolt(path, Options{NoSync: true})
	require.NoError(t, err)
	defer b.Close()
	evs, err := b.Events(ctx, "e", 0, 0)
	require.NoError(t, err)
	assert.Len(t, evs, 3)
	problems, err := b.Check(ctx)
	require.NoError(t, err)
	assert.Empty(t, problems)
}
