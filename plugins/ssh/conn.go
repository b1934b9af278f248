package ssh

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gossh "golang.org/x/crypto/ssh"
)

// conn is one pooled SSH connection.
type conn struct {
	pool   *Pool
	key    poolKey
	target string // user@host:port, for messages
	client *gossh.Client
	slots  chan struct{} // one token per open session

	dead      atomic.Bool
	closeOnce sync.Once
	done      chan struct{} // closed once the connection is gone
	whyMu     sync.Mutex
	why       error // why it was closed

	mu       sync.Mutex
	inUse    int
	lastUsed time.Time
}

func (c *conn) alive() bool { return !c.dead.Load() }

// acquire and release count the callers using the connection (so it is not
// closed as idle under them).
func (c *conn) acquire() {
	c.mu.Lock()
	c.inUse++
	c.mu.Unlock()
}

func (c *conn) release() {
	c.mu.Lock()
	c.inUse--
	c.lastUsed = time.Now()
	c.mu.Unlock()
}

func (c *conn) touch() {
	c.mu.Lock()
	c.lastUsed = time.Now()
	c.mu.Unlock()
}

func (c *conn) idleFor() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inUse > 0 {
		return 0
	}
	return time.Since(c.lastUsed)
}

// close shuts the connection down for reason (first reason wins) and drops
// it from the pool.
func (c *conn) close(reason error) {
	c.closeOnce.Do(func() {
		c.whyMu.Lock()
		c.why = reason
		c.whyMu.Unlock()
		c.dead.Store(true)
		c.pool.drop(c)
		_ = c.client.Close()
	})
}

func (c *conn) reason() error {
	c.whyMu.Lock()
	defer c.whyMu.Unlock()
	return c.why
}

// watch notices the connection ending (server gone, network error).
func (c *conn) watch() {
	defer c.pool.wg.Done()
	err := c.client.Wait()
	if err == nil {
		err = io.EOF
	}
	c.close(fmt.Errorf("connection lost: %w", err))
	close(c.done)
}

// keepalive sends keepalive@openssh.com requests and closes the connection
// when KeepaliveMaxMissed of them in a row get no answer within an interval.
func (c *conn) keepalive(interval time.Duration, maxMissed int) {
	defer c.pool.wg.Done()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	missed := 0
	for {
		select {
		case <-c.done:
			return
		case <-tick.C:
		}
		reply := make(chan error, 1)
		go func() {
			// OpenSSH answers with a failure reply; any reply proves life.
			_, _, err := c.client.SendRequest("keepalive@openssh.com", true, nil)
			reply <- err
		}()
		timer := time.NewTimer(interval)
		select {
		case <-c.done:
			timer.Stop()
			return
		case err := <-reply:
			timer.Stop()
			if err != nil {
				c.close(fmt.Errorf("keepalive failed: %w", err))
				return
			}
			missed = 0
		case <-timer.C:
			missed++
			if missed >= maxMissed {
				c.close(fmt.Errorf("%w: %d keepalives in a row unanswered", ErrConnect, missed))
				return
			}
		}
	}
}

// errSaturated means the server refused a new session channel (e.g. its
// MaxSessions is lower than ours); waiting for one to end helps.
var errSaturated = errors.New("server refused a new session")

// newSession opens a session, waiting for a free slot. On success the caller
// must call closeSession.
func (c *conn) newSession(ctx context.Context) (*gossh.Session, error) {
	select {
	case c.slots <- struct{}{}:
	case <-c.done:
		return nil, c.lostError()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	type opened struct {
		s   *gossh.Session
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		s, err := c.client.NewSession()
		ch <- opened{s, err}
	}()
	var s *gossh.Session
	var err error
	select {
	case o := <-ch:
		s, err = o.s, o.err
	case <-ctx.Done():
		// Give the slot back once the open finishes one way or the other.
		go func() {
			if o := <-ch; o.s != nil {
				_ = o.s.Close()
			}
			<-c.slots
		}()
		return nil, ctx.Err()
	}
	if err != nil {
		<-c.slots
		var oce *gossh.OpenChannelError
		if errors.As(err, &oce) {
			return nil, fmt.Errorf("%w: %v", errSaturated, oce)
		}
		if c.alive() {
			c.close(fmt.Errorf("opening a session: %w", err))
		}
		return nil, c.lostError()
	}
	c.pool.sessionOpened()
	return s, nil
}

func (c *conn) closeSession(s *gossh.Session) {
	_ = s.Close()
	c.pool.sessionClosed()
	<-c.slots
}

func (c *conn) lostError() error {
	return fmt.Errorf("%w: %s: %w", ErrConnect, c.target, c.reason())
}

// connect dials key's host, retrying retryable failures with exponential
// backoff until ctx ends.
func (p *Pool) connect(ctx context.Context, t Target, key poolKey) (*conn, error) {
	start := time.Now()
	wait := p.cfg.RetryInitial
	for attempt := 1; ; attempt++ {
		c, err := p.dialOnce(ctx, t, key)
		if err == nil {
			return c, nil
		}
		if !errors.Is(err, ErrConnect) {
			return nil, err
		}
		pause := wait/2 + rand.N(wait/2+1)
		wait = min(2*wait, p.cfg.RetryMax)
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < pause {
			return nil, fmt.Errorf("%w (gave up after %d attempts in %s)", err, attempt, time.Since(start).Round(time.Millisecond))
		}
		timer := time.NewTimer(pause)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, fmt.Errorf("%w (gave up after %d attempts in %s)", err, attempt, time.Since(start).Round(time.Millisecond))
		}
	}
}

// dialOnce makes one attempt: TCP, handshake with host key check, auth.
// Errors wrap ErrConnect when a retry may help.
func (p *Pool) dialOnce(ctx context.Context, t Target, key poolKey) (*conn, error) {
	p.attempts.Add(1)
	ctx, cancel := context.WithTimeout(ctx, p.cfg.DialTimeout)
	defer cancel()

	hk := &hostKeyChecker{file: key.knownHosts, tofu: key.tofu, host: key.addr, port: t.port()}
	algos, err := hk.algorithms()
	if err != nil {
		return nil, err
	}
	methods, agentConn, err := t.authMethods()
	if err != nil {
		return nil, err
	}
	defer agentConn.Close()
	cfg := &gossh.ClientConfig{
		User:              t.User,
		Auth:              methods,
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: algos,
	}

	nc, err := p.cfg.Dial(ctx, "tcp", key.addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrConnect, t, err)
	}
	// Bound the handshake too: a server that accepts and then stalls must
	// not hang us.
	if dl, ok := ctx.Deadline(); ok {
		_ = nc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Now()) })
	cc, chans, reqs, err := gossh.NewClientConn(nc, key.addr, cfg)
	if !stop() && err == nil {
		err = ctx.Err()
		cc.Close()
	}
	if err != nil {
		nc.Close()
		switch {
		case hk.err != nil:
			return nil, hk.err
		case strings.Contains(err.Error(), "unable to authenticate"):
			return nil, fmt.Errorf("%w: %s: %w", ErrAuth, t, err)
		case ctx.Err() != nil && err != ctx.Err():
			return nil, fmt.Errorf("%w: %s: %w (%w)", ErrConnect, t, err, ctx.Err())
		default:
			return nil, fmt.Errorf("%w: %s: %w", ErrConnect, t, err)
		}
	}
	_ = nc.SetDeadline(time.Time{})

	c := &conn{
		pool:   p,
		key:    key,
		target: t.String(),
		client: gossh.NewClient(cc, chans, reqs),
		slots:  make(chan struct{}, p.cfg.MaxSessions),
		done:   make(chan struct{}),
	}
	p.dials.Add(1)
	p.wg.Add(1)
	go c.watch()
	if p.cfg.KeepaliveInterval > 0 {
		p.wg.Add(1)
		go c.keepalive(p.cfg.KeepaliveInterval, p.cfg.KeepaliveMaxMissed)
	}
	return c, nil
}
