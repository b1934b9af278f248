package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/tosca"
)

// Factory gives commands lazy access to the Service, with the global flags
// applied. Commands get it from the root. Only the Factory knows which
// implementation serves: the in-process manager over the local store, or
// the client of a server (remote.go).
type Factory struct {
	IO *IOStreams
	// StorePath is --store (default $GANTRY_STORE or ~/.gantry/gantry.db).
	StorePath string
	// Version is the CLI's version, reported by Info.
	Version string
	// Printer shows the events of executions this process follows.
	Printer *EventPrinter

	// EventsKeep and EventsMaxAge are --events-keep and --events-max-age
	// (0: the environment's or the default retention).
	EventsKeep   int
	EventsMaxAge time.Duration
	// Maintenance opens a damaged store instead of failing (the `store`
	// commands), so that its check can describe the damage.
	Maintenance bool
	// QueueExecutions makes Local queue every execution for the workers
	// (`gantry server --run-executions=false`).
	QueueExecutions bool

	rules []tosca.ImportRule
	// resourcesDir and pluginsDir: see SetParseDirs.
	resourcesDir, pluginsDir string
	svc                      api.Service
}

// NewFactory returns a Factory on io.
func NewFactory(io *IOStreams) *Factory {
	return &Factory{IO: io, Printer: &EventPrinter{IO: io}}
}

// RegisterGlobalFlags adds the flags every command shares.
func (f *Factory) RegisterGlobalFlags(cmd *cobra.Command) {
	cmd.PersistentFlags().IntVar(&f.EventsKeep, "events-keep", 0, "keep at most this many events per execution, the newest (default $GANTRY_EVENTS_PER_EXECUTION, else 100000; -1: all)")
	cmd.PersistentFlags().DurationVar(&f.EventsMaxAge, "events-max-age", 0, "drop events older than this, e.g. 720h (default $GANTRY_EVENTS_MAX_AGE, else 2160h = 90 days; -1ns: never)")
	cmd.PersistentFlags().StringVar(&f.StorePath, "store", "", "state: a bbolt file or etcd://HOST:PORT[,HOST:PORT...][/PREFIX][?ca=F&cert=F&key=F] (default $GANTRY_STORE, else ~/.gantry/gantry.db)")
}

// SetImportRules sets the import rules the Service resolves blueprint
// imports with; call it before the first Service.
func (f *Factory) SetImportRules(rules []tosca.ImportRule) { f.rules = rules }

// SetParseDirs sets the resources folder and plugin catalog the local
// Service resolves imports with ("": $GANTRY_RESOURCES_DIR,
// $GANTRY_PLUGINS_DIR); call it before the first Service.
func (f *Factory) SetParseDirs(resources, plugins string) {
	f.resourcesDir, f.pluginsDir = resources, plugins
}

// Service connects on first use. Its errors are exit errors.
func (f *Factory) Service() (api.Service, error) {
	if f.svc != nil {
		return f.svc, nil
	}
	t, err := f.target()
	if err != nil {
		return nil, err
	}
	if t != nil {
		if f.svc, err = remoteService(t); err != nil {
			return nil, err
		}
		return f.svc, nil
	}
	m, err := f.Local(false)
	if err != nil {
		return nil, err
	}
	f.svc = m
	return m, nil
}

// Local opens the in-process manager over the store (--store), whatever
// server a profile or GANTRY_URL names: for `gantry server`, which serves
// that store; keepOpen keeps a store file open while no other process
// waits for it (a long-running server). The caller closes it unless it
// became the Service.
func (f *Factory) Local(keepOpen bool) (*manager.Manager, error) {
	exe, _ := os.Executable()
	dirs := tosca.Options{ResourcesDir: f.resourcesDir, PluginsDir: f.pluginsDir}.WithEnvDirs()
	m, err := manager.OpenLocal(f.StorePath, manager.Config{
		ImportRules: f.rules, ResourcesDir: dirs.ResourcesDir, PluginsDir: dirs.PluginsDir, CtxBinary: exe, TaskRetryInterval: time.Second, Version: f.Version,
		EventsPerExecution: f.EventsKeep, EventsMaxAge: f.EventsMaxAge, Maintenance: f.Maintenance,
		KeepStoreOpen: keepOpen, QueueExecutions: f.QueueExecutions,
	})
	if err != nil {
		return nil, StoreError(err)
	}
	return m, nil
}

// Describe tells which Service the commands would use, without connecting
// (for --version): mode and store.
func (f *Factory) Describe() api.Info {
	if t, err := f.target(); err == nil && t != nil {
		return f.describeRemote(t)
	}
	path := f.StorePath
	if path == "" {
		path, _ = manager.DefaultStorePath()
	}
	return api.Info{Version: f.Version, Mode: api.ModeLocal, Store: path}
}

// Info asks the Service to describe itself.
func (f *Factory) Info(ctx context.Context) (*api.Info, error) {
	svc, err := f.Service()
	if err != nil {
		return nil, err
	}
	info, err := svc.Info(ctx)
	return info, StoreError(err)
}

// Close releases the Service.
func (f *Factory) Close() {
	if f.svc != nil {
		_ = f.svc.Close()
	}
}

// exitByCode maps the boundary's error codes to exit codes; codes not
// listed are failures (1).
var exitByCode = map[api.Code]int{
	api.CodeNotFound:         ExitNotFound,
	api.CodeBadParameter:     ExitUsage,
	api.CodeConflict:         ExitBusy,
	api.CodeLocked:           ExitBusy,
	api.CodeInUse:            ExitBusy,
	api.CodeDependents:       ExitBusy,
	api.CodeActiveExecution:  ExitBusy,
	api.CodeExists:           ExitBusy,
	api.CodeNotResumable:     ExitBusy,
	api.CodeUnauthenticated:  ExitBusy,
	api.CodeForbidden:        ExitBusy,
	api.CodeInvalidBlueprint: ExitFailed,
}

// StoreError maps the Service's errors to exit codes (nil stays nil).
func StoreError(err error) error {
	if err == nil {
		return nil
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return err
	}
	// A blueprint path that does not exist (install, upload) is not found,
	// as blueprints validate reports it.
	if errors.Is(err, fs.ErrNotExist) {
		return Exit(ExitNotFound, err)
	}
	if code, ok := exitByCode[api.CodeOf(err)]; ok {
		return Exit(code, err)
	}
	return Exit(ExitFailed, fmt.Errorf("%w", err))
}
