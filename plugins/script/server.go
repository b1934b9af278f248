package script

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gantryhq/gantry/plugins"
)

// server answers ctx invocations of running scripts over a private unix
// socket. One server serves every script the plugin runs; each operation
// gets its own token.
type server struct {
	dir    string // private 0700 temp dir
	sock   string
	binDir string // holds the ctx symlink; prepended to scripts' PATH
	pyDir  string // holds the cloudify Python package; first on PYTHONPATH
	ln     net.Listener

	mu       sync.Mutex
	sessions map[string]*session
	wg       sync.WaitGroup
}

func startServer(tmpRoot, ctxBinary string) (*server, error) {
	dir, err := os.MkdirTemp(tmpRoot, "gantry-ctx-")
	if err != nil {
		return nil, fmt.Errorf("script plugin: create ctx directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("script plugin: %w", err)
	}
	s := &server{dir: dir, sock: filepath.Join(dir, "ctx.sock"), binDir: filepath.Join(dir, "bin"), sessions: map[string]*session{}}
	if err := os.Mkdir(s.binDir, 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("script plugin: %w", err)
	}
	if err := os.Symlink(ctxBinary, filepath.Join(s.binDir, CtxName)); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("script plugin: install ctx command: %w", err)
	}
	if s.pyDir, err = writePythonPackage(dir); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	ln, err := net.Listen("unix", s.sock)
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("script plugin: listen on ctx socket: %w", err)
	}
	if err := os.Chmod(s.sock, 0o600); err != nil {
		ln.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("script plugin: %w", err)
	}
	s.ln = ln
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

func (s *server) serve() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handleConn(conn)
		}()
	}
}

func (s *server) handleConn(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Minute))
	var req request
	var resp response
	err := json.NewDecoder(io.LimitReader(conn, maxMessage)).Decode(&req)
	if rest := stripFlags(req.Args); err == nil && len(rest) > 0 && isGraphCommand(rest[0]) {
		// A workflow script's request runs as long as its operation
		// does (bounded by that operation's own timeout).
		_ = conn.SetDeadline(time.Time{})
	}
	if err != nil {
		resp.Error = "bad request: " + err.Error()
	} else if sess := s.lookup(req.Token); sess == nil {
		resp.Error = "unknown or expired operation token"
	} else if out, err := sess.handle(req.Args); err != nil {
		resp.Error = err.Error()
	} else {
		resp.OK, resp.Output = true, out
	}
	_ = conn.SetWriteDeadline(time.Now().Add(time.Minute))
	_ = json.NewEncoder(conn).Encode(resp)
}

func (s *server) lookup(token string) *session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[token]
}

// register creates a session for an operation and returns its token.
func (s *server) register(oc *plugins.Context) (*session, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("script plugin: token: %w", err)
	}
	sess := &session{oc: oc, token: hex.EncodeToString(b[:])}
	s.mu.Lock()
	s.sessions[sess.token] = sess
	s.mu.Unlock()
	return sess, nil
}

func (s *server) unregister(sess *session) {
	s.mu.Lock()
	delete(s.sessions, sess.token)
	s.mu.Unlock()
}

func (s *server) close() error {
	err := s.ln.Close()
	s.wg.Wait()
	if rerr := os.RemoveAll(s.dir); err == nil {
		err = rerr
	}
	return err
}
