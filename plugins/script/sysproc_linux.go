package script

import (
	"bytes"
	"os"
	"strconv"
	"sync"
	"syscall"
)

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
// their own, gantry keeps its share while operations run; the guard also
// lowers its session's weight (autogroupNice) so that a burst of scripts
// does not outweigh gantry either.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setsid: true, Pdeathsig: guardDeathSignal}
}

var (
	autogroupOnce sync.Once
	autogroupVal  string
)

// autogroupNice is the nice value the guard gives its own session:
// ScriptNice below gantry's session, or "" where the kernel has no
// autogroups (the guard then leaves it alone).
func autogroupNice() string {
	autogroupOnce.Do(func() {
		b, err := os.ReadFile(autogroupFile)
		if err == nil {
			autogroupVal = autogroupLowered(b)
		}
	})
	return autogroupVal
}

// autogroupLowered reads an autogroup file's content ("/autogroup-N nice
// V") and says the nice value ScriptNice below it, or "" where it says
// nothing: a process in a task group of its own (a cgroup with a CPU
// weight) reads an empty file, and autogroups do not apply to it.
func autogroupLowered(b []byte) string {
	f := bytes.Fields(b)
	if len(f) != 3 || string(f[1]) != "nice" {
		return ""
	}
	base, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return ""
	}
	return strconv.Itoa(lowered(base))
}

// lowerPriority gives every process of the script's group a nice value
// ScriptNice above gantry's. It is what counts where autogroups do not
// (a cgroup with its own CPU weight, as under systemd); processes the
// script starts later inherit it. Best effort: a script runs either way.
func lowerPriority(pgid int) {
	// The raw system call returns 20 - nice.
	prio, err := syscall.Getpriority(syscall.PRIO_PROCESS, 0)
	if err != nil {
		return
	}
	_ = syscall.Setpriority(syscall.PRIO_PGRP, pgid, lowered(20-prio))
}
