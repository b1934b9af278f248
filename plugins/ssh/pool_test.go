package ssh

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// runConcurrently runs n commands `sleep d; echo i` at once and checks each
// output.
func runConcurrently(t *testing.T, p *Pool, tg Target, n int, d string) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make([]error, n)
	outs := make([]string, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := p.Run(context.Background(), tg, Command{Args: []string{"sh", "-c", "sleep " + d + "; echo \"$0\"", strconv.Itoa(i)}})
			errs[i], outs[i] = err, string(res.Stdout)
		}()
	}
	wg.Wait()
	for i := range n {
		require.NoError(t, errs[i], "command %d", i)
		require.Equal(t, strconv.Itoa(i)+"\n", outs[i], "command %d", i)
	}
}

func TestPoolFiftyConcurrentCommandsOneConnection(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{MaxSessions: 64})
	runConcurrently(t, p, s.target(), 50, "0.5")
	require.EqualValues(t, 1, d.conns.Load(), "one TCP connection for all 50 commands")
	require.EqualValues(t, 1, p.Stats().Dials)
	// In parallel: asserted by the peak of open sessions, not by wall time
	// (which load stretches).
	require.GreaterOrEqual(t, p.Stats().PeakSessions, int64(25), "sessions overlapped on the connection")
	require.Zero(t, p.Stats().Sessions, "every session closed")
}

// TestPoolQueuesBeyondMaxSessions: with OpenSSH's default MaxSessions (10) on
// both sides, 30 concurrent commands queue for sessions on one connection.
func TestPoolQueuesBeyondMaxSessions(t *testing.T) {
	s := startSSHD(t, func(o *sshdOptions) { o.maxSessions = 10 })
	p, d := newTestPool(t, Config{})
	start := time.Now()
	runConcurrently(t, p, s.target(), 30, "0.3")
	require.EqualValues(t, 1, d.conns.Load())
	require.LessOrEqual(t, p.Stats().PeakSessions, int64(10))
	require.GreaterOrEqual(t, time.Since(start), 900*time.Millisecond, "three waves of 10")
}

// TestPoolServerRefusesSessions: the server allows fewer sessions than the
// pool; refused session opens are retried until one is free.
func TestPoolServerRefusesSessions(t *testing.T) {
	s := startSSHD(t, func(o *sshdOptions) { o.maxSessions = 3 })
	p, d := newTestPool(t, Config{MaxSessions: 20})
	runConcurrently(t, p, s.target(), 12, "0.2")
	require.EqualValues(t, 1, d.conns.Load())
}

func TestPoolReconnectsAfterSSHDRestart(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{ConnectTimeout: 20 * time.Second})
	tg := s.target()
	require.NoError(t, echoOK(t, p, tg))

	// A command running when sshd goes away fails as a connection error.
	running := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), tg, Command{Args: []string{"sleep", "30"}})
		running <- err
	}()
	waitFor(t, 5*time.Second, "session open", func() bool { return p.Stats().Sessions == 1 })
	s.stop()
	select {
	case err := <-running:
		require.ErrorIs(t, err, ErrConnect)
		require.True(t, IsRetryable(err))
		require.Contains(t, err.Error(), "connection lost")
	case <-time.After(5 * time.Second):
		t.Fatal("running command did not notice the connection loss")
	}

	// sshd comes back 1.5s later: the next command retries until it can
	// connect, on a new connection.
	restarted := make(chan struct{})
	go func() {
		defer close(restarted)
		time.Sleep(1500 * time.Millisecond)
		s.start()
	}()
	start := time.Now()
	err := echoOK(t, p, tg)
	<-restarted
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(start), 1400*time.Millisecond)
	require.EqualValues(t, 2, d.conns.Load())
	require.GreaterOrEqual(t, d.attempts.Load(), int64(3), "failed attempts were retried")
	require.Equal(t, 1, p.Stats().Conns)
}

// TestPoolStaleConnectionReplacedTransparently: sshd restarts between two
// commands; the second one just works, on a new connection.
func TestPoolStaleConnectionReplacedTransparently(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{})
	tg := s.target()
	require.NoError(t, echoOK(t, p, tg))
	s.stop()
	s.start()
	require.NoError(t, echoOK(t, p, tg))
	require.EqualValues(t, 2, d.conns.Load())
}

func TestPoolConnectGivesUp(t *testing.T) {
	s := startSSHD(t)
	tg := s.target()
	s.stop()
	p, d := newTestPool(t, Config{ConnectTimeout: time.Second})
	start := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, 20)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.Run(context.Background(), tg, Command{Args: []string{"true"}})
		}()
	}
	wg.Wait()
	took := time.Since(start)
	for _, err := range errs {
		require.ErrorIs(t, err, ErrConnect)
		require.Contains(t, err.Error(), "connection refused")
		require.Contains(t, err.Error(), "attempts")
	}
	require.Less(t, took, 3*time.Second, "the 20 callers shared one dial instead of queueing")
	require.Greater(t, d.attempts.Load(), int64(2), "retried with backoff")
	require.Less(t, d.attempts.Load(), int64(15), "backoff, not a busy loop")

	// The caller's context bounds the wait too.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	p2, _ := newTestPool(t, Config{ConnectTimeout: time.Minute})
	start = time.Now()
	_, err := p2.Run(ctx, tg, Command{Args: []string{"true"}})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), time.Second)
}

func TestPoolKeepaliveDropsDeadConnection(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{KeepaliveInterval: 400 * time.Millisecond, KeepaliveMaxMissed: 3})
	tg := s.target()
	require.NoError(t, echoOK(t, p, tg))
	// Keepalives are answered: the connection stays.
	time.Sleep(2 * time.Second)
	require.Equal(t, 1, p.Stats().Conns)

	running := make(chan error, 1)
	go func() {
		_, err := p.Run(context.Background(), tg, Command{Args: []string{"sleep", "30"}})
		running <- err
	}()
	waitFor(t, 5*time.Second, "session open", func() bool { return p.Stats().Sessions == 1 })
	thaw := s.freeze() // the server side of the connection goes silent
	defer thaw()
	start := time.Now()
	// Dropped after about three missed keepalives (1.2 s); the command on it
	// sleeps 30 s, so ending well before that is the proof. No tighter bound:
	// under load a keepalive round trip alone can take a second.
	waitFor(t, 15*time.Second, "the dead connection to be dropped", func() bool { return p.Stats().Conns == 0 })
	require.Less(t, time.Since(start), 15*time.Second)
	select {
	case err := <-running:
		require.ErrorIs(t, err, ErrConnect)
		require.Contains(t, err.Error(), "keepalive")
	case <-time.After(10 * time.Second):
		t.Fatal("the command on the dead connection did not fail")
	}
	// The next command dials afresh (the listener was not frozen).
	require.NoError(t, echoOK(t, p, tg))
	require.EqualValues(t, 2, d.conns.Load())
}

func TestPoolIdleConnectionsClosed(t *testing.T) {
	s := startSSHD(t)
	p, d := newTestPool(t, Config{IdleTimeout: 300 * time.Millisecond})
	tg := s.target()
	// A connection in use is not idle, however long the command.
	_, err := p.Run(context.Background(), tg, Command{Args: []string{"sleep", "0.8"}})
	require.NoError(t, err)
	require.EqualValues(t, 1, d.conns.Load())
	require.Equal(t, 1, p.Stats().Conns)
	waitFor(t, 3*time.Second, "idle connection closed", func() bool { return p.Stats().Conns == 0 })
	require.NoError(t, echoOK(t, p, tg))
	require.EqualValues(t, 2, d.conns.Load())
}
