package manager

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProcessAlive(t *testing.T) {
	require.NotZero(t, selfStart, "/proc gives this process's start time")
	require.True(t, processAlive(os.Getpid(), selfStart, ""))
	require.True(t, processAlive(os.Getpid(), 0, ""))

	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	start := processStart(pid)
	require.NotZero(t, start)
	require.True(t, processAlive(pid, start, ""))
	require.False(t, processAlive(pid, start+1, ""), "same pid, another start time: a reused pid")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.False(t, processAlive(pid, start, ""), "a dead process")
	require.False(t, processAlive(0, 0, ""))

	// With a shared store (etcd) the record may come from another machine.
	name, boot, _ := strings.Cut(selfHost, " ")
	require.NotEmpty(t, boot, "/proc gives the boot id")
	require.False(t, processAlive(pid, start, selfHost), "this machine, this boot: the pid tells")
	require.True(t, processAlive(pid, start, "elsewhere "+boot), "another machine: only it can tell")
	require.False(t, processAlive(os.Getpid(), selfStart, name+" an-earlier-boot"), "this machine before its last boot: gone")
}
