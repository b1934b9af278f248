package script

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// orphanHelperEnv makes the test binary a gantry stand-in: it runs one long
// script (which writes the pids of its shell and of a background child to
// the file named here) and waits to be killed.
const orphanHelperEnv = "GANTRY_SCRIPT_ORPHAN_HELPER"

func TestOrphanHelper(t *testing.T) {
	pidFile := os.Getenv(orphanHelperEnv)
	if pidFile == "" {
		t.Skip("helper process for TestScriptsDieWithTheirGantry")
	}
	f := newOp(t, "long.sh", "sleep 300 &\necho $$ $! > \"$PIDFILE.tmp\"; mv \"$PIDFILE.tmp\" \"$PIDFILE\"\nsleep 300\n",
		map[string]any{"PIDFILE": pidFile})
	p := New(Config{KillGrace: 200 * time.Millisecond, ProcessDir: os.Getenv(orphanHelperEnv + "_DIR")})
	_, err := p.Run(context.Background(), f.oc)
	t.Fatalf("the script should outlive this process's kill: %v", err)
}

// readPids waits for the helper's pid file.
func readPids(t *testing.T, file string) []int {
	t.Helper()
	var pids []int
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(file)
		if err != nil {
			return false
		}
		pids = nil
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			pids = append(pids, n)
		}
		return len(pids) == 2
	}, 15*time.Second, 20*time.Millisecond)
	return pids
}

func startHelper(t *testing.T, pidFile, procDir string) *exec.Cmd {
	t.Helper()
	h := exec.Command(os.Args[0], "-test.run=^TestOrphanHelper$", "-test.count=1")
	h.Env = append(os.Environ(), orphanHelperEnv+"="+pidFile, orphanHelperEnv+"_DIR="+procDir)
	require.NoError(t, h.Start())
	t.Cleanup(func() { _ = h.Process.Kill(); _ = h.Wait() })
	return h
}

// kill -9 of the gantry running a script ends the script and what it
// started (a background child included), without waiting for a resume.
func TestScriptsDieWithTheirGantry(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pids")
	h := startHelper(t, pidFile, filepath.Join(dir, "run"))
	pids := readPids(t, pidFile)
	t.Cleanup(func() {
		for _, p := range pids {
			_ = syscall.Kill(p, syscall.SIGKILL)
		}
	})
	require.NoError(t, h.Process.Signal(syscall.SIGKILL))
	_, _ = h.Process.Wait()
	for _, p := range pids {
		waitDead(t, p)
	}
}

// Reap kills a recorded process group that is still there (as if the death
// signal had not reached it), and leaves alone a pid that was recycled.
func TestReapKillsRecordedGroups(t *testing.T) {
	dir := t.TempDir()
	p := New(Config{ProcessDir: dir})
	start := func() *exec.Cmd {
		c := exec.Command("sh", "-c", "sleep 300 & sleep 300")
		c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		require.NoError(t, c.Start())
		t.Cleanup(func() { _ = syscall.Kill(-c.Process.Pid, syscall.SIGKILL); _ = c.Wait() })
		return c
	}
	ours, recycled := start(), start()
	forget, err := p.record("exec/1", ours.Process.Pid)
	require.NoError(t, err)
	_ = forget // the crash: never forgotten
	// A record whose start time is not the running process's: the pid was
	// reused by someone else, who must survive.
	require.NoError(t, os.WriteFile(filepath.Join(p.execDir("exec/1"), strconv.Itoa(recycled.Process.Pid)), []byte("1\n"), 0o600))
	require.Eventually(t, func() bool { return groupAlive(ours.Process.Pid) }, 5*time.Second, 10*time.Millisecond)

	require.NoError(t, p.Reap("exec/1"))
	require.False(t, groupAlive(ours.Process.Pid), "the recorded group is gone when Reap returns")
	require.True(t, groupAlive(recycled.Process.Pid), "a recycled pid is not ours to kill")
	require.NoError(t, p.Reap("exec/1"), "reaping twice is harmless")
	require.NoError(t, p.Reap("never-ran"))
}

// A script that ends normally leaves no record behind.
func TestRecordForgottenWhenScriptEnds(t *testing.T) {
	dir := t.TempDir()
	f := newOp(t, "ok.sh", "true\n", nil)
	p := New(Config{ProcessDir: dir})
	t.Cleanup(func() { _ = p.Close() })
	_, err := p.Run(context.Background(), f.oc)
	require.NoError(t, err)
	entries, _ := os.ReadDir(p.execDir(f.oc.ExecutionID))
	require.Empty(t, entries)
}
