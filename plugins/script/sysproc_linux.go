package script

import "syscall"

// guardDeathSignal is what the kernel sends the guard when gantry dies
// (PR_SET_PDEATHSIG); the guard traps it (guard.go).
const guardDeathSignal = syscall.SIGUSR1

// sysProcAttr puts the guard at the head of a new process group and asks
// the kernel to signal it when its parent dies. The signal follows the
// thread that forked, not the process: Run keeps its goroutine locked to
// that thread until the script has ended, so the thread cannot go away
// (Go ends a thread only under a goroutine that exits while locked to it).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: guardDeathSignal}
}
