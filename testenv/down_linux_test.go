package testenv

import (
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// slowExitEnv makes the test binary a stand-in for kube-apiserver or etcd
// being stopped: on SIGTERM its main thread ends at once (the process
// shows as a zombie) while another thread works on and exits the process
// 1.5 s later, writing the file named here first.
const slowExitEnv = "GANTRY_TESTENV_SLOW_EXIT"

func init() {
	// The main goroutine stays on the main thread, so that exiting that
	// thread alone (below) leaves a zombie group leader.
	runtime.LockOSThread()
}

func TestMain(m *testing.M) {
	if marker := os.Getenv(slowExitEnv); marker != "" {
		term := make(chan os.Signal, 1)
		signal.Notify(term, syscall.SIGTERM)
		_ = os.WriteFile(marker+".ready", nil, 0o600)
		<-term
		go func() {
			time.Sleep(1500 * time.Millisecond)
			_ = os.WriteFile(marker, []byte("exited\n"), 0o600)
			os.Exit(0)
		}()
		// Exit the main thread only (exit(2), not exit_group(2)), as the
		// main thread of a big Go server may finish first.
		_, _, _ = syscall.RawSyscall(syscall.SYS_EXIT, 0, 0, 0)
	}
	runtime.UnlockOSThread()
	os.Exit(m.Run())
}

// down.sh returns only when every recorded process has fully exited, a
// multi-threaded one whose main thread ended first included.
func TestDownWaitsForProcessesToExit(t *testing.T) {
	d := filepath.Join(t.TempDir(), "env")
	for _, sub := range []string{"pids", "logs", "run"} {
		require.NoError(t, os.MkdirAll(filepath.Join(d, sub), 0o700))
	}
	marker := filepath.Join(t.TempDir(), "exited")
	// The recorded process's command line names the state dir, as the
	// components' do (proc_alive checks it).
	p := exec.Command(os.Args[0], "-test.run=^$", "-gantry-state="+d)
	p.Env = append(os.Environ(), slowExitEnv+"="+marker)
	p.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	require.NoError(t, p.Start())
	done := make(chan struct{})
	go func() { _ = p.Wait(); close(done) }()
	t.Cleanup(func() { _ = p.Process.Kill(); <-done })
	require.NoError(t, os.WriteFile(filepath.Join(d, "pids", "etcd.pid"), []byte(strconv.Itoa(p.Process.Pid)+"\n"), 0o600))
	require.Eventually(t, func() bool { _, err := os.Stat(marker + ".ready"); return err == nil }, 10*time.Second, 10*time.Millisecond)

	down := exec.Command("bash", "down.sh")
	down.Env = append(os.Environ(), "GANTRY_TESTENV_DIR="+d)
	out, err := down.CombinedOutput()
	require.NoError(t, err, "%s", out)
	_, err = os.Stat(marker)
	require.NoError(t, err, "down.sh returned before the process had exited:\n%s", out)
}
