package testenv

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrUnavailable is wrapped by every error that means "no usable test environment".
var ErrUnavailable = errors.New("test environment unavailable")

// DefaultDir is the state directory of `make testenv-up` when GANTRY_TESTENV_DIR is unset.
const DefaultDir = "/tmp/gantry-testenv"

// Env is one running test environment, as described by its env file.
type Env struct {
	// File is the env file this Env was read from; Dir the state directory.
	File string
	Dir  string

	// Kubeconfig is an admin kubeconfig (system:masters) for the API server.
	Kubeconfig string
	// APIServer is the API server URL (https://127.0.0.1:PORT); CAFile its CA.
	APIServer string
	CAFile    string
	// K8sVersion is the control plane's version, e.g. v1.33.13.
	K8sVersion string
	// Nodes are the names of the simulated (kwok) nodes, created without role labels.
	Nodes []string
	// KubectlPath is the kubectl binary the environment was checked with.
	KubectlPath string

	// SSH endpoint: a real sshd on SSHHost:SSHPort accepting SSHUser with the private key
	// at SSHKeyPath; KnownHostsPath holds its host key ("[127.0.0.1]:PORT ssh-ed25519 ...").
	// Sessions have KUBECONFIG set, so a plain `kubectl ...` works over SSH.
	SSHHost        string
	SSHPort        int
	SSHUser        string
	SSHKeyPath     string
	KnownHostsPath string

	// Real is the real node (kubelet + containerd, see RealNode); nil when the
	// environment was started without it. Tests use RequireRealNode.
	Real *RealNode

	// Vars holds every KEY=VALUE line of the env file (pids, ports, timings ...).
	Vars map[string]string

	ctl       string
	exclusive bool
	stopped   map[string]bool
}

// SSHAddr returns host:port of the SSH server.
func (e *Env) SSHAddr() string {
	return e.SSHHost + ":" + strconv.Itoa(e.SSHPort)
}

// EnvFilePath returns the env file to use: $GANTRY_TESTENV, else
// $GANTRY_TESTENV_DIR/env, else DefaultDir/env.
func EnvFilePath() string {
	if p := os.Getenv("GANTRY_TESTENV"); p != "" {
		return p
	}
	dir := os.Getenv("GANTRY_TESTENV_DIR")
	if dir == "" {
		dir = DefaultDir
	}
	return filepath.Join(dir, "env")
}

// Load reads the env file at path. It does not check that the environment is running.
func Load(path string) (*Env, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: no env file %s", ErrUnavailable, path)
		}
		return nil, fmt.Errorf("open env file: %w", err)
	}
	defer f.Close()
	vars, err := parseVars(f, path)
	if err != nil {
		return nil, err
	}
	return fromVars(path, vars)
}

// parseVars reads KEY=VALUE lines; blank lines and lines starting with # are ignored.
func parseVars(r io.Reader, path string) (map[string]string, error) {
	vars := make(map[string]string)
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: want KEY=VALUE, got %q", path, n, line)
		}
		vars[k] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read env file %s: %w", path, err)
	}
	return vars, nil
}

// fromVars builds an Env from parsed env-file lines, reporting every missing key at once.
func fromVars(path string, vars map[string]string) (*Env, error) {
	var missing []string
	get := func(k string) string {
		v, ok := vars[k]
		if !ok || v == "" {
			missing = append(missing, k)
		}
		return v
	}
	e := &Env{
		File:           path,
		Dir:            get("GANTRY_TESTENV_DIR"),
		Kubeconfig:     get("KUBECONFIG"),
		APIServer:      get("GANTRY_TESTENV_APISERVER"),
		CAFile:         get("GANTRY_TESTENV_CA"),
		K8sVersion:     vars["GANTRY_TESTENV_K8S_VERSION"],
		Nodes:          splitList(get("GANTRY_TESTENV_NODES")),
		KubectlPath:    vars["GANTRY_TESTENV_KUBECTL"],
		SSHHost:        get("GANTRY_TESTENV_SSH_HOST"),
		SSHUser:        get("GANTRY_TESTENV_SSH_USER"),
		SSHKeyPath:     get("GANTRY_TESTENV_SSH_KEY"),
		KnownHostsPath: get("GANTRY_TESTENV_SSH_KNOWN_HOSTS"),
		ctl:            get("GANTRY_TESTENV_CTL"),
		Vars:           vars,
		stopped:        make(map[string]bool),
	}
	port := get("GANTRY_TESTENV_SSH_PORT")
	if len(missing) > 0 {
		return nil, fmt.Errorf("env file %s: missing %s", path, strings.Join(missing, ", "))
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return nil, fmt.Errorf("env file %s: GANTRY_TESTENV_SSH_PORT=%q is not a port", path, port)
	}
	e.SSHPort = p
	if e.Real, err = realNodeFromVars(path, vars); err != nil {
		return nil, err
	}
	if e.KubectlPath == "" {
		e.KubectlPath = "kubectl"
	}
	return e, nil
}

// splitList splits a comma-separated env-file value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
