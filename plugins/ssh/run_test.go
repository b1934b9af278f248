package ssh

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRunHostileArguments sends every hostile value through the real sshd
// and the remote login shell: each must arrive as one literal argument.
func TestRunHostileArguments(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	_ = os.Remove("/tmp/gantry-pwned")
	res, err := p.Run(context.Background(), s.target(), Command{Args: echoArgs(hostileArgs)})
	require.NoError(t, err)
	require.Equal(t, wantEchoed(hostileArgs), string(res.Stdout))
	_, statErr := os.Stat("/tmp/gantry-pwned")
	require.ErrorIs(t, statErr, os.ErrNotExist, "command substitution ran")

	// Also one at a time with printf '%s\n', as a caller would.
	for _, a := range hostileArgs {
		res, err := p.Run(context.Background(), s.target(), Command{Args: []string{"printf", `%s\n`, a}})
		require.NoError(t, err)
		require.Equal(t, a+"\n", string(res.Stdout))
	}
}

func TestRunRejectsInvalidCommands(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{})
	for name, cmd := range map[string]Command{
		"empty":        {},
		"NUL argument": {Args: []string{"echo", "a\x00b"}},
		"bad env name": {Args: []string{"true"}, Env: map[string]string{"A;B": "x"}},
		"NUL env":      {Args: []string{"true"}, Env: map[string]string{"A": "\x00"}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := p.Run(context.Background(), s.target(), cmd)
			require.ErrorIs(t, err, ErrInvalid)
		})
	}
	require.Zero(t, d.attempts.Load(), "invalid commands never connect")
}

func TestRunStdinAndEnv(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	ctx := context.Background()

	big := make([]byte, 3<<20)
	_, _ = rand.Read(big)
	res, err := p.Run(ctx, s.target(), Command{Args: []string{"cat"}, Stdin: bytes.NewReader(big)})
	require.NoError(t, err)
	require.True(t, bytes.Equal(big, res.Stdout), "stdin came back intact (%d bytes)", len(res.Stdout))

	res, err = p.Run(ctx, s.target(), Command{Args: []string{"cat"}})
	require.NoError(t, err, "no stdin means an empty one, not a hang")
	require.Empty(t, res.Stdout)

	env := map[string]string{"GANTRY_A": "x; rm -rf / $(id) 'q' \"d\"\nline2", "GANTRY_B": ""}
	res, err = p.Run(ctx, s.target(), Command{
		Args: []string{"sh", "-c", `printf '<%s>' "$GANTRY_A" "$GANTRY_B" "${GANTRY_B+set}"`},
		Env:  env,
	})
	require.NoError(t, err)
	require.Equal(t, "<"+env["GANTRY_A"]+"><><set>", string(res.Stdout))
}

func TestRunExitCodes(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	tests := []struct {
		name   string
		args   []string
		code   int
		signal string
		stderr string
	}{
		{"success", []string{"true"}, 0, "", ""},
		{"false", []string{"false"}, 1, "", ""},
		{"exit 3 with stderr", []string{"sh", "-c", "echo oops >&2; exit 3"}, 3, "", "oops"},
		{"not found", []string{"no-such-program-gantry"}, 127, "", "not found"},
		{"killed by signal", []string{"sh", "-c", "kill -9 $$"}, 137, "KILL", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.Run(context.Background(), s.target(), Command{Args: tt.args})
			require.Equal(t, tt.code, res.ExitCode)
			require.Equal(t, tt.signal, res.Signal)
			if tt.code == 0 {
				require.NoError(t, err)
				return
			}
			var ee *ExitError
			require.ErrorAs(t, err, &ee)
			require.Equal(t, tt.code, ee.Code)
			require.Equal(t, tt.signal, ee.Signal)
			require.NotErrorIs(t, err, ErrConnect)
			require.NotErrorIs(t, err, ErrTimeout)
			require.Contains(t, string(ee.Stderr), tt.stderr)
			require.Contains(t, err.Error(), tt.stderr)
		})
	}
}

func TestRunStderrTailAndSecretsInErrors(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	script := `i=0; while [ $i -lt 500 ]; do echo "filler line $i" >&2; i=$((i+1)); done; echo "failed with token $1" >&2; exit 2`
	_, err := p.Run(context.Background(), s.target(), Command{
		Args:    []string{"sh", "-c", script, "sh", "tok-SECRET-42"},
		Secrets: []string{"tok-SECRET-42"},
	})
	var ee *ExitError
	require.ErrorAs(t, err, &ee)
	require.LessOrEqual(t, len(ee.Stderr), stderrTailSize)
	require.Contains(t, err.Error(), "failed with token ******")
	require.NotContains(t, err.Error(), "tok-SECRET-42", "secret in stderr or command line leaked")
	require.NotContains(t, err.Error(), "filler line 1\n", "only the tail is kept")
}

func TestStreamLinesMasked(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	var mu sync.Mutex
	var got []string
	first := make(chan struct{})
	var once sync.Once
	secret := "p@ss\nw0rd" // multi-line, so line-by-line masking would miss it
	script := `printf 'start\n'; sleep 0.5; printf 'pw=%s!\n' "$1"; printf 'err %s\n' "$1" >&2; printf 'no newline at end'`
	res, err := p.Stream(context.Background(), s.target(), Command{
		Args:    []string{"sh", "-c", script, "sh", secret},
		Secrets: []string{secret},
	}, func(stream StreamName, line string) {
		mu.Lock()
		got = append(got, string(stream)+": "+line)
		mu.Unlock()
		once.Do(func() { close(first) })
	})
	require.NoError(t, err)
	select {
	case <-first:
	default:
		t.Fatal("no line streamed")
	}
	require.Contains(t, got, "stdout: start")
	require.Contains(t, got, "stdout: pw=******!")
	require.Contains(t, got, "stderr: err ******")
	require.Contains(t, got, "stdout: no newline at end")
	for _, l := range got {
		require.NotContains(t, l, "w0rd")
		require.NotContains(t, l, "p@ss")
	}
	require.Contains(t, string(res.Stdout), "pw="+secret+"!", "Result keeps the real output")
}

// TestStreamLinesArriveWhileRunning: the first line reaches the callback
// before the command ends. The command waits for a file that only the
// callback of its first line creates (the server is local): without
// streaming it never ends and the run times out. No wall-clock bound.
func TestStreamLinesArriveWhileRunning(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	gate := filepath.Join(t.TempDir(), "early-seen")
	var lines []string
	_, err := p.Stream(context.Background(), s.target(), Command{
		Args:    []string{"sh", "-c", `echo early; while [ ! -e "$0" ]; do sleep 0.05; done; echo late`, gate},
		Timeout: time.Minute,
	}, func(_ StreamName, line string) {
		lines = append(lines, line)
		if line == "early" {
			if err := os.WriteFile(gate, nil, 0o600); err != nil {
				t.Error(err)
			}
		}
	})
	require.NoError(t, err, "the command saw the first line's callback")
	require.Equal(t, []string{"early", "late"}, lines)
}

func TestRunOutputCapped(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{MaxOutput: 1000})
	res, err := p.Run(context.Background(), s.target(), Command{Args: []string{"head", "-c", "100000", "/dev/zero"}})
	require.NoError(t, err)
	require.Len(t, res.Stdout, 1000)
	require.True(t, res.Truncated)
}

func TestRunScript(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	ctx := context.Background()
	tests := []struct {
		name   string
		script string
		args   []string
		env    map[string]string
		want   string
	}{
		{"sh with args", "echo \"$#:$1:$2\"\n", []string{"a b", "$(id)"}, nil, "2:a b:$(id)\n"},
		{"env", "echo \"$GREETING\"", nil, map[string]string{"GREETING": "hi 'there'"}, "hi 'there'\n"},
		{"bash shebang", "#!/bin/bash\nx=(1 2 3); echo ${#x[@]} $BASH_VERSION | cut -c1-3\n", nil, nil, "3 5\n"},
		{"reading stdin does not eat the script", "cat\necho after-cat\nread x || echo eof\n", nil, nil, "after-cat\neof\n"},
		{"set -e", "set -e\necho one\nfalse\necho two\n", nil, nil, "one\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := p.RunScript(ctx, s.target(), []byte(tt.script), tt.args, tt.env)
			if tt.name == "set -e" {
				require.True(t, isExit(err, 1), "%v", err)
			} else {
				require.NoError(t, err, "%s", res.Stderr)
			}
			require.Equal(t, tt.want, string(res.Stdout))
		})
	}

	// A large script travels whole.
	var big strings.Builder
	for i := range 20000 {
		fmt.Fprintf(&big, "x%d=%d\n", i, i)
	}
	big.WriteString("echo \"$x19999\"\n")
	res, err := p.RunScript(ctx, s.target(), []byte(big.String()), nil, nil)
	require.NoError(t, err)
	require.Equal(t, "19999\n", string(res.Stdout))

	// No file involved: the interpreter reads the script from a pipe.
	res, err = p.RunScript(ctx, s.target(), []byte("echo \"$0\"\nreadlink /proc/$$/fd/3\n"), nil, nil)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(res.Stdout)), "\n")
	require.Len(t, lines, 2)
	require.Equal(t, "/dev/fd/3", lines[0])
	require.True(t, strings.HasPrefix(lines[1], "pipe:"), "script read from %q, not a pipe", lines[1])
}

// remoteGone waits until no process carries marker in its command line
// (the sshd is local, so remote processes are local ones).
func remoteGone(t *testing.T, marker string) {
	t.Helper()
	waitFor(t, 5*time.Second, "remote process "+marker+" to die", func() bool { return len(processesWith(marker)) == 0 })
}

func TestRunTimeoutKillsRemoteProcess(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{KillGrace: 2 * time.Second})
	const killedWithin = 60 * time.Second
	tests := []struct {
		name     string
		cmd      func(marker string) Command
		minAfter time.Duration // the grace a TERM-ignoring process gets
		signal   string
	}{
		{"exec'd sleep", func(m string) Command { return Command{Args: []string{"sleep", m}} }, 500 * time.Millisecond, "TERM"},
		{"shell with a child", func(m string) Command {
			return Command{Args: []string{"sh", "-c", "sleep $0; echo not reached", m}}
		}, 500 * time.Millisecond, "TERM"},
		{"script with a child", func(m string) Command {
			return ScriptCommand([]byte("sleep \"$1\"\necho not reached\n"), []string{m}, nil)
		}, 500 * time.Millisecond, "TERM"},
		{"ignores SIGTERM: killed after grace", func(m string) Command {
			return Command{Args: []string{"sh", "-c", "trap '' TERM; sleep $0", m}}
		}, 2500 * time.Millisecond, "KILL"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			marker := fmt.Sprintf("%d.%03d", 900+i, time.Now().Nanosecond()%1000)
			cmd := tt.cmd(marker)
			cmd.Timeout = 500 * time.Millisecond
			started := time.Now()
			seen := make(chan bool, 1)
			go func() {
				// Prove the process was really running remotely.
				seen <- eventually(3*time.Second, func() bool { return len(processesWith("sleep "+marker)) > 0 })
			}()
			res, err := p.Run(context.Background(), s.target(), cmd)
			took := time.Since(started)
			require.True(t, <-seen, "the remote process never ran")
			require.ErrorIs(t, err, ErrTimeout)
			require.NotErrorIs(t, err, ErrConnect)
			// The remote sleep lasts 900 s or more: ending well before that
			// (with our signal, below) is the proof the timeout killed it. No
			// tighter upper bound: under load an SSH round trip alone can take
			// seconds.
			require.Less(t, took, killedWithin)
			require.GreaterOrEqual(t, took, tt.minAfter)
			require.Equal(t, tt.signal, res.Signal, "the process died of our signal")
			require.NotContains(t, string(res.Stdout), "not reached")
			remoteGone(t, "sleep "+marker)
		})
	}
	// The connection survives and is reused.
	require.NoError(t, echoOK(t, p, s.target()))
	require.Equal(t, 1, p.Stats().Conns)
}

func TestRunCancelKillsRemoteProcess(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	marker := fmt.Sprintf("777.%03d", time.Now().Nanosecond()%1000)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		eventually(5*time.Second, func() bool { return len(processesWith("sleep "+marker)) > 0 })
		cancel()
	}()
	_, err := p.Run(ctx, s.target(), Command{Args: []string{"sh", "-c", "sleep $0", marker}})
	require.ErrorIs(t, err, context.Canceled)
	require.NotErrorIs(t, err, ErrTimeout)
	remoteGone(t, "sleep "+marker)

	// A context deadline counts as a timeout.
	ctx, cancel2 := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel2()
	_, err = p.Run(ctx, s.target(), Command{Args: []string{"sleep", marker}})
	require.ErrorIs(t, err, ErrTimeout)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	remoteGone(t, "sleep "+marker)
}

func TestRunAfterClose(t *testing.T) {
	s := startSSHD(t)
	p, _ := newTestPool(t, Config{})
	require.NoError(t, echoOK(t, p, s.target()))
	require.NoError(t, p.Close())
	_, err := p.Run(context.Background(), s.target(), Command{Args: []string{"true"}})
	require.True(t, errors.Is(err, ErrClosed), "%v", err)
	require.Zero(t, p.Stats().Conns)
}
