package script

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/gantryhq/gantry/plugins"
)

// Inputs with a meaning of their own to the script plugin (Cloudify's).
const (
	inputScriptPath = "script_path"
	inputProcess    = "process"
	processEnv      = "env"
	processArgs     = "args"
	processCwd      = "cwd"
	processPrefix   = "command_prefix"
	// Keys of Cloudify's process input that choose how its own Python
	// runs scripts; Gantry always runs them as processes.
	processEvalPython = "eval_python"
	processProxyType  = "ctx_proxy_type"
	// maxScriptBytes bounds a script read from the blueprint folder.
	maxScriptBytes = 16 << 20
)

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Invocation is how a script operation runs, the same for the local runner
// and the remote (SSH) one: which script, with which interpreter,
// arguments, environment and working directory.
type Invocation struct {
	// Rel is the script's path relative to the blueprint folder; Path is
	// the full local path.
	Rel, Path string
	// Body is the script itself (the remote runner sends it on stdin).
	Body []byte
	// Interp is the interpreter and its arguments, run with the script's
	// path after them: process.command_prefix, else the #! line (as the
	// kernel reads it: the interpreter and at most one argument), else
	// python3 for .py and bash for .sh / .bash. Empty: the script runs by
	// itself (locally, when executable).
	Interp []string
	// Args are process.args, after the script's path.
	Args []string
	// Env holds the operation inputs (strings as they are, null as "",
	// other values as JSON) with process.env over them. Inputs whose
	// names are not environment variable names are left out (Skipped).
	Env     map[string]string
	Skipped []string
	// Cwd is process.cwd ("": the runner's default).
	Cwd string
	// Python is true when the script runs with Python: the cloudify
	// package goes on its PYTHONPATH.
	Python bool
}

// EnvList returns Env as sorted KEY=VALUE strings.
func (inv *Invocation) EnvList() []string {
	keys := make([]string, 0, len(inv.Env))
	for k := range inv.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, k+"="+inv.Env[k])
	}
	return out
}

// Argv returns the command line after the interpreter: script then args.
func (inv *Invocation) Argv(script string) []string {
	argv := append(append([]string{}, inv.Interp...), script)
	return append(argv, inv.Args...)
}

// BuildInvocation resolves an operation's script and how to run it. Its
// errors wrap ErrScript (they are the blueprint's, not worth a retry).
func BuildInvocation(oc *plugins.Context) (*Invocation, error) {
	rel := ""
	if oc.Operation != nil {
		rel = oc.Operation.ScriptPath
	}
	if rel == "" {
		rel, _ = oc.Inputs[inputScriptPath].(string)
	}
	if rel == "" {
		return nil, fmt.Errorf("operation %s has no script path: %w", oc.OperationName, ErrScript)
	}
	body, full, err := readScript(oc.BlueprintDir, rel)
	if err != nil {
		return nil, err
	}
	inv := &Invocation{Rel: filepath.Clean(rel), Path: full, Body: body, Env: map[string]string{}}
	proc, err := processInput(oc.Inputs[inputProcess])
	if err != nil {
		return nil, fmt.Errorf("script %s: %w", rel, err)
	}
	for k, v := range oc.Inputs {
		if k == inputProcess {
			continue
		}
		if !envName.MatchString(k) {
			inv.Skipped = append(inv.Skipped, k)
			continue
		}
		inv.Env[k] = EnvValue(v)
	}
	sort.Strings(inv.Skipped)
	for k, v := range proc.env {
		inv.Env[k] = v
	}
	inv.Args, inv.Cwd = proc.args, proc.cwd
	switch {
	case len(proc.prefix) > 0:
		inv.Interp = proc.prefix
	default:
		inv.Interp = interpreterFor(rel, body)
	}
	inv.Python = strings.EqualFold(path.Ext(rel), ".py") ||
		(len(inv.Interp) > 0 && strings.HasPrefix(path.Base(inv.Interp[len(inv.Interp)-1]), "python")) ||
		(len(inv.Interp) > 0 && strings.HasPrefix(path.Base(inv.Interp[0]), "python"))
	return inv, nil
}

// EnvValue encodes an input for the environment: strings as they are, null
// as "", other values as JSON.
func EnvValue(v any) string {
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

// readScript reads rel inside dir (never outside it, symlinks included).
func readScript(dir, rel string) ([]byte, string, error) {
	if filepath.IsAbs(rel) {
		return nil, "", fmt.Errorf("script path %q must be relative to the blueprint folder: %w", rel, ErrScript)
	}
	clean := filepath.Clean(rel)
	if clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, "", fmt.Errorf("script path %q leaves the blueprint folder: %w", rel, ErrScript)
	}
	if dir == "" {
		return nil, "", fmt.Errorf("script %s: no blueprint folder: %w", rel, ErrScript)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, "", fmt.Errorf("script %s: blueprint folder: %w (%w)", rel, err, ErrScript)
	}
	defer root.Close()
	f, err := root.Open(clean)
	if err != nil {
		return nil, "", fmt.Errorf("script %s: %w (%w)", rel, err, ErrScript)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, "", fmt.Errorf("script %s: %w (%w)", rel, err, ErrScript)
	}
	if fi.IsDir() {
		return nil, "", fmt.Errorf("script %s is a directory: %w", rel, ErrScript)
	}
	if !fi.Mode().IsRegular() {
		return nil, "", fmt.Errorf("script %s is not a regular file: %w", rel, ErrScript)
	}
	if fi.Size() > maxScriptBytes {
		return nil, "", fmt.Errorf("script %s is %d bytes, over the %d byte limit: %w", rel, fi.Size(), maxScriptBytes, ErrScript)
	}
	body, err := io.ReadAll(io.LimitReader(f, maxScriptBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("script %s: %w (%w)", rel, err, ErrScript)
	}
	if len(body) > maxScriptBytes {
		return nil, "", fmt.Errorf("script %s grew over the %d byte limit: %w", rel, maxScriptBytes, ErrScript)
	}
	return body, filepath.Join(dir, clean), nil
}

// interpreterFor picks the interpreter: the #! line (the interpreter and
// at most one argument, as the kernel reads it), else by extension.
func interpreterFor(rel string, body []byte) []string {
	if rest, ok := bytes.CutPrefix(body, []byte("#!")); ok {
		first, _, _ := bytes.Cut(rest, []byte("\n"))
		if f := strings.Fields(string(first)); len(f) > 0 {
			argv := []string{f[0]}
			if len(f) > 1 {
				argv = append(argv, strings.Join(f[1:], " "))
			}
			return argv
		}
	}
	switch strings.ToLower(path.Ext(rel)) {
	case ".py":
		return []string{"python3"}
	case ".sh", ".bash":
		return []string{"bash"}
	}
	return nil
}

// process is the `process` input: Cloudify's env, args, cwd and
// command_prefix.
type process struct {
	env    map[string]string
	args   []string
	cwd    string
	prefix []string
}

func processInput(v any) (process, error) {
	var p process
	if v == nil {
		return p, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return p, fmt.Errorf("input %s must be a mapping (env, args, cwd, command_prefix), got %T: %w", inputProcess, v, ErrScript)
	}
	for k, val := range m {
		switch k {
		case processEnv:
			env, ok := val.(map[string]any)
			if !ok && val != nil {
				return p, fmt.Errorf("%s.%s must be a mapping, got %T: %w", inputProcess, k, val, ErrScript)
			}
			p.env = map[string]string{}
			for name, ev := range env {
				if !envName.MatchString(name) {
					return p, fmt.Errorf("%s.%s: %q is not an environment variable name: %w", inputProcess, k, name, ErrScript)
				}
				p.env[name] = EnvValue(ev)
			}
		case processArgs:
			list, ok := val.([]any)
			if !ok && val != nil {
				return p, fmt.Errorf("%s.%s must be a list, got %T: %w", inputProcess, k, val, ErrScript)
			}
			for _, a := range list {
				p.args = append(p.args, EnvValue(a))
			}
		case processCwd:
			s, ok := val.(string)
			if !ok && val != nil {
				return p, fmt.Errorf("%s.%s must be a string, got %T: %w", inputProcess, k, val, ErrScript)
			}
			p.cwd = s
		case processPrefix:
			s, ok := val.(string)
			if !ok && val != nil {
				return p, fmt.Errorf("%s.%s must be a string, got %T: %w", inputProcess, k, val, ErrScript)
			}
			p.prefix = strings.Fields(s)
		case processEvalPython, processProxyType:
		default:
			return p, fmt.Errorf("%s: unknown key %q (want %s, %s, %s or %s): %w", inputProcess, k, processEnv, processArgs, processCwd, processPrefix, ErrScript)
		}
	}
	return p, nil
}
