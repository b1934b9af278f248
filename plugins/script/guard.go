package script

import (
	"strconv"
	"time"
)

// Scripts die with their gantry. A script runs under a small sh guard that
// leads the script's process group; the guard gets guardDeathSignal when the
// gantry that started it dies, however it dies (kill -9 included: the
// kernel sends it, see sysproc_linux.go), and then stops the whole group:
// SIGTERM, then SIGKILL after the kill grace. Without it, the script's
// interpreter and everything it started would run on as orphans and
// overlap the operation's re-run on resume.
//
// The guard otherwise waits for the script and exits with its status; a
// SIGTERM sent to the group by gantry itself (cancel, timeout) reaches the
// script, and the guard keeps waiting for it. Scripts run as a background
// job of the guard, so (POSIX) they start with SIGINT and SIGQUIT ignored;
// gantry never sends those.
//
// On systems without a parent-death signal the guard is still used (one
// process group per script) and resume reaps leftovers (reap.go).
//
// With autogroup set (a nice value), the guard first lowers its session's
// CPU priority to it, before the script starts (sysproc_linux.go).
func guardScript(grace time.Duration, autogroup string) string {
	secs := strconv.FormatFloat(max(grace.Seconds(), 0.1), 'f', 1, 64)
	lower := ""
	if autogroup != "" {
		lower = `{ echo ` + autogroup + ` >` + autogroupFile + `; } 2>/dev/null
`
	}
	return lower + `trap 'trap "" USR1; kill -s TERM 0; sleep ` + secs + `; kill -s KILL 0' USR1
trap : TERM
"$@" &
c=$!
while :; do
  wait "$c"; s=$?
  kill -0 "$c" 2>/dev/null || break
done
exit "$s"
`
}

// guardArgv wraps a script's argv in the guard.
func guardArgv(grace time.Duration, argv []string) []string {
	return append([]string{"/bin/sh", "-c", guardScript(grace, autogroupNice()), "gantry-script"}, argv...)
}
