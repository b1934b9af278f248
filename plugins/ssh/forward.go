package ssh

import (
	"context"
	"fmt"
	"net"
	"sync"
)

// ListenRemote asks the remote host to listen on 127.0.0.1 (a free port)
// and forward every connection made there back over the pooled SSH
// connection (OpenSSH's remote port forwarding, `ssh -R`). Gantry uses it
// to let scripts on a host reach the running gantry. The listener holds
// the connection open until Close.
func (p *Pool) ListenRemote(ctx context.Context, t Target) (net.Listener, error) {
	key, err := p.key(t)
	if err != nil {
		return nil, err
	}
	c, err := p.getConn(ctx, t, key)
	if err != nil {
		return nil, err
	}
	ln, err := c.client.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.release()
		return nil, fmt.Errorf("%w: %s: remote port forwarding refused (is AllowTcpForwarding enabled on the host?): %v", ErrConnect, t, err)
	}
	return &remoteListener{Listener: ln, release: c.release}, nil
}

type remoteListener struct {
	net.Listener
	once    sync.Once
	release func()
}

func (l *remoteListener) Close() error {
	err := l.Listener.Close()
	l.once.Do(l.release)
	return err
}
