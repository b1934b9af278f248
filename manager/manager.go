package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/compose"
	"github.com/gantryhq/gantry/plugins/kubernetes"
	"github.com/gantryhq/gantry/plugins/proxy"
	"github.com/gantryhq/gantry/plugins/remote"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/plugins/ssh"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// Config configures a Manager.
type Config struct {
	Store store.Store
	// DataDir holds extracted blueprint files (resources) and the like;
	// default ~/.gantry.
	DataDir     string
	ImportRules []tosca.ImportRule
	// ResourcesDir and PluginsDir resolve cloudify/types/types.yaml and
	// plugin:NAME imports as a Cloudify manager does (tosca.Options).
	ResourcesDir string
	PluginsDir   string
	// Engine settings.
	Parallelism       int
	TaskRetries       int
	TaskRetryInterval time.Duration
	// CtxBinary is the program scripts call as `ctx` (default: this executable).
	CtxBinary string
	// OnEvent sees every event of every execution this manager runs, as it
	// happens (a server feeding its event streams); each run's own
	// ExecOptions.OnEvent sees that run's. It runs in the engine's
	// goroutine: it must not block.
	OnEvent func(*api.Event)
	// EventsPerExecution and EventsMaxAge set OpenLocal's event retention
	// (0: $GANTRY_EVENTS_PER_EXECUTION / $GANTRY_EVENTS_MAX_AGE, else the
	// store's defaults; negative: no limit). See store.Options.
	EventsPerExecution int
	EventsMaxAge       time.Duration
	// Maintenance makes OpenLocal open a damaged store rather than fail,
	// so that CheckStore can describe the damage; everything else then
	// returns ErrDamaged.
	Maintenance bool
	// KeepStoreOpen: OpenLocal keeps a store file open between
	// operations while no other process waits for it (`gantry server`).
	KeepStoreOpen bool
	// Version and StorePath are what Info reports.
	Version   string
	StorePath string
	// QueueExecutions queues every execution this Manager starts for the
	// workers (`gantry server --run-executions=false`): see
	// ExecOptions.Queue.
	QueueExecutions bool
	// ExtraPlugins are registered in addition to the built-ins (tests).
	ExtraPlugins map[string]plugins.Plugin
}

// Manager runs Gantry's use cases. Create it with New and Close it.
type Manager struct {
	cfg      Config
	st       store.Store
	registry *plugins.Registry
	scripts  *script.Plugin
	sshPool  *ssh.Pool
	// ownsStore: opened by OpenLocal, closed by Close.
	ownsStore bool

	mu      sync.Mutex
	running map[string]*Running // by execution id, in this process
	commits commits             // wakes followers of running executions
}

// New builds a Manager with the built-in plugins registered.
func New(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("manager: no store")
	}
	if cfg.DataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("manager: finding the data dir: %w", err)
		}
		cfg.DataDir = filepath.Join(home, ".gantry")
	}
	// Absolute: scripts run in the extracted folder, so a relative store
	// path (--store g.db) must not leave relative paths behind.
	abs, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return nil, fmt.Errorf("manager: data dir %s: %w", cfg.DataDir, err)
	}
	cfg.DataDir = abs
	m := &Manager{cfg: cfg, st: cfg.Store, registry: plugins.NewRegistry(), running: map[string]*Running{}}
	// Running scripts' process groups are recorded under run/, so a resume
	// can reap what a crashed gantry left.
	m.scripts = script.New(script.Config{CtxBinary: cfg.CtxBinary, ProcessDir: filepath.Join(cfg.DataDir, "run")})
	m.sshPool = ssh.NewPool(ssh.Config{})
	// Scripts run locally, or on their host over SSH for host_agent
	// operations of instances hosted on a Compute.
	if err := m.registry.Register(script.Name, &remote.Plugin{Local: m.scripts, Pool: m.sshPool, Resolve: m.hostTarget}); err != nil {
		return nil, err
	}
	if err := m.registry.Register(proxy.Name, &proxy.Plugin{Deployments: &proxyDeployments{m: m}}); err != nil {
		return nil, err
	}
	if err := m.registry.Register(compose.Name, &compose.Plugin{Deployments: &composeDeployments{proxyDeployments{m: m}}}); err != nil {
		return nil, err
	}
	if err := m.registry.Register(kubernetes.Name, kubernetes.New(m.sshPool)); err != nil {
		return nil, err
	}
	// Blueprints that import Cloudify's own types.yaml map Compute nodes'
	// cloudify_agent operations to the `agent` plugin. Gantry installs no
	// agents (it reaches hosts over SSH), so those operations succeed
	// without doing anything.
	if err := m.registry.Register(tosca.PluginAgent, plugins.Func(noAgent)); err != nil {
		return nil, err
	}
	for name, p := range cfg.ExtraPlugins {
		if err := m.registry.Register(name, p); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func noAgent(_ context.Context, op *plugins.Context) (any, error) {
	op.Log(plugins.LevelDebug, "%s: Gantry installs no agents; nothing to do", op.OperationName)
	return nil, nil
}

// Store returns the manager's store.
func (m *Manager) Store() store.Store { return m.st }

// Registry returns the plugin registry (to register more plugins).
func (m *Manager) Registry() *plugins.Registry { return m.registry }

// SSHStats reports the activity of the SSH connection pool the plugins
// share (connections dialled, attempts, sessions): for tests and diagnostics.
func (m *Manager) SSHStats() ssh.Stats { return m.sshPool.Stats() }

// Close releases the plugins' resources, and the store if OpenLocal
// opened it.
func (m *Manager) Close() error {
	err := errors.Join(m.scripts.Close(), m.sshPool.Close())
	if m.ownsStore {
		err = errors.Join(err, m.st.Close())
	}
	return err
}
