package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/plugins/ssh"
)

// kubectl runs kubectl on the master over SSH. Transient failures (the SSH
// connection, an API server that is restarting) are retried with backoff
// until the deadline; permanent ones (an invalid manifest, forbidden, an
// unknown host key) fail at once with kubectl's own message.
type kubectl struct {
	pool     *ssh.Pool
	target   ssh.Target
	binary   string
	op       *plugins.Context
	deadline time.Time
	// pause between attempts; grows to maxPause.
	pause, maxPause time.Duration
}

// run executes `kubectl ARGS...` with stdin and returns stdout.
func (k *kubectl) run(ctx context.Context, stdin []byte, args ...string) ([]byte, error) {
	full := append([]string{k.binary}, args...)
	return k.retry(ctx, strings.Join(args, " "), func(ctx context.Context) (ssh.Result, error) {
		cmd := ssh.Command{Args: full, Timeout: time.Until(k.deadline)}
		if stdin != nil {
			cmd.Stdin = bytes.NewReader(stdin)
		}
		return k.pool.Run(ctx, k.target, cmd)
	})
}

// retry runs attempt until it succeeds, fails for good, or the deadline
// comes. When the deadline ends the loop, the error names the last failed
// attempt's cause (not only the timeout that stopped a later one).
func (k *kubectl) retry(ctx context.Context, what string, attempt func(context.Context) (ssh.Result, error)) ([]byte, error) {
	pause := k.pause
	last := "" // the previous attempt's failure
	for n := 1; ; n++ {
		res, err := attempt(ctx)
		if err == nil {
			return res.Stdout, nil
		}
		if errors.Is(err, ssh.ErrTimeout) && !errors.Is(ctx.Err(), context.Canceled) {
			// A command gets what is left of the operation's timeout, so
			// this is the operation timing out (as in the readiness wait,
			// and recoverable like it: a retried operation gets a new one);
			// so is the engine's backstop deadline on ctx.
			if last != "" {
				return nil, fmt.Errorf("kubectl %s on %s: still failing after %d attempt(s) when the operation's timeout ran out: %s (attempt %d was stopped: %w)",
					what, k.target, n-1, last, n, err)
			}
			return nil, fmt.Errorf("kubectl %s on %s: the operation's timeout ran out while it ran: %w", what, k.target, err)
		}
		transient, msg := classify(err, res.Stderr)
		if !transient {
			return nil, plugins.NonRecoverable(fmt.Errorf("kubectl %s on %s: %s", what, k.target, msg))
		}
		if ctx.Err() != nil {
			// This attempt failed because ctx ended: name the one before.
			return nil, k.ended(ctx, what, n, last)
		}
		last = msg
		if time.Now().Add(pause).After(k.deadline) {
			return nil, fmt.Errorf("kubectl %s on %s: still failing after %d attempt(s): %s", what, k.target, n, msg)
		}
		verb, _, _ := strings.Cut(what, " ")
		k.op.Log(plugins.LevelWarn, "kubectl %s: %s; retrying in %s", verb, msg, pause)
		select {
		case <-ctx.Done():
			return nil, k.ended(ctx, what, n, last)
		case <-time.After(pause):
		}
		if pause *= 2; pause > k.maxPause {
			pause = k.maxPause
		}
	}
}

// ended is the error of a retry loop whose context ended (cancelled, or the
// engine's backstop deadline) at attempt n: it wraps the context's error
// and names the last failure that ctx did not cause, if any.
func (k *kubectl) ended(ctx context.Context, what string, n int, last string) error {
	if last == "" {
		return fmt.Errorf("kubectl %s on %s: %w", what, k.target, ctx.Err())
	}
	return fmt.Errorf("kubectl %s on %s: %w at attempt %d; the last failure: %s", what, k.target, ctx.Err(), n, last)
}

// transientMarkers are kubectl / API server messages that mean "try again".
var transientMarkers = []string{
	"connection refused", "unable to connect to the server", "the server is currently unable",
	"tls handshake timeout", "i/o timeout", "connection reset", "eof", "service unavailable",
	"etcdserver: request timed out", "the object has been modified", "too many requests",
	"net/http: request canceled", "context deadline exceeded", "no route to host",
}

// classify tells transient errors from permanent ones and extracts the
// message to show.
func classify(err error, stderr []byte) (transient bool, msg string) {
	var ee *ssh.ExitError
	var hk *ssh.HostKeyError
	switch {
	case errors.As(err, &hk), errors.Is(err, ssh.ErrAuth), errors.Is(err, ssh.ErrInvalid):
		return false, err.Error()
	case errors.Is(err, ssh.ErrConnect):
		return true, err.Error()
	case errors.Is(err, ssh.ErrTimeout):
		return false, "timed out: " + err.Error()
	case errors.As(err, &ee):
		text := strings.TrimSpace(string(stderr))
		if text == "" {
			text = strings.TrimSpace(string(ee.Stderr))
		}
		if ee.Code == 127 {
			return false, "kubectl not found on the master (exit 127): install it there or set the node's kubectl path"
		}
		lower := strings.ToLower(text)
		for _, m := range transientMarkers {
			if strings.Contains(lower, m) {
				return true, text
			}
		}
		if text == "" {
			text = err.Error()
		}
		return false, text
	}
	return true, err.Error()
}
