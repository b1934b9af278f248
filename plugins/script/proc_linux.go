package script

import (
	"bytes"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// procStart returns the start time (clock ticks since boot) of process pid,
// and whether it exists.
func procStart(pid int) (uint64, bool) {
	f, ok := procStat(pid)
	if !ok || len(f) < 20 {
		return 0, false
	}
	// f[0] is field 3 (state); start time is field 22.
	v, err := strconv.ParseUint(f[19], 10, 64)
	return v, err == nil
}

// procStat returns the fields of /proc/PID/stat after the command name.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	return strings.Fields(string(b[i+1:])), true
}

// groupAlive reports whether any process (not a zombie) is in group pgid.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); err == syscall.ESRCH {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true
	}
	want := strconv.Itoa(pgid)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		f, ok := procStat(pid)
		// f[0] state, f[1] ppid, f[2] pgrp.
		if ok && len(f) > 2 && f[2] == want && f[0] != "Z" {
			return true
		}
	}
	return false
}
