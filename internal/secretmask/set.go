package secretmask

import "sync"

// Set is a growing set of secret values, masked together. The zero value is
// empty and ready to use; it is safe for concurrent use.
type Set struct {
	mu     sync.RWMutex
	values []string
	seen   map[string]struct{}
	m      *Masker
}

// Add remembers a secret value (values shorter than MinLen without a longer
// fragment change nothing).
func (s *Set) Add(v string) {
	if len(Fragments(v)) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[v]; ok {
		return
	}
	if s.seen == nil {
		s.seen = map[string]struct{}{}
	}
	s.seen[v] = struct{}{}
	s.values = append(s.values, v)
	s.m = New(s.values...)
}

// Masker returns a Masker for the values added so far (nil when none).
func (s *Set) Masker() *Masker {
	if s == nil {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.m
}

// String returns x with every value added so far masked.
func (s *Set) String(x string) string {
	if x == "" {
		return x
	}
	return s.Masker().String(x)
}
