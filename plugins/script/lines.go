package script

import (
	"bytes"
	"strings"
	"sync"
)

// maxLine splits overlong lines.
const maxLine = 64 << 10

// lineWriter turns a byte stream into lines and emits each; it keeps the
// last few lines for error messages.
type lineWriter struct {
	mu   sync.Mutex
	emit func(string)
	buf  []byte
	keep int
	tail []string
}

func newLineWriter(emit func(string), keep int) *lineWriter {
	return &lineWriter{emit: emit, keep: keep}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			if len(w.buf) >= maxLine {
				w.line(string(w.buf[:maxLine]))
				w.buf = append(w.buf[:0], w.buf[maxLine:]...)
				continue
			}
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
	}
	return len(p), nil
}

func (w *lineWriter) line(l string) {
	l = strings.TrimRight(l, "\r")
	w.emit(l)
	if w.keep > 0 {
		w.tail = append(w.tail, l)
		if len(w.tail) > w.keep {
			w.tail = w.tail[1:]
		}
	}
}

// Close emits a last unterminated line.
func (w *lineWriter) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
}

// Tail returns the last kept lines, joined, at most 2 KiB.
func (w *lineWriter) Tail() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := strings.TrimSpace(strings.Join(w.tail, "\n"))
	if len(s) > 2048 {
		s = "..." + s[len(s)-2048:]
	}
	return s
}
