//go:build e2e

package console_test

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/testenv"
)

// TestConsoleInChromium drives the console in headless Chromium (Debian's
// chromium through playwright-core, testdata/console.e2e.mjs) against a
// real `gantry server` of the built binary: sign-in, uploads, the inputs
// form, a live install, outputs, a failing install, a cancel, 1,000
// instances, a dependency, secrets, a viewer without write actions. Under
// CI=true a missing node, chromium or npm package fails the test; else it
// skips. GANTRY_CONSOLE_SHOTS=DIR keeps the screenshots (docs/console).
func TestConsoleInChromium(t *testing.T) {
	b := newBrowserEnv(t, filepath.Join(t.TempDir(), "gantry.db"))
	dir, work, bin, storePath, env, nodeEnv := b.dir, b.work, b.bin, b.store, b.env, b.nodeEnv
	// hello and the test blueprints side by side, as a person's folders.
	bps := filepath.Join(work, "blueprints")
	require.NoError(t, os.CopyFS(bps, os.DirFS(filepath.Join(dir, "testdata", "blueprints"))))
	require.NoError(t, os.CopyFS(filepath.Join(bps, "hello"), os.DirFS(filepath.Join(dir, "..", "..", "blueprints", "hello"))))

	url := serve(t, bin, storePath, env)
	shots := os.Getenv("GANTRY_CONSOLE_SHOTS")
	if shots == "" {
		shots = filepath.Join(work, "shots")
	}
	require.NoError(t, os.MkdirAll(shots, 0o755))
	nodeEnv = append(nodeEnv, "GANTRY_URL="+url, "GANTRY_BLUEPRINTS="+bps, "GANTRY_CONSOLE_SHOTS="+shots)

	require.Contains(t, b.scenario("console.e2e.mjs", nodeEnv), "METRICS {")
}

// TestConsoleClusterInChromium drives the cluster page
// (testdata/cluster.e2e.mjs) against a real `gantry server` on a real
// 3-member etcd cluster that queues every execution, with a real `gantry
// worker` of one slot running one install (held until the page saw it)
// while a second waits in the queue.
func TestConsoleClusterInChromium(t *testing.T) {
	store := testenv.StartEtcdCluster(t, 3).URL("console") + "?lease-ttl=3s"
	b := newBrowserEnv(t, store)
	url := serve(t, b.bin, store, b.env, "--run-executions=false")
	worker := exec.Command(b.bin, "worker", "--name", "w1", "--parallel", "1", "--store", store)
	worker.Env = b.env
	var wlog strings.Builder
	worker.Stdout, worker.Stderr = &wlog, &wlog
	require.NoError(t, worker.Start())
	t.Cleanup(func() { _ = worker.Process.Kill(); _ = worker.Wait(); t.Logf("worker:\n%s", wlog.String()) })

	release := filepath.Join(b.work, "release")
	token, err := os.ReadFile(filepath.Join(b.work, "operator.token"))
	require.NoError(t, err)
	for _, dep := range []string{"held1", "held2"} {
		cmd := exec.Command(b.bin, "install", filepath.Join(b.dir, "testdata", "blueprints", "held"), "-b", "held", "-d", dep, "-i", "release="+release, "--detach")
		// The token in the environment, never on the command line.
		cmd.Env = append(b.env[:len(b.env):len(b.env)], "GANTRY_URL="+url, "GANTRY_TOKEN="+strings.TrimSpace(string(token)))
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "install --detach: %s", out)
	}
	nodeEnv := append(b.nodeEnv, "GANTRY_URL="+url, "GANTRY_RELEASE="+release)
	if shots := os.Getenv("GANTRY_CONSOLE_SHOTS"); shots != "" {
		nodeEnv = append(nodeEnv, "GANTRY_CONSOLE_SHOTS="+shots)
	}
	require.Contains(t, b.scenario("cluster.e2e.mjs", nodeEnv), "CLUSTER OK")
}

// browserEnv is what a browser scenario needs: node and Chromium, the
// built gantry, a token file per role on the store, and the environment
// of the gantry processes and of node.
type browserEnv struct {
	t                    *testing.T
	node, dir, work, bin string
	store                string
	env, nodeEnv         []string
}

func newBrowserEnv(t *testing.T, store string) *browserEnv {
	node := need(t, "node", "")
	chromium := need(t, "chromium", os.Getenv("CHROMIUM"))
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Dir(here)
	for _, f := range []string{"node_modules/playwright-core/package.json", "web/vendor/dagre.esm.js"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			missing(t, f+" (run `make console-assets`)")
		}
	}
	work := t.TempDir()
	bin := filepath.Join(work, "gantry")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/gantryhq/gantry/cmd/gantry").CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	env := append(os.Environ(), "HOME="+work)
	env = append(env[:len(env):len(env)], "GANTRY_PROFILES="+filepath.Join(work, "profiles.json"))
	nodeEnv := append(env[:len(env):len(env)], "CHROMIUM="+chromium, "GANTRY_PROFILE_DIR="+filepath.Join(work, "chromium-profile"))
	for _, role := range []string{"operator", "viewer", "admin"} {
		file := filepath.Join(work, role+".token")
		cmd := exec.Command(bin, "server", "tokens", "create", "--name", "console-"+role, "--role", role, "--out", file, "--store", store)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "tokens create: %s", out)
		nodeEnv = append(nodeEnv, "GANTRY_TOKEN_"+strings.ToUpper(role)+"_FILE="+file)
	}
	return &browserEnv{t: t, node: node, dir: dir, work: work, bin: bin, store: store, env: env, nodeEnv: nodeEnv}
}

// scenario runs a node scenario of testdata and returns what it printed.
func (b *browserEnv) scenario(name string, env []string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.node, filepath.Join(b.dir, "testdata", name))
	cmd.Env = env
	cmd.Dir = b.dir
	cmd.WaitDelay = 10 * time.Second
	res, err := cmd.CombinedOutput()
	b.t.Logf("node:\n%s", res)
	require.NoError(b.t, err, "the browser scenario %s failed", name)
	return string(res)
}

// need finds a program; a missing one skips the test, or fails it in CI.
func need(t *testing.T, name, override string) string {
	t.Helper()
	if override != "" {
		name = override
	}
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, name+" (.ci/install.sh installs it)")
	}
	return p
}

func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("missing in CI: %s", what)
	}
	t.Skipf("missing: %s", what)
}

var listening = regexp.MustCompile(`gantry server listening on (http://\S+) `)

// serve starts `gantry server` on a free loopback port and returns its URL.
func serve(t *testing.T, bin, storePath string, env []string, flags ...string) string {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"server", "--listen", "127.0.0.1:0", "--store", storePath}, flags...)...)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	found, exited := make(chan string, 1), make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-exited })
	select {
	case u := <-found:
		return u
	case <-exited:
		t.Fatalf("gantry server exited: %v", cmd.ProcessState)
	case <-time.After(30 * time.Second):
		t.Fatal("gantry server did not listen within 30s")
	}
	return ""
}
