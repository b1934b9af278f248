package ssh

// A real OpenSSH server for the tests: started by the test in a temp dir on a
// free 127.0.0.1 port, with a generated host key and client key, running as
// the current user, stopped by pid at cleanup.

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	gossh "golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

const sshdPath = "/usr/sbin/sshd"

// requireSSHD skips the test when sshd is missing, except in CI, where a
// missing sshd is a failure.
func requireSSHD(t testing.TB) {
	t.Helper()
	if _, err := os.Stat(sshdPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is required in CI (apt-get install openssh-server): %v", sshdPath, err)
		}
		t.Skipf("%s not installed: %v", sshdPath, err)
	}
}

type sshdOptions struct {
	maxSessions int
	extraKeys   []gossh.PublicKey // more authorized keys
	rsaHostKey  bool              // also serve an RSA host key
	// bashEnv, when set, is a file the login shell (bash) sources before it
	// runs the command: it sees the command line as ps does.
	bashEnv string
}

// testSSHD is one sshd started by a test.
type testSSHD struct {
	t          testing.TB
	dir        string
	port       int
	config     string
	log        string
	hostKey    gossh.Signer
	rsaHostKey gossh.Signer // when sshdOptions.rsaHostKey
	clientKey  string       // private key file, authorized
	clientPEM  []byte
	knownHosts string // holds the host key for [127.0.0.1]:port

	cmd    *exec.Cmd
	exited chan struct{}
}

// generateKey returns a new ed25519 key as an OpenSSH PEM (encrypted with
// passphrase when non-empty) and its signer.
func generateKey(t testing.TB, passphrase string) ([]byte, gossh.Signer) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var block *pem.Block
	if passphrase == "" {
		block, err = gossh.MarshalPrivateKey(priv, "gantry-test")
	} else {
		block, err = gossh.MarshalPrivateKeyWithPassphrase(priv, "gantry-test", []byte(passphrase))
	}
	require.NoError(t, err)
	signer, err := gossh.NewSignerFromKey(priv)
	require.NoError(t, err)
	return pem.EncodeToMemory(block), signer
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startSSHD starts an sshd for t and stops it at cleanup.
func startSSHD(t testing.TB, opts ...func(*sshdOptions)) *testSSHD {
	t.Helper()
	requireSSHD(t)
	o := sshdOptions{maxSessions: 100}
	for _, f := range opts {
		f(&o)
	}
	// sshd's privilege separation needs this directory (normally made by
	// the service unit).
	require.NoError(t, os.MkdirAll("/run/sshd", 0o755))

	dir := t.TempDir()
	s := &testSSHD{t: t, dir: dir, port: freePort(t), config: filepath.Join(dir, "sshd_config"), log: filepath.Join(dir, "sshd.log")}

	hostPEM, hostKey := generateKey(t, "")
	s.hostKey = hostKey
	hostKeyFile := filepath.Join(dir, "host_ed25519")
	require.NoError(t, os.WriteFile(hostKeyFile, hostPEM, 0o600))
	hostKeyLines := "HostKey " + hostKeyFile + "\n"
	if o.rsaHostKey {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		block, err := gossh.MarshalPrivateKey(k, "")
		require.NoError(t, err)
		s.rsaHostKey, err = gossh.NewSignerFromKey(k)
		require.NoError(t, err)
		f := filepath.Join(dir, "host_rsa")
		require.NoError(t, os.WriteFile(f, pem.EncodeToMemory(block), 0o600))
		hostKeyLines += "HostKey " + f + "\n"
	}

	s.clientPEM, _ = generateKey(t, "")
	clientSigner, err := gossh.ParsePrivateKey(s.clientPEM)
	require.NoError(t, err)
	s.clientKey = filepath.Join(dir, "client_ed25519")
	require.NoError(t, os.WriteFile(s.clientKey, s.clientPEM, 0o600))

	var auth bytes.Buffer
	auth.Write(gossh.MarshalAuthorizedKey(clientSigner.PublicKey()))
	for _, k := range o.extraKeys {
		auth.Write(gossh.MarshalAuthorizedKey(k))
	}
	authFile := filepath.Join(dir, "authorized_keys")
	require.NoError(t, os.WriteFile(authFile, auth.Bytes(), 0o600))

	s.knownHosts = filepath.Join(dir, "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(s.addr())}, hostKey.PublicKey())
	require.NoError(t, os.WriteFile(s.knownHosts, []byte(line+"\n"), 0o600))

	cfg := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
%sPidFile %s
AuthorizedKeysFile %s
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
MaxSessions %d
MaxStartups 200
MaxAuthTries 10
UseDNS no
PrintMotd no
LogLevel VERBOSE
# bash started by sshd sources ~/.bashrc unless SHLVL says it is nested; this
# machine's root .bashrc runs pyenv init (~150ms a command), which is not what
# these tests measure.
SetEnv SHLVL=1%s
`, s.port, hostKeyLines, filepath.Join(dir, "sshd.pid"), authFile, o.maxSessions, bashEnvSetting(o.bashEnv))
	require.NoError(t, os.WriteFile(s.config, []byte(cfg), 0o600))

	s.start()
	t.Cleanup(s.stop)
	return s
}

func bashEnvSetting(file string) string {
	if file == "" {
		return ""
	}
	return " BASH_ENV=" + file
}

func (s *testSSHD) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// target is a Target for root on this server with the client key and the
// known_hosts that holds the server's key.
func (s *testSSHD) target() Target {
	return Target{Host: "127.0.0.1", Port: s.port, User: currentUser(s.t), KeyFile: s.clientKey, KnownHostsFile: s.knownHosts}
}

func currentUser(t testing.TB) string {
	if u := os.Getenv("USER"); u != "" {
		return u
	}
	if os.Getuid() == 0 {
		return "root"
	}
	t.Fatal("cannot tell the current user: set USER")
	return ""
}

// start runs sshd in the foreground and waits until it accepts connections.
func (s *testSSHD) start() {
	t := s.t
	t.Helper()
	s.cmd = exec.Command(sshdPath, "-D", "-f", s.config, "-E", s.log)
	require.NoError(t, s.cmd.Start())
	s.exited = make(chan struct{})
	go func(cmd *exec.Cmd, exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(s.cmd, s.exited)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-s.exited:
			t.Fatalf("sshd exited at start:\n%s", s.logTail())
		default:
		}
		c, err := net.DialTimeout("tcp", s.addr(), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd not listening on %s after 10s: %v\n%s", s.addr(), err, s.logTail())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the sshd listener and every per-connection sshd under it (they
// outlive the listener otherwise, like on a real host only when the whole
// service is stopped).
func (s *testSSHD) stop() {
	if s.cmd == nil {
		return
	}
	pid := s.cmd.Process.Pid
	// Every connection's processes stopped first, then killed: as a
	// machine that went away, none of them tells the client anything (a
	// session process alive when its command is killed would report the
	// command's death by signal instead of a lost connection).
	ds := descendants(pid)
	for _, d := range ds {
		_ = syscall.Kill(d, syscall.SIGSTOP)
	}
	for _, d := range ds {
		_ = syscall.Kill(d, syscall.SIGKILL)
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(5 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// freeze stops (SIGSTOP) the per-connection sshd processes, so established
// connections go silent while the listener keeps accepting new ones. The
// returned function resumes them.
func (s *testSSHD) freeze() (thaw func()) {
	pids := descendants(s.cmd.Process.Pid)
	require.NotEmpty(s.t, pids, "no sshd connection processes to freeze")
	for _, d := range pids {
		_ = syscall.Kill(d, syscall.SIGSTOP)
	}
	return func() {
		for _, d := range pids {
			_ = syscall.Kill(d, syscall.SIGCONT)
		}
	}
}

func (s *testSSHD) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// descendants lists the pids below pid, from /proc.
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces and parens.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		parent[p] = pp
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

// processesWith lists pids whose command line contains marker.
func processesWith(marker string) []int {
	var out []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil || p == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if bytes.Contains(bytes.ReplaceAll(b, []byte{0}, []byte{' '}), []byte(marker)) {
			out = append(out, p)
		}
	}
	return out
}

// countingDialer counts TCP connection attempts and established connections.
type countingDialer struct {
	attempts, conns atomic.Int64
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	d.attempts.Add(1)
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.conns.Add(1)
	}
	return c, err
}

// newTestPool returns a Pool closed at cleanup, with a counting dialer and
// test-friendly timings; cfg fields set by the caller win.
func newTestPool(t testing.TB, cfg Config) (*Pool, *countingDialer) {
	d := &countingDialer{}
	if cfg.Dial == nil {
		cfg.Dial = d.dial
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	if cfg.RetryInitial == 0 {
		cfg.RetryInitial = 50 * time.Millisecond
	}
	if cfg.RetryMax == 0 {
		cfg.RetryMax = 500 * time.Millisecond
	}
	if cfg.KillGrace == 0 {
		cfg.KillGrace = 300 * time.Millisecond
	}
	if cfg.KnownHostsFile == "" {
		cfg.KnownHostsFile = filepath.Join(t.TempDir(), "no_known_hosts")
	}
	p := NewPool(cfg)
	t.Cleanup(func() { _ = p.Close() })
	return p, d
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// eventually polls cond until it holds (true) or the timeout passes (false).
// Unlike waitFor it may run outside the test goroutine.
func eventually(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

func isExit(err error, code int) bool {
	var ee *ExitError
	return errors.As(err, &ee) && ee.Code == code
}
