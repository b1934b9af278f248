package manager_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// The crash and concurrency tests drive real gantry processes: they build
// cmd/gantry, run it on a store in a temporary folder, kill it, and run
// several at once.

// buildGantry builds the gantry binary into a temporary folder, with the
// build tags given (gantry_killpoints: the kill points of
// manager/killpoint_tagged.go).
func buildGantry(t *testing.T, tags ...string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the gantry binary; skipped with -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = "/usr/local/go/bin/go"
	}
	bin := filepath.Join(t.TempDir(), "gantry")
	args := []string{"build", "-o", bin}
	if len(tags) > 0 {
		args = append(args, "-tags", strings.Join(tags, ","))
	}
	cmd := exec.Command(goBin, append(args, "github.com/gantryhq/gantry/cmd/gantry")...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)
	return bin
}

// gantryEnv is the environment of a gantry process on one store.
type gantryEnv struct {
	bin   string
	store string
	env   []string
}

func newGantryEnv(t *testing.T, bin string, extraEnv ...string) *gantryEnv {
	dir := t.TempDir()
	g := &gantryEnv{bin: bin, store: filepath.Join(dir, "g.db")}
	// TMPDIR: the ctx folder of a gantry killed with -9 is removed with the test.
	g.env = append(os.Environ(), "GANTRY_STORE="+g.store, "HOME="+dir, "TMPDIR="+dir)
	g.env = append(g.env, extraEnv...)
	return g
}

// result is a finished gantry process.
type result struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func (r result) String() string {
	return fmt.Sprintf("exit %d after %s\nstdout:\n%s\nstderr:\n%s", r.code, r.took, r.stdout, r.stderr)
}

// command prepares gantry args with the env's store.
func (g *gantryEnv) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, g.bin, args...)
	cmd.Env = g.env
	return cmd
}

// run runs gantry to the end (at most a minute).
func (g *gantryEnv) run(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := g.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String(), took: time.Since(start)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	default:
		t.Fatalf("gantry %s: %v", strings.Join(args, " "), err)
	}
	return r
}

// openStore opens the env's store from the test process (another process
// than the gantry ones, as a second gantry would).
func (g *gantryEnv) openStore(t *testing.T) *store.BoltStore {
	t.Helper()
	st, err := store.OpenBolt(g.store, store.Options{})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// requireConsistent runs the store's consistency check.
func (g *gantryEnv) requireConsistent(t *testing.T) {
	t.Helper()
	st, err := store.OpenBolt(g.store, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	problems, err := st.Check(context.Background())
	require.NoError(t, err)
	require.Empty(t, problems, "store.Check")
}

// waitFor polls cond every 10ms until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// countLines counts the lines of file that start with prefix.
func countLines(file, prefix string) int {
	b, _ := os.ReadFile(file)
	n := 0
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// layeredBlueprint writes a blueprint of layers x width nodes into dir:
// node n<L>_<I> depends on n<L-1>_<I>, and each of ops runs script.
func layeredBlueprint(t *testing.T, dir string, layers, width int, ops []string, script string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("tosca_definitions_version: cloudify_dsl_1_3\n")
	b.WriteString("imports:\n  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml\n")
	b.WriteString("node_types:\n  test.Node:\n    derived_from: cloudify.nodes.Root\n")
	b.WriteString("    interfaces:\n      cloudify.interfaces.lifecycle:\n")
	for _, op := range ops {
		fmt.Fprintf(&b, "        %s: { implementation: op.sh, executor: central_deployment_agent }\n", op)
	}
	b.WriteString("node_templates:\n")
	for l := 0; l < layers; l++ {
		for i := 0; i < width; i++ {
			fmt.Fprintf(&b, "  n%d_%d:\n    type: test.Node\n", l, i)
			if l > 0 {
				fmt.Fprintf(&b, "    relationships:\n      - { type: cloudify.relationships.depends_on, target: n%d_%d }\n", l-1, i)
			}
		}
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(b.String()), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "op.sh"), []byte(script), 0o755))
}
