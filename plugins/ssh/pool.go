package ssh

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Config tunes a Pool. Zero values mean the documented defaults.
type Config struct {
	// KnownHostsFile is checked when a Target names none. Default
	// ~/.ssh/known_hosts.
	KnownHostsFile string
	// ConnectTimeout bounds connecting, retries included. Default 60s.
	ConnectTimeout time.Duration
	// DialTimeout bounds one attempt (TCP connect + SSH handshake). Default 15s.
	DialTimeout time.Duration
	// RetryInitial and RetryMax are the first and the largest pause between
	// connection attempts (doubling, with jitter). Defaults 250ms and 5s.
	RetryInitial, RetryMax time.Duration
	// KeepaliveInterval is how often a keepalive@openssh.com request is sent;
	// a connection that leaves KeepaliveMaxMissed requests in a row unanswered
	// (each given one interval) is closed and dropped. Defaults 15s and 3;
	// a negative interval disables keepalives.
	KeepaliveInterval  time.Duration
	KeepaliveMaxMissed int
	// IdleTimeout closes a connection no command used for that long.
	// Default 2m; negative keeps idle connections open.
	IdleTimeout time.Duration
	// MaxSessions bounds the concurrent sessions on one connection; further
	// commands wait for a free one. Default 10 (OpenSSH's MaxSessions).
	MaxSessions int
	// KillGrace is how long a timed-out or cancelled command gets between
	// SIGTERM and SIGKILL. Default 1s.
	KillGrace time.Duration
	// MaxOutput bounds the stdout and stderr kept in a Result, each. Default 64 MiB.
	MaxOutput int
	// Dial opens the TCP connection. Default net.Dialer.DialContext.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	if c.KnownHostsFile == "" {
		c.KnownHostsFile = defaultKnownHosts()
	}
	def(&c.ConnectTimeout, 60*time.Second)
	def(&c.DialTimeout, 15*time.Second)
	def(&c.RetryInitial, 250*time.Millisecond)
	def(&c.RetryMax, 5*time.Second)
	def(&c.KeepaliveInterval, 15*time.Second)
	def(&c.IdleTimeout, 2*time.Minute)
	def(&c.KillGrace, time.Second)
	if c.KeepaliveMaxMissed <= 0 {
		c.KeepaliveMaxMissed = 3
	}
	if c.MaxSessions <= 0 {
		c.MaxSessions = 10
	}
	if c.MaxOutput <= 0 {
		c.MaxOutput = 64 << 20
	}
	if c.Dial == nil {
		d := &net.Dialer{KeepAlive: 30 * time.Second}
		c.Dial = d.DialContext
	}
	return c
}

// Pool runs commands on remote hosts over pooled SSH connections. It is safe
// for concurrent use. The zero value is not usable: call NewPool.
type Pool struct {
	cfg    Config
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	entries map[poolKey]*entry
	closed  bool

	dials    atomic.Int64 // successful connections made
	attempts atomic.Int64 // connection attempts
	sessions atomic.Int64 // sessions open now
	peak     atomic.Int64 // most sessions open at once
}

// entry is the pool's slot for one key: the live connection, if any, and the
// dial in progress, if any (shared by everyone waiting for it).
type entry struct {
	conn     *conn
	inflight *dialCall
}

type dialCall struct {
	done chan struct{}
	conn *conn
	err  error
}

// Stats is a snapshot of a Pool's activity.
type Stats struct {
	Conns        int   // connections open now
	Dials        int64 // connections established so far
	Attempts     int64 // connection attempts so far (failed ones included)
	Sessions     int64 // sessions open now
	PeakSessions int64 // most sessions open at once so far
}

// NewPool returns a Pool configured by cfg.
func NewPool(cfg Config) *Pool {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	p := &Pool{cfg: cfg, ctx: ctx, cancel: cancel, entries: map[poolKey]*entry{}}
	if cfg.IdleTimeout > 0 {
		p.wg.Add(1)
		go p.reapIdle()
	}
	return p
}

// Stats reports the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	n := 0
	for _, e := range p.entries {
		if e.conn != nil {
			n++
		}
	}
	p.mu.Unlock()
	return Stats{Conns: n, Dials: p.dials.Load(), Attempts: p.attempts.Load(),
		Sessions: p.sessions.Load(), PeakSessions: p.peak.Load()}
}

// Close closes every connection (running commands fail with ErrConnect) and
// makes further calls fail with ErrClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	var conns []*conn
	for _, e := range p.entries {
		if e.conn != nil {
			conns = append(conns, e.conn)
		}
	}
	p.entries = map[poolKey]*entry{}
	p.mu.Unlock()
	p.cancel()
	for _, c := range conns {
		c.close(ErrClosed)
	}
	p.wg.Wait()
	return nil
}

func (p *Pool) key(t Target) (poolKey, error) {
	if err := t.validate(); err != nil {
		return poolKey{}, err
	}
	id, err := t.identity()
	if err != nil {
		return poolKey{}, err
	}
	kh := t.KnownHostsFile
	if kh == "" {
		kh = p.cfg.KnownHostsFile
	}
	if abs, err := filepath.Abs(kh); err == nil {
		kh = abs
	}
	return poolKey{addr: t.Addr(), user: t.User, identity: id, knownHosts: kh, tofu: t.TrustOnFirstUse}, nil
}

// getConn returns a live connection for key, dialling one if needed. The
// caller must call conn.release when done with it.
func (p *Pool) getConn(ctx context.Context, t Target, key poolKey) (*conn, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, ErrClosed
	}
	e := p.entries[key]
	if e == nil {
		e = &entry{}
		p.entries[key] = e
	}
	if c := e.conn; c != nil && c.alive() {
		c.acquire()
		p.mu.Unlock()
		return c, nil
	}
	call := e.inflight
	if call == nil {
		call = &dialCall{done: make(chan struct{})}
		e.inflight = call
		p.wg.Add(1)
		go p.dial(t, key, e, call)
	}
	p.mu.Unlock()

	select {
	case <-call.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("ssh: waiting for connection to %s: %w", t, ctx.Err())
	}
	if call.err != nil {
		return nil, call.err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !call.conn.alive() {
		return nil, fmt.Errorf("%w: %s: connection closed right after it was made", ErrConnect, t)
	}
	call.conn.acquire()
	return call.conn, nil
}

// dial connects (with retries) on behalf of everyone waiting for key. It runs
// detached from any one caller's context, bounded by ConnectTimeout and Close.
func (p *Pool) dial(t Target, key poolKey, e *entry, call *dialCall) {
	defer p.wg.Done()
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.ConnectTimeout)
	defer cancel()
	c, err := p.connect(ctx, t, key)
	p.mu.Lock()
	if err == nil && p.closed {
		err = ErrClosed
	}
	if err == nil {
		e.conn = c
		c.touch()
	}
	e.inflight = nil
	call.conn, call.err = c, err
	p.mu.Unlock()
	if err != nil && c != nil {
		c.close(err)
	}
	close(call.done)
}

// drop forgets c if it is still key's connection.
func (p *Pool) drop(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.entries[c.key]; e != nil && e.conn == c {
		e.conn = nil
		if e.inflight == nil {
			delete(p.entries, c.key)
		}
	}
}

// reapIdle closes connections unused for IdleTimeout.
func (p *Pool) reapIdle() {
	defer p.wg.Done()
	every := min(max(p.cfg.IdleTimeout/4, 50*time.Millisecond), 30*time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		}
		var idle []*conn
		p.mu.Lock()
		for k, e := range p.entries {
			if e.conn == nil && e.inflight == nil {
				delete(p.entries, k)
				continue
			}
			// Under p.mu nobody can acquire the connection meanwhile:
			// getConn hands connections out under the same lock.
			if c := e.conn; c != nil && c.idleFor() > p.cfg.IdleTimeout {
				c.dead.Store(true)
				e.conn = nil
				idle = append(idle, c)
			}
		}
		p.mu.Unlock()
		for _, c := range idle {
			c.close(fmt.Errorf("idle for more than %s", p.cfg.IdleTimeout))
		}
	}
}

func (p *Pool) sessionOpened() {
	n := p.sessions.Add(1)
	for {
		old := p.peak.Load()
		if n <= old || p.peak.CompareAndSwap(old, n) {
			return
		}
	}
}

func (p *Pool) sessionClosed() { p.sessions.Add(-1) }
