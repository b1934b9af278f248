package secretmask

import (
	"bytes"
	"io"
	"slices"
	"sync"
)

// Replacement is what a secret value is replaced with.
const Replacement = "******"

// MinLen is the shortest value or fragment masked on its own (see the
// package comment).
const MinLen = 4

// Masker replaces secret values with ******. A nil *Masker masks nothing.
// It is safe for concurrent use; the writers it returns are not.
type Masker struct {
	secrets [][]byte // longest first, so a longer secret wins over its prefix
	first   [256]bool
}

// New returns a Masker for the given secret values and their fragments
// (see the package comment). It returns nil when nothing is left to mask.
func New(secrets ...string) *Masker {
	m := &Masker{}
	seen := map[string]bool{}
	for _, v := range secrets {
		for _, s := range Fragments(v) {
			if seen[s] {
				continue
			}
			seen[s] = true
			m.secrets = append(m.secrets, []byte(s))
			m.first[s[0]] = true
		}
	}
	if len(m.secrets) == 0 {
		return nil
	}
	slices.SortFunc(m.secrets, func(a, b []byte) int { return len(b) - len(a) })
	return m
}

// String returns s with every secret replaced.
func (m *Masker) String(s string) string {
	if m == nil {
		return s
	}
	out, _ := m.mask(nil, []byte(s), true)
	return string(out)
}

// Bytes returns b with every secret replaced (a new slice when m is non-nil).
func (m *Masker) Bytes(b []byte) []byte {
	if m == nil {
		return b
	}
	out, _ := m.mask(nil, b, true)
	return out
}

// mask appends the masked form of buf to out. Unless final, it stops at the
// first position where buf's remainder could still become a secret once more
// bytes arrive, and returns that remainder as rest.
func (m *Masker) mask(out, buf []byte, final bool) (masked, rest []byte) {
	i := 0
scan:
	for i < len(buf) {
		if !m.first[buf[i]] {
			j := i + 1
			for j < len(buf) && !m.first[buf[j]] {
				j++
			}
			out = append(out, buf[i:j]...)
			i = j
			continue
		}
		r := buf[i:]
		for _, s := range m.secrets {
			if len(r) >= len(s) {
				if bytes.HasPrefix(r, s) {
					out = append(out, Replacement...)
					i += len(s)
					continue scan
				}
			} else if !final && bytes.HasPrefix(s, r) {
				// A longer secret may still match: wait for more input.
				return out, buf[i:]
			}
		}
		out = append(out, buf[i])
		i++
	}
	return out, nil
}

// Writer returns a writer that masks what is written to it and passes it on to
// w. It holds back only the bytes that could be the start of a secret; Close
// flushes them (and does not close w).
func (m *Masker) Writer(w io.Writer) io.WriteCloser {
	if m == nil {
		return nopCloser{w}
	}
	return &maskWriter{m: m, w: w}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

type maskWriter struct {
	mu      sync.Mutex
	m       *Masker
	w       io.Writer
	pending []byte
	out     []byte
}

func (mw *maskWriter) Write(p []byte) (int, error) {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	buf := p
	if len(mw.pending) > 0 {
		buf = append(mw.pending, p...)
	}
	var rest []byte
	mw.out, rest = mw.m.mask(mw.out[:0], buf, false)
	mw.pending = append(mw.pending[:0:0], rest...)
	if len(mw.out) > 0 {
		if _, err := mw.w.Write(mw.out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (mw *maskWriter) Close() error {
	mw.mu.Lock()
	defer mw.mu.Unlock()
	if len(mw.pending) == 0 {
		return nil
	}
	mw.out, _ = mw.m.mask(mw.out[:0], mw.pending, true)
	mw.pending = nil
	_, err := mw.w.Write(mw.out)
	return err
}
