package store_test

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// TestKeepOpenYields: a store kept open (KeepOpen, as `gantry server`
// opens it) keeps its handle between operations, yet another opener of
// the file (its own flock: another process to bbolt) gets its turn at
// once, and the first store carries on after it.
func TestKeepOpenYields(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	kept, err := store.OpenBolt(path, store.Options{KeepOpen: true, NoSync: true})
	require.NoError(t, err)
	defer kept.Close()
	require.NoError(t, kept.PutSecret(ctx, &store.Secret{Key: "a", Value: "1"}, false))
	time.Sleep(150 * time.Millisecond) // beyond MaxShare
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	assert.ErrorIs(t, syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB), syscall.EWOULDBLOCK,
		"the idle handle is still open (its flock held)")

	other, err := store.OpenBolt(path, store.Options{LockTimeout: 2 * time.Second, NoSync: true})
	require.NoError(t, err)
	defer other.Close()
	start := time.Now()
	s, err := other.GetSecret(ctx, "a")
	require.NoError(t, err, "the kept handle yields to a waiting process")
	assert.Equal(t, "1", s.Value)
	assert.Less(t, time.Since(start), time.Second)
	require.NoError(t, other.PutSecret(ctx, &store.Secret{Key: "b", Value: "2"}, false))

	s, err = kept.GetSecret(ctx, "b")
	require.NoError(t, err, "and takes the file back")
	assert.Equal(t, "2", s.Value)
}
