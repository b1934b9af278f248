package ssh

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPidCatcher(t *testing.T) {
	const marker = "gantry-pid:00ff:"
	tests := []struct {
		name    string
		in      string
		wantOut string
		wantPid int
	}{
		{"marker first", marker + "4242\nreal stderr\n", "real stderr\n", 4242},
		{"rc-file noise before", "bashrc: warning\n" + marker + "7\nerr\n", "bashrc: warning\nerr\n", 7},
		{"no marker (no output at all)", "", "", 0},
		{"no marker, output kept", "only this\n", "only this\n", 0},
		{"marker without newline yet", marker + "12", marker + "12", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Every split point must give the same result.
			for cut := 0; cut <= len(tt.in); cut++ {
				var out bytes.Buffer
				pc := &pidCatcher{w: &out, marker: []byte(marker)}
				_, _ = pc.Write([]byte(tt.in[:cut]))
				_, _ = pc.Write([]byte(tt.in[cut:]))
				require.NoError(t, pc.Close())
				require.Equal(t, tt.wantOut, out.String(), "cut %d", cut)
				require.Equal(t, tt.wantPid, pc.PID(), "cut %d", cut)
			}
		})
	}

	t.Run("gives up after maxPidSearch", func(t *testing.T) {
		var out bytes.Buffer
		pc := &pidCatcher{w: &out, marker: []byte(marker)}
		big := strings.Repeat("x", maxPidSearch+1)
		_, _ = pc.Write([]byte(big))
		require.Equal(t, big, out.String(), "not held back forever")
		_, _ = pc.Write([]byte(marker + "1\n"))
		require.Zero(t, pc.PID())
	})
}

func TestCommandLine(t *testing.T) {
	line, header, err := Command{Args: []string{"kubectl", "apply", "-f", "-"}, Env: map[string]string{"B": "2 3", "A": "1"}}.commandLine("")
	require.NoError(t, err)
	require.Equal(t, envLoader+watcherLaunch+"exec kubectl apply -f -", line)
	require.NotContains(t, line, "2 3", "values are not on the command line")
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(header, "\n"))
	require.NoError(t, err)
	require.Equal(t, "export A=1\nexport B='2 3'\n", string(raw))
	line, header, err = Command{Args: []string{"true"}}.commandLine("")
	require.NoError(t, err)
	require.Equal(t, watcherLaunch+"exec true", line)
	require.Empty(t, header)
	require.Equal(t, "sh -c 'exec 3<&0 </dev/null; exec \"$@\"' sh /bin/bash -e /dev/fd/3 x",
		Join(ScriptCommand([]byte("#!/bin/bash -e\necho\n"), []string{"x"}, nil).Args))
}
