package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func TestOpenBoltFileModes(t *testing.T) {
	old := umask(0o022)
	defer umask(old)
	base := t.TempDir()
	path := filepath.Join(base, "state", "gantry", "gantry.db")
	s, err := store.OpenBolt(path, store.Options{})
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.PutSecret(context.Background(), &store.Secret{Key: "k", Value: "v"}, false))

	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{
		{path, 0o600},
		{path + ".waiters", 0o600},
		{filepath.Join(base, "state", "gantry"), 0o700 | os.ModeDir},
		{filepath.Join(base, "state"), 0o700 | os.ModeDir},
	} {
		fi, err := os.Stat(tc.path)
		require.NoError(t, err)
		assert.Equal(t, tc.mode, fi.Mode(), tc.path)
	}
	assert.Equal(t, path, s.Path())
}

func TestOpenBoltErrors(t *testing.T) {
	_, err := store.OpenBolt("", store.Options{})
	assert.ErrorIs(t, err, store.ErrInvalid)

	notDB := filepath.Join(t.TempDir(), "notes.txt")
	require.NoError(t, os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 1000)), 0o600))
	_, err = store.OpenBolt(notDB, store.Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), notDB)
}

func TestDefaultPath(t *testing.T) {
	t.Setenv(store.EnvStore, "/tmp/x/custom.db")
	p, err := store.DefaultPath()
	require.NoError(t, err)
	assert.Equal(t, "/tmp/x/custom.db", p)

	home := t.TempDir()
	t.Setenv(store.EnvStore, "")
	t.Setenv("HOME", home)
	p, err = store.DefaultPath()
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(home, ".gantry", "gantry.db"), p)
}

// TestLockedInProcess: two stores on one file in one process conflict like
// two processes (separate file descriptions); the loser gives up after its
// LockTimeout with ErrLocked naming the file, and succeeds once released.
func TestLockedInProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	a, err := store.OpenBolt(path, store.Options{})
	require.NoError(t, err)
	defer a.Close()
	b, err := store.OpenBolt(path, store.Options{LockTimeout: 200 * time.Millisecond})
	require.NoError(t, err)
	defer b.Close()

	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error)
	go func() {
		done <- a.Hold(ctx, func() error {
			// Operations inside Hold reuse the open handle.
			if err := a.PutSecret(ctx, &store.Secret{Key: "k", Value: "v"}, false); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	start := time.Now()
	_, err = b.GetSecret(ctx, "k")
	waited := time.Since(start)
	require.ErrorIs(t, err, store.ErrLocked)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "another gantry process")
	assert.GreaterOrEqual(t, waited, 200*time.Millisecond)
	assert.Less(t, waited, 2*time.Second, "gives up near its timeout, never hangs")

	// Goroutines queued behind a failing open share its failure instead of
	// each waiting a full timeout in turn.
	start = time.Now()
	errs := make(chan error, 5)
	for range 5 {
		go func() {
			_, err := b.GetSecret(ctx, "k")
			errs <- err
		}()
	}
	for range 5 {
		assert.ErrorIs(t, <-errs, store.ErrLocked)
	}
	assert.Less(t, time.Since(start), 1500*time.Millisecond, "5 waiters, not 5 timeouts")

	// A cancelled context stops the wait early.
	cctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = b.GetSecret(cctx, "k")
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	close(release)
	require.NoError(t, <-done)
	sec, err := b.GetSecret(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, "v", sec.Value)
}

func TestArchiveLimit(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	noise := make([]byte, 256<<10)
	for i := range noise { // incompressible enough
		noise[i] = byte(i*7919 + i/13*31)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blob.bin"), noise, 0o644))
	_, err := store.ArchiveDir(dir, 1024)
	assert.ErrorIs(t, err, store.ErrTooLarge)

	data, err := store.ArchiveDir(dir, 0)
	require.NoError(t, err)
	s, err := store.OpenBolt(filepath.Join(t.TempDir(), "gantry.db"), store.Options{MaxArchiveBytes: int64(len(data) - 1)})
	require.NoError(t, err)
	defer s.Close()
	err = s.CreateBlueprint(ctx, &store.Blueprint{ID: "big", MainFile: "blueprint.yaml"}, data)
	assert.ErrorIs(t, err, store.ErrTooLarge)
	assert.Contains(t, err.Error(), `"big"`)
}
