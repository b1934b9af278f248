package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"sync"
	"time"
)

// The HTTP names of a console session.
const (
	// SessionCookie is the cookie holding a session's id.
	SessionCookie = "gantry_session"
	// CSRFHeader carries a session's CSRF token on every write.
	CSRFHeader = "X-CSRF-Token"
)

// Session limits and defaults.
const (
	// DefaultSessionIdle ends a session unused for this long.
	DefaultSessionIdle = 8 * time.Hour
	// DefaultSessionMax ends a session this long after sign-in, used or not.
	DefaultSessionMax = 24 * time.Hour
	// DefaultMaxSessions bounds the sessions held at once; signing in
	// beyond it ends the least recently used one.
	DefaultMaxSessions = 10_000
	// sessionBytes is the entropy of a session id and of a CSRF token.
	sessionBytes = 32
	// MaxSessionIDLen bounds a presented session id before it is read.
	MaxSessionIDLen = 2 * sessionBytes
)

// SessionOptions bound a Sessions (zero values take the defaults).
type SessionOptions struct {
	Idle, Max time.Duration
	Limit     int
	// Now is the clock (tests set it); default time.Now.
	Now func() time.Time
}

// Session is one sign-in of the web console. Its id travels only in an
// HttpOnly cookie; its CSRF token only in a response body and a request
// header. It holds the token it was made from, in memory only, so that
// every request through it is authenticated again (a revoked or expired
// token ends its sessions at their next request).
type Session struct {
	// ID is the session's secret id (the cookie's value).
	ID string
	// CSRF must come back in a header with every write made with the cookie.
	CSRF      string
	Principal Principal
	token     string
	created   time.Time
	used      time.Time
}

// Token returns the bearer token the session stands for. The server puts
// it on the request it forwards; it is never sent to the browser.
func (s *Session) Token() string { return s.token }

// CheckCSRF compares a presented CSRF token with the session's in
// constant time; ErrCSRF when it is missing or differs.
func (s *Session) CheckCSRF(presented string) error {
	if presented == "" || subtle.ConstantTimeCompare([]byte(presented), []byte(s.CSRF)) != 1 {
		return ErrCSRF
	}
	return nil
}

// Sessions holds the console's sessions in memory (a server restart signs
// everyone out). It is safe for concurrent use; every operation is O(1)
// but signing in while full, which scans once to end the least recently
// used session.
type Sessions struct {
	opt  SessionOptions
	mu   sync.Mutex
	byID map[string]*Session // by the SHA-256 of the id
}

// NewSessions returns an empty set of sessions.
func NewSessions(opt SessionOptions) *Sessions {
	if opt.Idle <= 0 {
		opt.Idle = DefaultSessionIdle
	}
	if opt.Max <= 0 {
		opt.Max = DefaultSessionMax
	}
	if opt.Limit <= 0 {
		opt.Limit = DefaultMaxSessions
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Sessions{opt: opt, byID: map[string]*Session{}}
}

// MaxAge is how long a session may live: the cookie's Max-Age.
func (ss *Sessions) MaxAge() time.Duration { return ss.opt.Max }

// Create starts a session for p, who authenticated with token.
func (ss *Sessions) Create(p Principal, token string) (*Session, error) {
	id, err := randomHex()
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	csrf, err := randomHex()
	if err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	now := ss.opt.Now()
	s := &Session{ID: id, CSRF: csrf, Principal: p, token: token, created: now, used: now}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if len(ss.byID) >= ss.opt.Limit {
		ss.evictLocked(now)
	}
	ss.byID[sessionKey(id)] = s
	return s, nil
}

// Get returns the live session with id and marks it used; ErrNoSession
// when there is none (unknown, signed out, idle too long or too old).
func (ss *Sessions) Get(id string) (*Session, error) {
	if id == "" || len(id) > MaxSessionIDLen {
		return nil, ErrNoSession
	}
	key := sessionKey(id)
	now := ss.opt.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.byID[key]
	if !ok {
		return nil, ErrNoSession
	}
	if ss.expired(s, now) {
		delete(ss.byID, key)
		return nil, ErrNoSession
	}
	s.used = now
	cp := *s
	return &cp, nil
}

// Delete ends the session with id (signing out); unknown ids are ignored.
func (ss *Sessions) Delete(id string) {
	if id == "" || len(id) > MaxSessionIDLen {
		return
	}
	ss.mu.Lock()
	delete(ss.byID, sessionKey(id))
	ss.mu.Unlock()
}

// Len is how many sessions are held (expired ones included until swept).
func (ss *Sessions) Len() int {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return len(ss.byID)
}

func (ss *Sessions) expired(s *Session, now time.Time) bool {
	return now.Sub(s.used) >= ss.opt.Idle || now.Sub(s.created) >= ss.opt.Max
}

// evictLocked drops every expired session, and if none was, the least
// recently used one.
func (ss *Sessions) evictLocked(now time.Time) {
	var oldestKey string
	var oldest time.Time
	dropped := false
	for k, s := range ss.byID {
		if ss.expired(s, now) {
			delete(ss.byID, k)
			dropped = true
			continue
		}
		if oldestKey == "" || s.used.Before(oldest) {
			oldestKey, oldest = k, s.used
		}
	}
	if !dropped && oldestKey != "" {
		delete(ss.byID, oldestKey)
	}
}

func randomHex() (string, error) {
	b := make([]byte, sessionBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return string(h[:])
}
