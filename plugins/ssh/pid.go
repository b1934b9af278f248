package ssh

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"sync"
)

// OpenSSH refuses "signal" requests for sessions without post-auth privilege
// separation (root logins, older servers), and closing a session does not
// kill the command. So the command line first reports its pid (the login
// shell's, which exec makes the command's; sshd makes it a process group
// leader) on stderr, behind a per-command nonce, and stop kills the group
// with kill(1) over a second session.

// maxPidSearch bounds how much stderr is held back looking for the pid line
// (rc files of the login shell may print before it).
const maxPidSearch = 64 << 10

func newPidMarker() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "gantry-pid:" + hex.EncodeToString(b) + ":"
}

// pidPrologue is the shell code that reports the pid.
func pidPrologue(marker string) string {
	return fmt.Sprintf(`printf '%s%%s\n' "$$" >&2; `, marker)
}

// pidCatcher takes the pid line out of the stderr stream.
type pidCatcher struct {
	w      io.Writer
	marker []byte

	mu   sync.Mutex
	done bool
	buf  []byte
	pid  int
}

func (pc *pidCatcher) Write(p []byte) (int, error) {
	pc.mu.Lock()
	if pc.done {
		pc.mu.Unlock()
		return pc.w.Write(p)
	}
	pc.buf = append(pc.buf, p...)
	var out []byte
	if i := bytes.Index(pc.buf, pc.marker); i >= 0 {
		rest := pc.buf[i+len(pc.marker):]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			pc.mu.Unlock()
			return len(p), nil
		}
		pc.pid, _ = strconv.Atoi(string(rest[:nl]))
		out = append(append(out, pc.buf[:i]...), rest[nl+1:]...)
		pc.done = true
	} else if len(pc.buf) > maxPidSearch {
		out, pc.done = pc.buf, true
	}
	if pc.done {
		pc.buf = nil
	}
	pc.mu.Unlock()
	if len(out) > 0 {
		if _, err := pc.w.Write(out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

// Close passes on whatever was held back.
func (pc *pidCatcher) Close() error {
	pc.mu.Lock()
	buf := pc.buf
	pc.buf, pc.done = nil, true
	pc.mu.Unlock()
	if len(buf) > 0 {
		_, err := pc.w.Write(buf)
		return err
	}
	return nil
}

// PID is the remote process id, or 0 when not (yet) known.
func (pc *pidCatcher) PID() int {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	return pc.pid
}
