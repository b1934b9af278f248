package manager

import (
	"fmt"
	"path/filepath"

	"github.com/gantryhq/gantry/store"
)

// OpenLocal opens the bbolt store at storePath ("" for the default:
// $GANTRY_STORE, else ~/.gantry/gantry.db) and returns a Manager over it
// that owns it: Close closes the store too. cfg.Store is ignored;
// cfg.DataDir defaults to the "data" folder next to the store file.
func OpenLocal(storePath string, cfg Config) (*Manager, error) {
	if storePath == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return nil, err
		}
		storePath = p
	}
	st, err := store.OpenBolt(storePath, store.Options{})
	if err != nil {
		return nil, err
	}
	cfg.Store, cfg.StorePath = st, storePath
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(filepath.Dir(storePath), "data")
	}
	m, err := New(cfg)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("manager over %s: %w", storePath, err)
	}
	m.ownsStore = true
	return m, nil
}

// DefaultStorePath is where OpenLocal("") opens the store.
func DefaultStorePath() (string, error) { return store.DefaultPath() }
