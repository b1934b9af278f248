package remote

import (
	"bufio"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// maxArgs and maxLine bound one ctx request from a host.
const (
	maxArgs = 256
	maxLine = 16 << 20
)

// bridge serves the ctx requests that arrive through the remote forward.
type bridge struct {
	ln     net.Listener
	token  string
	handle func(args []string) (string, error)
	wg     sync.WaitGroup
}

func (b *bridge) serve() {
	defer b.wg.Done()
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Minute))
			b.answer(c)
		}()
	}
}

func (b *bridge) answer(c io.ReadWriter) {
	args, err := b.read(c)
	var out string
	if err == nil {
		out, err = b.handle(args)
	}
	status := "ok"
	if err != nil {
		status, out = "err", err.Error()
	}
	fmt.Fprintf(c, "%s\n%s\n", status, base64.StdEncoding.EncodeToString([]byte(out)))
}

// read parses one request: token line, base64 argument lines, ".".
func (b *bridge) read(r io.Reader) ([]string, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	if !sc.Scan() {
		return nil, errors.New("empty request")
	}
	// The whole request is read before the token is checked, so that the
	// client never writes into a closed connection.
	tokenOK := subtle.ConstantTimeCompare([]byte(strings.TrimSpace(sc.Text())), []byte(b.token)) == 1
	var args []string
	for sc.Scan() {
		line := sc.Text()
		if line == "." {
			if !tokenOK {
				return nil, errors.New("unknown or expired operation token")
			}
			return args, nil
		}
		if len(args) == maxArgs {
			return nil, fmt.Errorf("more than %d arguments", maxArgs)
		}
		a, err := base64.StdEncoding.DecodeString(line)
		if err != nil {
			return nil, fmt.Errorf("bad argument encoding: %v", err)
		}
		args = append(args, string(a))
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, errors.New("request not terminated")
}

func (b *bridge) close() {
	_ = b.ln.Close()
	b.wg.Wait()
}
