package ssh

import (
	"encoding/base64"
	"fmt"
	"slices"
	"strings"
)

// What the remote login shell runs before it execs the command (see
// Command.commandLine), in order:
//
//  1. report its pid (pid.go), so stop can kill the process group;
//  2. when the command has Env: read one line from stdin, the base64 of
//     "export NAME='value'" statements, and eval it. Values never appear on
//     the remote command line, where any user of the host could read them
//     in ps; a process's environment is readable by its owner (and root)
//     only. base64(1) must be on the host (coreutils, busybox);
//  3. start the disconnect watcher: a background sh, in the command's
//     process group, that polls every second whether the SSH session
//     process (the login shell's parent) is still there. Without a
//     terminal, sshd does not signal a command when the connection drops
//     (gantry killed, network lost): the command would run on as an
//     orphan. When the session process is gone while the command still
//     runs, the watcher sends the group SIGTERM, then SIGKILL after
//     watchKillGrace. It ends on its own once the command has ended.

// envLoader reads and evals the environment line (step 2).
const envLoader = `__gantry_env=$(IFS= read -r __l && printf '%s' "$__l" | base64 -d) || { echo "gantry: cannot read the command's environment from stdin (is base64 installed on this host?)" >&2; exit 70; }; eval "$__gantry_env"; unset __gantry_env; `

// watchKillGrace is how long the watcher waits between SIGTERM and SIGKILL.
const watchKillGrace = "2"

// watcher is step 3; $1 is the session process, $2 the command's pid (and
// process group).
const watcher = `trap '' TERM; ` +
	`while { kill -0 "$2" && { kill -0 "$1" || ps -p "$1"; }; } >/dev/null 2>&1; do sleep 1; done; ` +
	`kill -0 "$2" 2>/dev/null || exit 0; kill -s TERM -- "-$2" 2>/dev/null; sleep ` + watchKillGrace + `; kill -s KILL -- "-$2" 2>/dev/null`

// watcherLaunch starts the watcher in the background, detached from the
// session's stdio so it does not hold the channel open.
var watcherLaunch = "sh -c " + Quote(watcher) + ` gantry-watch "$PPID" "$$" </dev/null >/dev/null 2>&1 & `

// envLine renders env as the line envLoader reads. Names must be valid
// shell names and values free of NUL bytes.
func envLine(env map[string]string) (string, error) {
	names := make([]string, 0, len(env))
	for k, v := range env {
		if !envName.MatchString(k) {
			return "", fmt.Errorf("%w: environment variable name %q is not a valid shell name", ErrInvalid, k)
		}
		if strings.IndexByte(v, 0) >= 0 {
			return "", fmt.Errorf("%w: environment variable %s contains a NUL byte", ErrInvalid, k)
		}
		names = append(names, k)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString("export " + k + "=" + Quote(env[k]) + "\n")
	}
	return base64.StdEncoding.EncodeToString([]byte(b.String())) + "\n", nil
}
