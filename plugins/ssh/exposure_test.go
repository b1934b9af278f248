package ssh

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Env values (tokens, operation inputs, secrets) never appear on the remote
// command line: the login shell records its own command line (what ps on
// the host shows) before it runs anything.
func TestEnvNeverOnRemoteCommandLine(t *testing.T) {
	dir := t.TempDir()
	seen := filepath.Join(dir, "cmdlines")
	rc := filepath.Join(dir, "bash_env")
	require.NoError(t, os.WriteFile(rc, []byte(`tr '\0' ' ' </proc/$$/cmdline >>`+seen+`; echo >>`+seen+"\n"), 0o600))
	s := startSSHD(t, func(o *sshdOptions) { o.bashEnv = rc })
	p, _ := newTestPool(t, Config{})
	env := map[string]string{
		"GANTRY_CTX_TOKEN": "tok-7f3a9c2e61b4",
		"password":         "pw 'quoted' $(id)\nsecond-line-of-it",
		"EMPTY":            "",
	}
	cmd := Command{Args: []string{"sh", "-c", `printf '%s|%s|%s' "$GANTRY_CTX_TOKEN" "$password" "${EMPTY-unset}"; cat`, "argv-marker"},
		Env: env, Stdin: strings.NewReader("<stdin>")}
	res, err := p.Run(context.Background(), s.target(), cmd)
	require.NoError(t, err)
	require.Equal(t, env["GANTRY_CTX_TOKEN"]+"|"+env["password"]+"|<stdin>", string(res.Stdout), "env and stdin arrive whole")
	b, err := os.ReadFile(seen)
	require.NoError(t, err)
	require.Contains(t, string(b), "argv-marker", "the capture works")
	for _, v := range []string{"tok-7f3a9c2e61b4", "pw ", "second-line-of-it"} {
		require.NotContains(t, string(b), v, "a value on the remote command line")
	}
}

// orphanHelperEnv makes the test binary a gantry stand-in that runs one long
// remote command and waits to be killed.
const orphanHelperEnv = "GANTRY_SSH_ORPHAN_HELPER"

func TestOrphanHelper(t *testing.T) {
	spec := os.Getenv(orphanHelperEnv)
	if spec == "" {
		t.Skip("helper process for TestRemoteCommandDiesWithItsGantry")
	}
	var tg Target
	f := strings.Split(spec, "\n")
	tg.Host, tg.User, tg.KeyFile, tg.KnownHostsFile = "127.0.0.1", f[1], f[2], f[3]
	tg.Port, _ = strconv.Atoi(f[0])
	p := NewPool(Config{})
	_, err := p.Run(context.Background(), tg, Command{Args: []string{"sh", "-c", "sleep 60; echo done", f[4]}})
	t.Fatalf("the remote command should outlive this process's kill: %v", err)
}

// A gantry killed with SIGKILL cannot stop its remote commands: they must
// end on their own when the SSH connection drops, and not run on as orphans.
func TestRemoteCommandDiesWithItsGantry(t *testing.T) {
	s := startSSHD(t)
	marker := fmt.Sprintf("orphan-%d", time.Now().UnixNano())
	tg := s.target()
	helper := exec.Command(os.Args[0], "-test.run=^TestOrphanHelper$", "-test.count=1")
	helper.Env = append(os.Environ(), orphanHelperEnv+"="+strings.Join([]string{strconv.Itoa(tg.Port), tg.User, tg.KeyFile, tg.KnownHostsFile, marker}, "\n"))
	require.NoError(t, helper.Start())
	t.Cleanup(func() {
		_ = helper.Process.Kill()
		_ = helper.Wait()
		for _, pid := range processesWith(marker) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
	waitFor(t, 15*time.Second, "the remote command to start", func() bool { return len(processesWith(marker)) > 0 })
	require.NoError(t, helper.Process.Signal(syscall.SIGKILL))
	_, _ = helper.Process.Wait()
	killed := time.Now()
	waitFor(t, 10*time.Second, "the orphaned remote command to die", func() bool { return len(processesWith(marker)) == 0 })
	t.Logf("remote command gone %s after its gantry was killed", time.Since(killed).Round(10*time.Millisecond))
}
