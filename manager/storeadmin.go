package manager

import (
	"context"
	"fmt"
	"io"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// CheckStore runs the store's own check (see store.Store.Check).
func (m *Manager) CheckStore(ctx context.Context) ([]string, error) {
	return m.st.Check(ctx)
}

// BackupStore writes an online, consistent copy of a file store to w.
func (m *Manager) BackupStore(ctx context.Context, w io.Writer) (int64, error) {
	mt, err := m.maintainer("back up")
	if err != nil {
		return 0, err
	}
	return mt.Backup(ctx, w)
}

// CompactStore rewrites a file store without its free space.
func (m *Manager) CompactStore(ctx context.Context) (*api.CompactResult, error) {
	mt, err := m.maintainer("compact")
	if err != nil {
		return nil, err
	}
	return mt.Compact(ctx)
}

func (m *Manager) maintainer(what string) (store.Maintainer, error) {
	mt, ok := store.AsMaintainer(m.st)
	if !ok {
		return nil, fmt.Errorf("%s the store: this store is not a local file; use its own tools (etcd: `etcdctl snapshot save`, `etcdctl defrag`): %w",
			what, api.ErrInvalid)
	}
	return mt, nil
}

// RotateSecretKey re-encrypts the secrets under a new key (see
// store.EncryptSecrets).
func (m *Manager) RotateSecretKey(ctx context.Context) (int, error) {
	rot, ok := store.AsKeyRotator(m.st)
	if !ok {
		return 0, fmt.Errorf("rotate the secret key: this store does not encrypt secrets itself: %w", api.ErrInvalid)
	}
	return rot.RotateKey(ctx)
}
