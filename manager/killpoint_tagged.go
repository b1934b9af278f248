//go:build gantry_killpoints

package manager

import (
	"os"
	"syscall"
	"time"
)

// killPointEnv names the point at which a gantry built with tag
// gantry_killpoints (the crash tests' build only) kills itself.
const killPointEnv = "GANTRY_KILL_POINT"

// killPoint reports whether $GANTRY_KILL_POINT names this point.
func killPoint(name string) bool { return os.Getenv(killPointEnv) == name }

// killSelf ends the process with SIGKILL: nothing after it runs.
func killSelf() {
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	time.Sleep(time.Hour)
}
