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
