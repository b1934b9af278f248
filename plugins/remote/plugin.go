package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/plugins/ssh"
	"github.com/gantryhq/gantry/tosca"
)

// HostResolver says how to reach the host of the instance an operation
// runs on (its host_id): address, port, user, key, known_hosts.
type HostResolver func(ctx context.Context, oc *plugins.Context) (ssh.Target, error)

// Plugin routes script operations: host_agent operations of hosted
// instances run on the host over SSH, everything else locally.
type Plugin struct {
	Local   plugins.Plugin
	Pool    *ssh.Pool
	Resolve HostResolver
	// DefaultTimeout applies when the operation has none (default 1 h).
	DefaultTimeout time.Duration
}

// Run implements plugins.Plugin.
func (p *Plugin) Run(ctx context.Context, oc *plugins.Context) (any, error) {
	if !runsOnHost(oc) {
		return p.Local.Run(ctx, oc)
	}
	return p.runOnHost(ctx, oc)
}

// runsOnHost reports whether the operation must run on the instance's host.
func runsOnHost(oc *plugins.Context) bool {
	return oc.Operation != nil && oc.Operation.Executor == tosca.ExecutorHost && oc.Instance != nil && oc.Instance.HostID != ""
}

func (p *Plugin) runOnHost(ctx context.Context, oc *plugins.Context) (any, error) {
	inv, err := script.BuildInvocation(oc)
	if err != nil {
		return nil, plugins.NonRecoverable(err)
	}
	rel, body := inv.Rel, inv.Body
	target, err := p.Resolve(ctx, oc)
	if err != nil {
		return nil, err
	}
	ln, err := p.Pool.ListenRemote(ctx, target)
	if err != nil {
		return nil, classify(err, rel, target)
	}
	port := 0
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		port = a.Port
	} else if _, ps, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		port, _ = strconv.Atoi(ps)
	}
	var tok [24]byte
	if _, err := rand.Read(tok[:]); err != nil {
		_ = ln.Close()
		return nil, err
	}
	sess := script.NewSession(oc)
	br := &bridge{ln: ln, token: hex.EncodeToString(tok[:]), handle: sess.Handle}
	br.wg.Add(1)
	go br.serve()
	defer br.close()

	env := map[string]string{
		"GANTRY_CTX_PORT":         strconv.Itoa(port),
		"GANTRY_CTX_TOKEN":        br.token,
		"GANTRY_DEPLOYMENT_ID":    oc.DeploymentID,
		"GANTRY_EXECUTION_ID":     oc.ExecutionID,
		"GANTRY_NODE_INSTANCE_ID": oc.Instance.ID,
		"GANTRY_OPERATION":        oc.OperationName,
	}
	for _, k := range inv.Skipped {
		oc.Log(plugins.LevelWarn, "input %q is not a valid environment variable name; the script does not get it", k)
	}
	for k, v := range inv.Env {
		env[k] = v
	}
	if inv.Cwd != "" {
		env[envCwd] = inv.Cwd
	}
	timeout := oc.Timeout
	if timeout <= 0 {
		timeout = p.DefaultTimeout
	}
	if timeout <= 0 {
		timeout = time.Hour
	}
	interp := inv.Interp
	if len(interp) == 0 {
		interp = []string{"sh"}
	}
	args := append([]string{"sh", "-c", launcherFor(inv.Python), "sh"}, interp...)
	args = append(args, "/dev/fd/3")
	args = append(args, inv.Args...)
	cmd := ssh.Command{Args: args, Stdin: bytes.NewReader(body), Env: env, Timeout: timeout}
	oc.Log(plugins.LevelDebug, "running %s on %s", rel, target)
	res, runErr := p.Pool.Stream(ctx, target, cmd, func(stream ssh.StreamName, line string) {
		if stream == ssh.Stderr {
			oc.Log(plugins.LevelWarn, "%s", line)
		} else {
			oc.Log(plugins.LevelInfo, "%s", line)
		}
	})
	ret, retry, abortMsg, aborted := sess.Outcome()
	switch {
	case aborted:
		return nil, plugins.NonRecoverable(fmt.Errorf("script %s on %s aborted the operation: %s", rel, target.Host, abortMsg))
	case retry != nil:
		return nil, retry
	case runErr != nil:
		_ = res
		return nil, classify(runErr, rel, target)
	}
	return ret, nil
}

// classify wraps an SSH error: host key and authentication problems cannot
// be fixed by retrying; connection errors and failed scripts can.
func classify(err error, rel string, t ssh.Target) error {
	var hk *ssh.HostKeyError
	if errors.As(err, &hk) || errors.Is(err, ssh.ErrAuth) || errors.Is(err, ssh.ErrInvalid) {
		return plugins.NonRecoverable(fmt.Errorf("script %s on %s: %w", rel, t, err))
	}
	return fmt.Errorf("script %s on %s: %w", rel, t, err)
}
