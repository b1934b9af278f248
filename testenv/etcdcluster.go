package testenv

import (
	_ "embed" // versions.env
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

//go:embed versions.env
var versionsEnv string

// etcdStartWait bounds how long a cluster may take to elect a leader.
const etcdStartWait = 30 * time.Second

// EtcdBinary returns the etcd that testenv/build.sh builds into the binary cache
// ($GANTRY_TESTENV_BIN, else ${GANTRY_TESTENV_CACHE:-~/.cache/gantry/testenv}/<versions>/bin,
// as testenv/lib.sh computes it). The error wraps ErrUnavailable when it is missing.
func EtcdBinary() (string, error) {
	bin := os.Getenv("GANTRY_TESTENV_BIN")
	if bin == "" {
		vars, err := parseVars(strings.NewReader(versionsEnv), "testenv/versions.env")
		if err != nil {
			return "", err
		}
		cache := os.Getenv("GANTRY_TESTENV_CACHE")
		if cache == "" {
			base := os.Getenv("XDG_CACHE_HOME")
			if base == "" {
				home, err := os.UserHomeDir()
				if err != nil {
					return "", fmt.Errorf("%w: no home directory for the binary cache: %v", ErrUnavailable, err)
				}
				base = filepath.Join(home, ".cache")
			}
			cache = filepath.Join(base, "gantry", "testenv")
		}
		bin = filepath.Join(cache, vars["K8S_VERSION"]+"-"+vars["ETCD_VERSION"]+"-"+vars["KWOK_VERSION"], "bin")
	}
	p := filepath.Join(bin, "etcd")
	if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w: no etcd binary at %s (build it with `bash testenv/build.sh`, or `make deps`)", ErrUnavailable, p)
	}
	return p, nil
}

// EtcdCluster is a throwaway etcd cluster of real members on loopback, each a process of
// the testenv etcd binary with its data in the test's temp dir.
type EtcdCluster struct {
	// Endpoints are the members' client addresses (host:port), in member order.
	Endpoints []string
	members   []*etcdMember
}

type etcdMember struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// StartEtcdCluster starts an n-member etcd cluster (3 for a real quorum) on free loopback
// ports, waits until every member reports healthy, and stops it when the test ends. The
// members run with etcd's default limits (128 operations per transaction, 1.5 MiB per
// request) and without fsync. Without the binary the test is skipped with instructions,
// or fails under CI=true.
func StartEtcdCluster(t testing.TB, n int) *EtcdCluster {
	t.Helper()
	bin, err := EtcdBinary()
	if err != nil {
		unavailableBinary(t, err)
		return nil
	}
	dir := t.TempDir()
	ports, err := freePorts(2 * n) // n client ports, then n peer ports
	if err != nil {
		t.Fatalf("testenv: etcd cluster: %v", err)
	}
	var initial []string
	for i := range n {
		initial = append(initial, fmt.Sprintf("m%d=http://127.0.0.1:%d", i, ports[n+i]))
	}
	c := &EtcdCluster{}
	t.Cleanup(c.stopAll)
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		cl, pe := fmt.Sprintf("http://127.0.0.1:%d", ports[i]), fmt.Sprintf("http://127.0.0.1:%d", ports[n+i])
		m := &etcdMember{name: name, log: filepath.Join(dir, name+".log"), done: make(chan struct{})}
		logf, err := os.OpenFile(m.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			t.Fatalf("testenv: etcd cluster: %v", err)
		}
		m.cmd = exec.Command(bin, "--name="+name, "--data-dir="+filepath.Join(dir, name),
			"--listen-client-urls="+cl, "--advertise-client-urls="+cl,
			"--listen-peer-urls="+pe, "--initial-advertise-peer-urls="+pe,
			"--initial-cluster="+strings.Join(initial, ","), "--initial-cluster-state=new",
			"--initial-cluster-token=gantry-test-"+filepath.Base(dir),
			"--unsafe-no-fsync=true", "--log-level=warn")
		m.cmd.Stdout, m.cmd.Stderr = logf, logf
		m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		if err := m.cmd.Start(); err != nil {
			_ = logf.Close()
			t.Fatalf("testenv: start etcd member %s: %v", name, err)
		}
		_ = logf.Close()
		go func() { _ = m.cmd.Wait(); close(m.done) }()
		c.members = append(c.members, m)
		c.Endpoints = append(c.Endpoints, fmt.Sprintf("127.0.0.1:%d", ports[i]))
	}
	deadline := time.Now().Add(etcdStartWait)
	for i, ep := range c.Endpoints {
		if err := waitHealthy(ep, c.members[i], deadline); err != nil {
			t.Fatalf("testenv: etcd member %s: %v\n%s", c.members[i].name, err, tail(c.members[i].log))
		}
	}
	return c
}

// URL returns the store URL of the cluster with every endpoint and the given key prefix.
func (c *EtcdCluster) URL(prefix string) string {
	return "etcd://" + strings.Join(c.Endpoints, ",") + "/" + strings.Trim(prefix, "/")
}

// Kill stops member i with SIGKILL and waits for it to exit.
func (c *EtcdCluster) Kill(i int) {
	m := c.members[i]
	_ = m.cmd.Process.Kill()
	<-m.done
}

// Pause stops member i with SIGSTOP: its connections stay open and
// nothing answers on them (a frozen machine, a black-holed network) until
// Continue. The cluster goes on without it if the others are a quorum.
func (c *EtcdCluster) Pause(i int) { _ = c.members[i].cmd.Process.Signal(syscall.SIGSTOP) }

// Continue resumes member i after Pause.
func (c *EtcdCluster) Continue(i int) { _ = c.members[i].cmd.Process.Signal(syscall.SIGCONT) }

func (c *EtcdCluster) stopAll() {
	for _, m := range c.members {
		_ = m.cmd.Process.Signal(syscall.SIGCONT)
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
	}
	for _, m := range c.members {
		select {
		case <-m.done:
		case <-time.After(5 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.done
		}
	}
}

// waitHealthy polls the member's /health until the cluster has a leader and answers.
func waitHealthy(ep string, m *etcdMember, deadline time.Time) error {
	cl := &http.Client{Timeout: time.Second}
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-m.done:
			return fmt.Errorf("exited: %v", m.cmd.ProcessState)
		default:
		}
		resp, err := cl.Get("http://" + ep + "/health")
		if err == nil {
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), `"health":"true"`) {
				return nil
			}
			err = fmt.Errorf("health: %s %s", resp.Status, body)
		}
		last = err
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("not healthy after %s: %v", etcdStartWait, last)
}

// freePorts finds n distinct free loopback ports (held open together, so they differ).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tail returns the last lines of a log file for a failure message.
func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(data) > 4000 {
		data = data[len(data)-4000:]
	}
	return string(data)
}

// unavailableBinary skips (or, under CI=true, fails) a test whose binary is missing.
func unavailableBinary(t testing.TB, err error) {
	t.Helper()
	if !errors.Is(err, ErrUnavailable) || os.Getenv("CI") == "true" {
		t.Fatalf("testenv: %v (CI=true: a missing test binary is a failure, not a skip)", err)
		return
	}
	t.Skipf("testenv: %v", err)
}
