package remote

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
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

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func (p *Plugin) runOnHost(ctx context.Context, oc *plugins.Context) (any, error) {
	rel, body, err := readScript(oc)
	if err != nil {
		return nil, plugins.NonRecoverable(err)
	}
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
	names := make([]string, 0, len(oc.Inputs))
	for k := range oc.Inputs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !envName.MatchString(k) {
			oc.Log(plugins.LevelWarn, "input %q is not a valid environment variable name; the script does not get it", k)
			continue
		}
		env[k] = inputString(oc.Inputs[k])
	}
	timeout := oc.Timeout
	if timeout <= 0 {
		timeout = p.DefaultTimeout
	}
	if timeout <= 0 {
		timeout = time.Hour
	}
	args := append([]string{"sh", "-c", launcher, "sh"}, interpreter(rel, body)...)
	args = append(args, "/dev/fd/3")
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

func inputString(v any) string {
	switch s := v.(type) {
	case string:
		return s
	case nil:
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// readScript reads the operation's script from the blueprint folder.
func readScript(oc *plugins.Context) (string, []byte, error) {
	rel := oc.Operation.ScriptPath
	if rel == "" {
		rel, _ = oc.Inputs["script_path"].(string)
	}
	if rel == "" {
		return "", nil, fmt.Errorf("operation %s of %s has no script", oc.OperationName, oc.Instance.ID)
	}
	if filepath.IsAbs(rel) || strings.HasPrefix(filepath.Clean(rel), "..") {
		return "", nil, fmt.Errorf("script %s is outside the blueprint folder", rel)
	}
	root, err := os.OpenRoot(oc.BlueprintDir)
	if err != nil {
		return "", nil, fmt.Errorf("blueprint folder: %w", err)
	}
	defer root.Close()
	body, err := root.ReadFile(rel)
	if err != nil {
		return "", nil, fmt.Errorf("script %s: %w", rel, err)
	}
	return rel, body, nil
}

// interpreter picks the program that runs the script on the host: its
// "#!" line, else python3 for .py, bash for .sh, sh otherwise.
func interpreter(rel string, body []byte) []string {
	if rest, ok := bytes.CutPrefix(body, []byte("#!")); ok {
		first, _, _ := bytes.Cut(rest, []byte("\n"))
		if f := strings.Fields(string(first)); len(f) > 0 {
			return f
		}
	}
	switch filepath.Ext(rel) {
	case ".py":
		return []string{"python3"}
	case ".sh", ".bash":
		return []string{"bash"}
	}
	return []string{"sh"}
}
