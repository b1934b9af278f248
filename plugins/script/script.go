package script

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// Name is the plugin name operations use.
const Name = tosca.PluginScript

// DefaultTimeout bounds a script without an operation timeout.
const DefaultTimeout = time.Hour

// ErrScript is wrapped by errors about the script itself (missing, not
// runnable); they are non-recoverable.
var ErrScript = errors.New("script error")

// Config configures the plugin.
type Config struct {
	// CtxBinary is the program installed as `ctx` on scripts' PATH; it
	// must call CtxMain when invoked under the name "ctx". Default: the
	// running executable (gantry itself, or a test binary whose TestMain
	// calls RunCtxIfInvoked).
	CtxBinary string
	// TempDir is where the private ctx directory is created (default: the
	// system temp dir).
	TempDir string
	// DefaultTimeout applies when the operation has none (default 1 h).
	DefaultTimeout time.Duration
	// ProcessDir, when set, records every running script's process group
	// (reap.go), so that Reap can kill what a crashed gantry left. The
	// manager sets it to <data dir>/run.
	ProcessDir string
	// KillGrace is how long after SIGTERM a timed-out or cancelled script's
	// process group gets before SIGKILL (default 2 s).
	KillGrace time.Duration
}

// Plugin is the script plugin. Create it with New and Close it when done.
type Plugin struct {
	cfg Config

	once   sync.Once
	srv    *server
	srvErr error
	closed bool
	mu     sync.Mutex
}

// New returns a script plugin. The ctx socket is created on first use.
func New(cfg Config) *Plugin {
	if cfg.DefaultTimeout <= 0 {
		cfg.DefaultTimeout = DefaultTimeout
	}
	if cfg.KillGrace <= 0 {
		cfg.KillGrace = 2 * time.Second
	}
	return &Plugin{cfg: cfg}
}

// Register adds a new script plugin to r under Name and returns it.
func Register(r *plugins.Registry, cfg Config) (*Plugin, error) {
	p := New(cfg)
	if err := r.Register(Name, p); err != nil {
		return nil, err
	}
	return p, nil
}

// Close stops the ctx server and removes its directory.
func (p *Plugin) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.srv != nil {
		err := p.srv.close()
		p.srv = nil
		return err
	}
	return nil
}

func (p *Plugin) server() (*server, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errors.New("script plugin is closed")
	}
	p.once.Do(func() {
		bin := p.cfg.CtxBinary
		if bin == "" {
			exe, err := os.Executable()
			if err != nil {
				p.srvErr = fmt.Errorf("script plugin: locate the gantry binary for ctx: %w", err)
				return
			}
			bin = exe
		}
		p.srv, p.srvErr = startServer(p.cfg.TempDir, bin)
	})
	return p.srv, p.srvErr
}

// Run implements plugins.Plugin.
func (p *Plugin) Run(ctx context.Context, oc *plugins.Context) (any, error) {
	inv, err := BuildInvocation(oc)
	if err != nil {
		return nil, plugins.NonRecoverable(err)
	}
	argv, err := localArgv(inv)
	if err != nil {
		return nil, plugins.NonRecoverable(err)
	}
	for _, k := range inv.Skipped {
		oc.Log(plugins.LevelDebug, "input %q is not a valid environment variable name: not exported to the script", k)
	}
	srv, err := p.server()
	if err != nil {
		return nil, err
	}
	sess, err := srv.register(oc)
	if err != nil {
		return nil, err
	}
	defer srv.unregister(sess)

	timeout := oc.Timeout
	if timeout <= 0 {
		timeout = p.cfg.DefaultTimeout
	}
	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	sess.mu.Lock()
	sess.ctx = runCtx
	sess.mu.Unlock()

	rel := inv.Rel
	stdout := newLineWriter(func(l string) { oc.Log(plugins.LevelInfo, "%s", l) }, 0)
	stderr := newLineWriter(func(l string) { oc.Log(plugins.LevelWarn, "%s", l) }, 10)

	argv = guardArgv(p.cfg.KillGrace, argv)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = oc.BlueprintDir
	if inv.Cwd != "" {
		cmd.Dir = inv.Cwd
		if !filepath.IsAbs(inv.Cwd) {
			cmd.Dir = filepath.Join(oc.BlueprintDir, inv.Cwd)
		}
	}
	cmd.Env = p.env(oc, inv, srv, sess)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = sysProcAttr()
	cmd.WaitDelay = time.Second
	// The parent-death signal follows the thread that forks: keep this
	// goroutine on it until the script has ended (sysproc_linux.go).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := cmd.Start(); err != nil {
		return nil, plugins.NonRecoverable(fmt.Errorf("start script %s: %w", rel, err))
	}
	pgid := cmd.Process.Pid
	lowerPriority(pgid)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	forget, err := p.record(oc.ExecutionID, pgid)
	if err != nil {
		_ = p.killGroup(pgid, waited)
		return nil, err
	}
	defer forget()

	var runErr error
	var killedBy error
	select {
	case runErr = <-waited:
	case <-runCtx.Done():
		killedBy = runCtx.Err()
		if ctx.Err() != nil {
			killedBy = ctx.Err()
		}
		runErr = p.killGroup(pgid, waited)
	}
	stdout.Close()
	stderr.Close()

	ret, retry, abortMsg, aborted := sess.result()
	switch {
	case killedBy != nil && ctx.Err() == nil:
		return nil, fmt.Errorf("script %s timed out after %s; its process group was killed", rel, timeout)
	case killedBy != nil:
		return nil, fmt.Errorf("script %s stopped: %w", rel, killedBy)
	case aborted:
		return nil, plugins.NonRecoverable(fmt.Errorf("script %s aborted the operation: %s", rel, abortMsg))
	case retry != nil:
		return nil, retry
	}
	if runErr != nil && !errors.Is(runErr, exec.ErrWaitDelay) {
		var ee *exec.ExitError
		if errors.As(runErr, &ee) {
			msg := fmt.Sprintf("script %s exited with status %d", rel, ee.ExitCode())
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				msg = fmt.Sprintf("script %s killed by signal %s", rel, ws.Signal())
			}
			if tail := stderr.Tail(); tail != "" {
				msg += ": " + tail
			}
			return nil, errors.New(msg)
		}
		return nil, fmt.Errorf("script %s: %w", rel, runErr)
	}
	return ret, nil
}

// killGroup stops the script's whole process group: SIGTERM, then SIGKILL
// after the grace period. It returns the Wait result.
func (p *Plugin) killGroup(pgid int, waited <-chan error) error {
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case err := <-waited:
		// The leader is gone; make sure the rest of the group is too.
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		return err
	case <-time.After(p.cfg.KillGrace):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return <-waited
}

// env builds the script's environment: the engine's, the invocation's
// (inputs and process.env), then Gantry's own variables (which win).
func (p *Plugin) env(oc *plugins.Context, inv *Invocation, srv *server, sess *session) []string {
	env := os.Environ()
	path := os.Getenv("PATH")
	for _, kv := range inv.EnvList() {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			path = v
			continue
		}
		env = append(env, kv)
	}
	if inv.Python {
		py := srv.pyDir
		if cur := inv.Env[envPythonPath]; cur != "" {
			py += string(os.PathListSeparator) + cur
		} else if cur := os.Getenv(envPythonPath); cur != "" {
			py += string(os.PathListSeparator) + cur
		}
		env = append(env, envPythonPath+"="+py)
	}
	return append(env,
		"PATH="+srv.binDir+string(os.PathListSeparator)+path,
		EnvSocket+"="+srv.sock,
		EnvToken+"="+sess.token,
		EnvDeploymentID+"="+oc.DeploymentID,
		EnvExecutionID+"="+oc.ExecutionID,
		EnvInstanceID+"="+instanceID(oc),
		EnvOperation+"="+oc.OperationName,
		EnvBlueprintDir+"="+oc.BlueprintDir,
	)
}

// instanceID is the operation's instance ("" for a workflow script).
func instanceID(oc *plugins.Context) string {
	if oc.Instance == nil {
		return ""
	}
	return oc.Instance.ID
}

// localArgv is the command line that runs inv on this machine.
func localArgv(inv *Invocation) ([]string, error) {
	if len(inv.Interp) == 0 {
		fi, err := os.Stat(inv.Path)
		if err != nil {
			return nil, fmt.Errorf("script %s: %w (%w)", inv.Rel, err, ErrScript)
		}
		if fi.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("script %s is not executable and has no #! line: %w", filepath.Base(inv.Rel), ErrScript)
		}
		return inv.Argv(inv.Path), nil
	}
	if _, err := exec.LookPath(inv.Interp[0]); err != nil {
		return nil, fmt.Errorf("script %s needs %s: %w (%w)", filepath.Base(inv.Rel), inv.Interp[0], err, ErrScript)
	}
	return inv.Argv(inv.Path), nil
}
