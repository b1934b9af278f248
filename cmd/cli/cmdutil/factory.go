package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/workflow"
)

// Factory gives commands lazy access to the store and the manager, with
// the global flags applied. Commands get it from the root.
type Factory struct {
	IO *IOStreams
	// StorePath is --store (default $GANTRY_STORE or ~/.gantry/gantry.db).
	StorePath string
	// ImportRules are the global --import-rule flags.
	ImportRules []string
	// Printer shows the events of executions this process runs.
	Printer *EventPrinter

	st  store.Store
	mgr *manager.Manager
}

// RegisterGlobalFlags adds the flags every command shares.
func (f *Factory) RegisterGlobalFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&f.StorePath, "store", "", "state file (default $GANTRY_STORE, else ~/.gantry/gantry.db)")
}

// ResolvedStorePath returns the store file's path.
func (f *Factory) ResolvedStorePath() (string, error) {
	if f.StorePath != "" {
		return f.StorePath, nil
	}
	return store.DefaultPath()
}

// Store opens the store on first use.
func (f *Factory) Store() (store.Store, error) {
	if f.st != nil {
		return f.st, nil
	}
	path, err := f.ResolvedStorePath()
	if err != nil {
		return nil, err
	}
	st, err := store.OpenBolt(path, store.Options{})
	if err != nil {
		return nil, StoreError(err)
	}
	f.st = st
	return st, nil
}

// NewFactory returns a Factory on io.
func NewFactory(io *IOStreams) *Factory {
	return &Factory{IO: io, Printer: &EventPrinter{IO: io}}
}

// Manager builds the manager on first use.
func (f *Factory) Manager(rules []tosca.ImportRule) (*manager.Manager, error) {
	if f.mgr != nil {
		return f.mgr, nil
	}
	st, err := f.Store()
	if err != nil {
		return nil, err
	}
	path, _ := f.ResolvedStorePath()
	dataDir := filepath.Join(filepath.Dir(path), "data")
	exe, _ := os.Executable()
	m, err := manager.New(manager.Config{
		Store: st, DataDir: dataDir, ImportRules: rules, CtxBinary: exe,
		OnEvent: f.Printer.OnEvent, TaskRetryInterval: time.Second,
	})
	if err != nil {
		return nil, err
	}
	f.mgr = m
	return m, nil
}

// Close releases the manager and the store.
func (f *Factory) Close() {
	if f.mgr != nil {
		_ = f.mgr.Close()
	}
	if f.st != nil {
		_ = f.st.Close()
	}
}

// StoreError maps store and manager errors to exit codes.
func StoreError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	var pe *manager.ProblemsError
	switch {
	case errors.As(err, &ee):
		return err
	case errors.As(err, &pe):
		return Exit(ExitFailed, err)
	case errors.Is(err, store.ErrNotFound), errors.Is(err, fs.ErrNotExist):
		// fs.ErrNotExist: a blueprint path that does not exist (install,
		// upload), as blueprints validate reports it.
		return Exit(ExitNotFound, err)
	case errors.Is(err, manager.ErrBadParameter), errors.Is(err, workflow.ErrBadParameter):
		return Exit(ExitUsage, err)
	case errors.Is(err, store.ErrConflict):
		return Exit(ExitBusy, err)
	case errors.Is(err, store.ErrLocked), errors.Is(err, store.ErrInUse), errors.Is(err, manager.ErrDependents),
		errors.Is(err, manager.ErrActiveExecution), errors.Is(err, store.ErrExists), errors.Is(err, manager.ErrNotResumable):
		return Exit(ExitBusy, err)
	}
	return Exit(ExitFailed, fmt.Errorf("%w", err))
}
