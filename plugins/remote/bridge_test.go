package remote

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// startBridge serves ctx requests on a local TCP port, as the SSH remote
// forward does on a host, with handle answering them.
func startBridge(t *testing.T, handle func([]string) (string, error)) (port int, token string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	b := &bridge{ln: ln, token: "tok-123", handle: handle}
	b.wg.Add(1)
	go b.serve()
	t.Cleanup(b.close)
	return ln.Addr().(*net.TCPAddr).Port, b.token
}

// runCtx runs the host-side ctx script with bash, as a script on a host would.
func runCtx(t *testing.T, port int, token string, args ...string) (string, string, error) {
	t.Helper()
	script := filepath.Join(t.TempDir(), "ctx")
	require.NoError(t, os.WriteFile(script, []byte(ctxScript), 0o700))
	cmd := exec.Command(script, args...)
	cmd.Env = append(os.Environ(), "GANTRY_CTX_PORT="+strconv.Itoa(port), "GANTRY_CTX_TOKEN="+token)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	return out.String(), errOut.String(), err
}

func TestCtxScriptRoundTrip(t *testing.T) {
	var got [][]string
	port, token := startBridge(t, func(args []string) (string, error) {
		got = append(got, args)
		if args[0] == "fail" {
			return "", errors.New("no such thing")
		}
		return "answer: " + strings.Join(args, "|"), nil
	})
	hostile := []string{"instance", "runtime-properties", "k", `a'b"c $(touch /tmp/x) ; rm -rf / ` + "\n" + `line2`, ""}
	out, _, err := runCtx(t, port, token, hostile...)
	require.NoError(t, err)
	require.Equal(t, hostile, got[0], "every argument arrives as it was, empty ones too")
	require.Equal(t, "answer: "+strings.Join(hostile, "|")+"\n", out)

	_, stderr, err := runCtx(t, port, token, "fail")
	require.Error(t, err, "an error answer exits non-zero")
	require.Contains(t, stderr, "ctx: no such thing")

	_, stderr, err = runCtx(t, port, "wrong-token", "instance", "id")
	require.Error(t, err)
	require.Contains(t, stderr, "unknown or expired operation token", "stderr: %q err: %v", stderr, err)
	require.Len(t, got, 2, "a request with a wrong token is not handled")

	_, stderr, err = runCtx(t, port, "", "instance", "id")
	require.Error(t, err)
	require.Contains(t, stderr, "not running inside a Gantry operation")
}
