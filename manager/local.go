package manager

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/store"
	_ "github.com/gantryhq/gantry/store/etcd" // etcd:// store URLs
)

// OpenLocal opens the store storePath names ("" for the default:
// $GANTRY_STORE, else ~/.gantry/gantry.db): a bbolt file path, bolt://PATH
// or etcd://HOST:PORT[,HOST:PORT...][/PREFIX][?ca=F&cert=F&key=F] (see
// store.Open), and returns a Manager over it that owns it: Close closes the
// store too. cfg.Store is ignored; cfg.DataDir defaults to the "data"
// folder next to the store file (~/.gantry/data for a store URL).
func OpenLocal(storePath string, cfg Config) (*Manager, error) {
	if storePath == "" {
		p, err := store.DefaultPath()
		if err != nil {
			return nil, err
		}
		storePath = p
	}
	if cfg.DataDir == "" {
		dir, err := defaultDataDir(storePath)
		if err != nil {
			return nil, err
		}
		cfg.DataDir = dir
	}
	opts, err := store.OptionsFromEnv(store.Options{
		EventsPerExecution: cfg.EventsPerExecution, EventsMaxAge: cfg.EventsMaxAge, OpenDamaged: cfg.Maintenance,
		KeepOpen: cfg.KeepStoreOpen,
	})
	if err != nil {
		return nil, err
	}
	st, err := store.Open(context.Background(), storePath, opts)
	if err != nil {
		return nil, err
	}
	cfg.Store, cfg.StorePath = st, storePath
	m, err := New(cfg)
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("manager over %s: %w", storePath, err)
	}
	m.ownsStore = true
	return m, nil
}

// defaultDataDir is the "data" folder next to a store file, or
// ~/.gantry/data for a store named by URL.
func defaultDataDir(storePath string) (string, error) {
	if !store.IsURL(storePath) {
		return filepath.Join(filepath.Dir(strings.TrimPrefix(storePath, store.SchemeBolt+"://")), "data"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("data folder for store %s: %w (set HOME)", storePath, err)
	}
	return filepath.Join(home, ".gantry", "data"), nil
}

// DefaultStorePath is where OpenLocal("") opens the store.
func DefaultStorePath() (string, error) { return store.DefaultPath() }
