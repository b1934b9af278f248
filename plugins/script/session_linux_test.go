package script

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A script runs in a session of its own, led by its guard (sysproc_linux.go):
// the session is the script's process group, and not gantry's session.
func TestScriptRunsInItsOwnSession(t *testing.T) {
	f := newOp(t, "session.sh", "set -- $(cut -d' ' -f5,6 /proc/$$/stat)\necho \"pgid=$1 sid=$2\"\n", nil)
	_, err := newPlugin(t).Run(context.Background(), f.oc)
	require.NoError(t, err)
	var line string
	for _, m := range f.messages() {
		if strings.HasPrefix(m, "pgid=") {
			line = m
		}
	}
	require.NotEmpty(t, line, "the script printed %q", f.messages())
	var pgid, sid int
	_, err = fmt.Sscanf(line, "pgid=%d sid=%d", &pgid, &sid)
	require.NoError(t, err, line)
	require.Equal(t, pgid, sid, "the guard leads both the group and the session")
	mine, err := unix.Getsid(0)
	require.NoError(t, err)
	require.NotEqual(t, mine, sid, "the script is in gantry's session")
}

// A script runs ScriptNice steps below gantry's CPU priority, both its
// session (autogroup, set by the guard before the script starts) and its
// processes (priority.go).
func TestScriptRunsAtLowerPriority(t *testing.T) {
	mine, err := unix.Getpriority(unix.PRIO_PROCESS, 0)
	require.NoError(t, err)
	wantNice := lowered(20 - mine) // the raw call returns 20 - nice
	// A process in a task group of its own (a cgroup with a CPU weight,
	// as CI runners and systemd services are) reads an empty autogroup
	// file: autogroups do not apply there, the process nice does.
	wantGroup := autogroupNice()
	if wantGroup == "" {
		t.Logf("autogroups do not apply here (%s is empty or absent): only the process nice is checked", autogroupFile)
	}

	// The process nice is set by gantry just after the start: wait for it.
	body := fmt.Sprintf(`i=0
while n=$(cut -d' ' -f19 /proc/$$/stat); [ "$n" != %d ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done
echo "nice=$n"
echo "group=$(cat /proc/self/autogroup)"
`, wantNice)
	f := newOp(t, "nice.sh", body, nil)
	_, err = newPlugin(t).Run(context.Background(), f.oc)
	require.NoError(t, err)
	var nice, group string
	for _, m := range f.messages() {
		if v, ok := strings.CutPrefix(m, "nice="); ok {
			nice = v
		}
		if v, ok := strings.CutPrefix(m, "group="); ok {
			group = v
		}
	}
	require.Equal(t, fmt.Sprint(wantNice), nice, "the script's nice value (messages %q)", f.messages())
	if wantGroup != "" {
		require.True(t, strings.HasSuffix(group, " nice "+wantGroup), "the script's session priority: %q, want nice %s", group, wantGroup)
	}
}

// The autogroup file says a nice value, or nothing where autogroups do
// not apply (a cgroup with its own CPU weight, as on CI runners).
func TestAutogroupLowered(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/autogroup-98412 nice 0\n", "5"},
		{"/autogroup-7 nice -3\n", "2"},
		{"/autogroup-7 nice 17\n", "19"},
		{"", ""},
		{"\n", ""},
		{"/autogroup-7 nice x\n", ""},
		{"/autogroup-7 weight 3\n", ""},
	} {
		require.Equal(t, tc.want, autogroupLowered([]byte(tc.in)), "%q", tc.in)
	}
}
