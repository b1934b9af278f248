package store_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/store/storetest"
)

func TestBoltContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.OpenBolt(filepath.Join(t.TempDir(), "gantry.db"), store.Options{})
		require.NoError(t, err)
		return s
	})
	storetest.RunExpiry(t, func(t *testing.T, ttl time.Duration) store.Store {
		s, err := store.OpenBolt(filepath.Join(t.TempDir(), "gantry.db"), store.Options{NoSync: true, DeletedExecutionTTL: ttl})
		require.NoError(t, err)
		return s
	})
}

// TestEncryptedContract: the store Open returns (secret values encrypted
// at rest) keeps the contract.
func TestEncryptedContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "gantry.db"), store.Options{NoSync: true})
		require.NoError(t, err)
		return s
	})
}
