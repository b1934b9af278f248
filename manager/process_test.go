package manager

import (
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestProcessAlive(t *testing.T) {
	require.NotZero(t, selfStart, "/proc gives this process's start time")
	require.True(t, processAlive(os.Getpid(), selfStart))
	require.True(t, processAlive(os.Getpid(), 0))

	cmd := exec.Command("sleep", "30")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	start := processStart(pid)
	require.NotZero(t, start)
	require.True(t, processAlive(pid, start))
	require.False(t, processAlive(pid, start+1), "same pid, another start time: a reused pid")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	require.False(t, processAlive(pid, start), "a dead process")
	require.False(t, processAlive(0, 0))
}
