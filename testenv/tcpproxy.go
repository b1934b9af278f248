package testenv

import (
	"net"
	"sync"
	"testing"
)

// TCPProxy forwards connections from a loopback port to a target address
// and can black-hole them, as a network partition would: while blocked,
// bytes already read are held and nothing more is forwarded either way
// (connections stay open, as with packets silently dropped); new
// connections are accepted and held. Unblock lets the held bytes through.
// A process cut off from etcd talks to the cluster through one of these.
type TCPProxy struct {
	// Addr is the proxy's address (host:port) to give the client.
	Addr string

	ln     net.Listener
	target string

	mu      sync.Mutex
	blocked bool
	open    *sync.Cond // broadcast when unblocked or closed
	closed  bool
	conns   []net.Conn
	wg      sync.WaitGroup
}

// StartTCPProxy proxies a free loopback port to target until the test
// ends.
func StartTCPProxy(t testing.TB, target string) *TCPProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: proxy: %v", err)
	}
	p := &TCPProxy{Addr: ln.Addr().String(), ln: ln, target: target}
	p.open = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Block black-holes the traffic (see TCPProxy).
func (p *TCPProxy) Block() {
	p.mu.Lock()
	p.blocked = true
	p.mu.Unlock()
}

// Unblock forwards again.
func (p *TCPProxy) Unblock() {
	p.mu.Lock()
	p.blocked = false
	p.open.Broadcast()
	p.mu.Unlock()
}

// Close stops the proxy and closes every connection.
func (p *TCPProxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.open.Broadcast()
	conns := p.conns
	p.mu.Unlock()
	_ = p.ln.Close()
	for _, c := range conns {
		_ = c.Close()
	}
	p.wg.Wait()
}

// pass waits while blocked; false once the proxy is closed.
func (p *TCPProxy) pass() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.blocked && !p.closed {
		p.open.Wait()
	}
	return !p.closed
}

func (p *TCPProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns = append(p.conns, c)
	return true
}

func (p *TCPProxy) accept() {
	defer p.wg.Done()
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		if !p.track(in) {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			if !p.pass() {
				return
			}
			out, err := net.Dial("tcp", p.target)
			if err != nil {
				_ = in.Close()
				return
			}
			if !p.track(out) {
				_ = in.Close()
				return
			}
			p.wg.Add(2)
			go p.copy(out, in)
			go p.copy(in, out)
		}()
	}
}

// copy forwards src to dst, holding what it read while blocked.
func (p *TCPProxy) copy(dst, src net.Conn) {
	defer p.wg.Done()
	defer func() { _ = dst.Close(); _ = src.Close() }()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.pass() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return // io.EOF or a closed connection: both ends close
		}
	}
}
