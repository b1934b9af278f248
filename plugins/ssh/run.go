package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"time"

	gossh "golang.org/x/crypto/ssh"

	"github.com/gantryhq/gantry/internal/secretmask"
)

// Command is one remote command.
type Command struct {
	// Args is the program and its arguments. Each is quoted for the remote
	// shell, so it arrives as one literal argument whatever it contains. The
	// program is exec'd: use Args{"sh", "-c", "..."} for shell code.
	Args []string
	// Stdin, when set, is copied to the command's standard input (then
	// closed); otherwise the command reads an empty stdin.
	Stdin io.Reader
	// Env is exported to the command. It travels on the session's stdin,
	// ahead of Stdin, never on the remote command line (see prologue.go), so
	// it may hold secrets and tokens.
	Env map[string]string
	// Timeout bounds the run once the command started (0: none). On timeout
	// the remote process group gets SIGTERM, then SIGKILL after
	// Config.KillGrace, and the error wraps ErrTimeout.
	Timeout time.Duration
	// Secrets are masked in streamed lines and in errors (not in Result).
	Secrets []string

	name string // shown in errors instead of the command line
}

// Result is what a command produced. It is returned with *ExitError too.
type Result struct {
	ExitCode  int    // 0 on success; -1 when unknown (timeout, connection lost)
	Signal    string // signal that killed the command, if any
	Stdout    []byte // unmasked, at most Config.MaxOutput bytes
	Stderr    []byte
	Truncated bool // output exceeded Config.MaxOutput and was cut
	Duration  time.Duration
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// commandLine renders cmd for the remote shell, after prologue (see
// prologue.go), and the line that must precede cmd.Stdin on the session's
// stdin ("" when cmd has no Env).
func (cmd Command) commandLine(prologue string) (line, stdinHeader string, err error) {
	if len(cmd.Args) == 0 || cmd.Args[0] == "" {
		return "", "", fmt.Errorf("%w: empty command", ErrInvalid)
	}
	for i, a := range cmd.Args {
		if strings.IndexByte(a, 0) >= 0 {
			return "", "", fmt.Errorf("%w: argument %d contains a NUL byte, which no remote program can receive", ErrInvalid, i)
		}
	}
	var b strings.Builder
	b.WriteString(prologue)
	if len(cmd.Env) > 0 {
		if stdinHeader, err = envLine(cmd.Env); err != nil {
			return "", "", err
		}
		b.WriteString(envLoader)
	}
	b.WriteString(watcherLaunch)
	// exec: the program replaces the login shell, so it is the leader of the
	// process group that sshd signals, and its exit status is the session's.
	b.WriteString("exec ")
	b.WriteString(Join(cmd.Args))
	return b.String(), stdinHeader, nil
}

// describe names the command in errors: masked and shortened.
func (cmd Command) describe(m *secretmask.Masker) string {
	s := cmd.name
	if s == "" {
		s = m.String(Join(cmd.Args))
	}
	if len(s) > 120 {
		s = s[:117] + "..."
	}
	return s
}

// Run runs cmd on t and returns its output. A non-zero exit gives an
// *ExitError (with the Result filled in); see Stream for the other errors.
func (p *Pool) Run(ctx context.Context, t Target, cmd Command) (Result, error) {
	return p.Stream(ctx, t, cmd, nil)
}

// Stream is Run that also hands every output line to onLine (secrets
// masked) while the command runs. Errors: ErrInvalid (bad target/command),
// ErrAuth, ErrHostKeyMismatch/ErrHostKeyUnknown, ErrConnect (unreachable or
// connection lost; retryable), *ExitError, ErrTimeout, context.Canceled.
func (p *Pool) Stream(ctx context.Context, t Target, cmd Command, onLine LineFunc) (Result, error) {
	res := Result{ExitCode: -1}
	marker := newPidMarker()
	line, header, err := cmd.commandLine(pidPrologue(marker))
	if err != nil {
		return res, err
	}
	if header != "" {
		if cmd.Stdin != nil {
			cmd.Stdin = io.MultiReader(strings.NewReader(header), cmd.Stdin)
		} else {
			cmd.Stdin = strings.NewReader(header)
		}
	}
	key, err := p.key(t)
	if err != nil {
		return res, err
	}
	m := secretmask.New(cmd.Secrets...)
	c, sess, err := p.openSession(ctx, t, key)
	if err != nil {
		return res, err
	}
	defer c.release()
	defer c.closeSession(sess)
	return p.execute(ctx, c, sess, cmd, line, marker, m, onLine)
}

// openSession gets a connection and a session on it. A pooled connection
// found broken while opening the session is replaced once, transparently:
// nothing ran yet. A server refusing more sessions is waited for.
func (p *Pool) openSession(ctx context.Context, t Target, key poolKey) (*conn, *gossh.Session, error) {
	redialled := false
	wait := 20 * time.Millisecond
	deadline := time.Now().Add(p.cfg.ConnectTimeout)
	for {
		c, err := p.getConn(ctx, t, key)
		if err != nil {
			return nil, nil, err
		}
		s, err := c.newSession(ctx)
		if err == nil {
			return c, s, nil
		}
		c.release()
		switch {
		case ctx.Err() != nil:
			return nil, nil, fmt.Errorf("ssh: opening a session on %s: %w", t, ctx.Err())
		case errors.Is(err, errSaturated) && time.Now().Before(deadline):
			timer := time.NewTimer(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				timer.Stop()
				return nil, nil, fmt.Errorf("ssh: opening a session on %s: %w", t, ctx.Err())
			}
			wait = min(2*wait, time.Second)
		case errors.Is(err, errSaturated):
			return nil, nil, fmt.Errorf("%w: %s: %w", ErrConnect, t, err)
		case errors.Is(err, ErrConnect) && !redialled:
			redialled = true
		default:
			return nil, nil, err
		}
	}
}

// execute runs the command line on sess and waits for it, stopping it on
// timeout or cancellation.
func (p *Pool) execute(ctx context.Context, c *conn, sess *gossh.Session, cmd Command, line, marker string, m *secretmask.Masker, onLine LineFunc) (Result, error) {
	res := Result{ExitCode: -1}
	stdout := &cappedBuffer{max: p.cfg.MaxOutput}
	stderr := &cappedBuffer{max: p.cfg.MaxOutput}
	tail := &tailBuffer{max: stderrTailSize}

	// Closed in order after the command ended: a mask writer flushes into
	// the line writer behind it.
	var flush []io.Closer
	outW, errDst := io.Writer(stdout), io.Writer(tail)
	var le *lineWriter
	if onLine != nil {
		var mu sync.Mutex
		lo := &lineWriter{stream: Stdout, mu: &mu, fn: onLine}
		le = &lineWriter{stream: Stderr, mu: &mu, fn: onLine}
		mo := m.Writer(lo)
		outW = io.MultiWriter(stdout, mo)
		errDst = io.MultiWriter(tail, le)
		flush = append(flush, mo, lo)
	}
	me := m.Writer(errDst)
	pc := &pidCatcher{w: io.MultiWriter(stderr, me), marker: []byte(marker)}
	flush = append([]io.Closer{pc}, flush...)
	flush = append(flush, me)
	if le != nil {
		flush = append(flush, le)
	}
	sess.Stdout = outW
	sess.Stderr = pc

	var stdin io.WriteCloser
	if cmd.Stdin != nil {
		var err error
		if stdin, err = sess.StdinPipe(); err != nil {
			return res, fmt.Errorf("ssh: stdin for %s: %w", cmd.describe(m), err)
		}
	}
	start := time.Now()
	if err := sess.Start(line); err != nil {
		if !c.alive() {
			return res, c.lostError()
		}
		return res, fmt.Errorf("ssh: starting %s on %s: %w", cmd.describe(m), c.target, err)
	}
	if stdin != nil {
		go func() {
			_, _ = io.Copy(stdin, cmd.Stdin)
			_ = stdin.Close()
		}()
	}
	waitc := make(chan error, 1)
	go func() { waitc <- sess.Wait() }()

	var timeout <-chan time.Time
	if cmd.Timeout > 0 {
		timer := time.NewTimer(cmd.Timeout)
		defer timer.Stop()
		timeout = timer.C
	}
	var werr, stopped error
	select {
	case werr = <-waitc:
	case <-timeout:
		stopped = fmt.Errorf("%w: %s on %s after %s (stopped)", ErrTimeout, cmd.describe(m), c.target, cmd.Timeout)
		werr = p.stop(c, sess, pc.PID, waitc)
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			stopped = fmt.Errorf("%w: %s on %s (stopped): %w", ErrTimeout, cmd.describe(m), c.target, ctx.Err())
		} else {
			stopped = fmt.Errorf("ssh: %s on %s stopped: %w", cmd.describe(m), c.target, ctx.Err())
		}
		werr = p.stop(c, sess, pc.PID, waitc)
	}
	res.Duration = time.Since(start)
	for _, f := range flush {
		_ = f.Close()
	}
	res.Stdout, res.Stderr = stdout.buf.Bytes(), stderr.buf.Bytes()
	res.Truncated = stdout.truncated || stderr.truncated

	var exit *gossh.ExitError
	switch {
	case werr == nil:
		res.ExitCode = 0
	case errors.As(werr, &exit):
		res.ExitCode, res.Signal = exit.ExitStatus(), exit.Signal()
	}
	switch {
	case stopped != nil:
		return res, stopped
	case werr == nil:
		return res, nil
	case exit != nil:
		return res, &ExitError{Code: res.ExitCode, Signal: res.Signal,
			Stderr: append([]byte(nil), tail.Bytes()...), Command: cmd.describe(m)}
	default:
		// No exit status: normally the connection went away under the
		// command. Give the connection watcher a moment to say why.
		timer := time.NewTimer(200 * time.Millisecond)
		defer timer.Stop()
		select {
		case <-c.done:
		case <-timer.C:
		}
		if why := c.reason(); why != nil {
			werr = why
		}
		return res, fmt.Errorf("%w: %s: connection lost while %s was running (it may have run partly): %w",
			ErrConnect, c.target, cmd.describe(m), werr)
	}
}

// stop ends a running command: SIGTERM to its process group (by an SSH
// signal request and by kill(1) over another session, see pid.go), SIGKILL
// after KillGrace, then the session is closed; if even that does not end it,
// the whole connection is. It returns the session's Wait result.
func (p *Pool) stop(c *conn, sess *gossh.Session, pid func() int, waitc <-chan error) error {
	signal := func(sig gossh.Signal) func() {
		return func() {
			_ = sess.Signal(sig)
			if n := pid(); n > 1 {
				go c.killGroup(n, string(sig)) // bounded: 5s or the connection's end
			}
		}
	}
	steps := []struct {
		do    func()
		grace time.Duration
	}{
		{signal(gossh.SIGTERM), p.cfg.KillGrace},
		{signal(gossh.SIGKILL), p.cfg.KillGrace},
		{func() { _ = sess.Close() }, 5 * time.Second},
		{func() { c.close(errors.New("a stopped session did not end")) }, 0},
	}
	for _, s := range steps {
		s.do()
		if s.grace == 0 {
			break
		}
		timer := time.NewTimer(s.grace)
		select {
		case err := <-waitc:
			timer.Stop()
			return err
		case <-timer.C:
		}
	}
	return <-waitc
}

// killGroup sends sig to the remote process group pid (and to pid itself,
// should it lead no group) over a fresh session. Best effort, bounded.
func (c *conn) killGroup(pid int, sig string) {
	s, err := c.client.NewSession()
	if err != nil {
		return
	}
	defer s.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = s.Run(fmt.Sprintf("kill -s %s -- -%d 2>/dev/null || kill -s %s %d 2>/dev/null", sig, pid, sig, pid))
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	case <-c.done:
	}
}
