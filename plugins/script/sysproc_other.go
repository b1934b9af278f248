//go:build !linux

package script

import "syscall"

// sysProcAttr puts the guard at the head of a new process group; without a
// parent-death signal, leftovers are reaped on resume (reap.go).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

// autogroupNice: only Linux has autogroups.
func autogroupNice() string { return "" }

// lowerPriority: see sysproc_linux.go; not done elsewhere.
func lowerPriority(int) {}
