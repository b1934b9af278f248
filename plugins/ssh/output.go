package ssh

import (
	"bytes"
	"sync"
)

// StreamName says which output stream a line came from.
type StreamName string

// The two output streams of a remote command.
const (
	Stdout StreamName = "stdout"
	Stderr StreamName = "stderr"
)

// LineFunc receives the output of a running command line by line (without the
// line terminator), secrets masked. Calls are serialized: it is never called
// concurrently for one command, and never after Stream returned.
type LineFunc func(stream StreamName, line string)

// maxLineLen bounds a line handed to a LineFunc; longer lines are split.
const maxLineLen = 64 << 10

// lineWriter splits what is written into lines for fn.
type lineWriter struct {
	stream StreamName
	mu     *sync.Mutex // shared by a command's two streams
	fn     LineFunc
	buf    []byte
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.buf = append(lw.buf, p...)
	for {
		i := bytes.IndexByte(lw.buf, '\n')
		if i < 0 {
			break
		}
		lw.emit(lw.buf[:i])
		lw.buf = lw.buf[i+1:]
	}
	for len(lw.buf) >= maxLineLen {
		lw.emit(lw.buf[:maxLineLen])
		lw.buf = lw.buf[maxLineLen:]
	}
	// Compact so the buffer does not grow without bound.
	lw.buf = append(lw.buf[:0:0], lw.buf...)
	return len(p), nil
}

// Close emits a final unterminated line.
func (lw *lineWriter) Close() error {
	if len(lw.buf) > 0 {
		lw.emit(lw.buf)
		lw.buf = nil
	}
	return nil
}

func (lw *lineWriter) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.fn(lw.stream, string(line))
}

// cappedBuffer keeps the first max bytes written to it and notes whether more
// came. Writes never fail, so a chatty command cannot exhaust memory.
type cappedBuffer struct {
	max       int
	buf       bytes.Buffer
	truncated bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	room := c.max - c.buf.Len()
	if room < len(p) {
		c.truncated = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	c.buf.Write(p)
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max {
		t.buf = append(t.buf[:0:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) Bytes() []byte {
	if len(t.buf) > t.max {
		return t.buf[len(t.buf)-t.max:]
	}
	return t.buf
}
