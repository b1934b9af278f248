package script

import "syscall"

// guardDeathSignal is what the kernel sends the guard when gantry dies
// (PR_SET_PDEATHSIG); the guard traps it (guard.go).
const guardDeathSignal = syscall.SIGUSR1

// sysProcAttr puts the guard at the head of a new session (and so of a new
// process group: its pgid is its pid, as with Setpgid) and asks the kernel
// to signal it when its parent dies. The signal follows the thread that
// forked, not the process: Run keeps its goroutine locked to that thread
// until the script has ended, so the thread cannot go away (Go ends a
// thread only under a goroutine that exits while locked to it).
//
// A session of its own, not just a group: Linux schedules CPU time
// between sessions first (autogroup, on by default), so in gantry's own
// session the scripts' processes took the CPU from gantry itself, whose
// engine then waited behind them to commit its state and to hand events
// to their followers (docs/performance.md, section 7). In sessions of
// their own, gantry keeps its share while operations run.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: guardDeathSignal}
}
