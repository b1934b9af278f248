package script

import "syscall"

// guardDeathSignal is what the kernel sends the guard when gantry dies
// (PR_SET_PDEATHSIG); the guard traps it (guard.go).
const guardDeathSignal = syscall.SIGUSR1

// sysProcAttr puts the guard at the head of a new process group and asks
// the kernel to signal it when its parent dies. (The signal follows the
// thread that forked; Go ends threads only under goroutines that exit while
// locked to them, which gantry does not do.)
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: guardDeathSignal}
}
