package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/gantryhq/gantry/store"
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
	// DefaultMaxSessions bounds the sessions kept at once; signing in
	// beyond it ends the least recently used one.
	DefaultMaxSessions = 10_000
	// DefaultSessionTouch is how stale a session's last-use time may get
	// before a use writes it again: uses cost a read, not a write each.
	DefaultSessionTouch = time.Minute
	// sessionBytes is the entropy of a session id.
	sessionBytes = 32
	// MaxSessionIDLen bounds a presented session id before it is read.
	MaxSessionIDLen = 2 * sessionBytes
)

// csrfLabel keys the CSRF token's derivation from the session id.
var csrfLabel = []byte("gantry console csrf")

// SessionOptions bound a Sessions (zero values take the defaults).
type SessionOptions struct {
	Idle, Max, Touch time.Duration
	Limit            int
	// Now is the clock (tests set it); default the Auth's.
	Now func() time.Time
}

// Session is one sign-in of the web console. Its id travels only in an
// HttpOnly cookie; its CSRF token only in a response body and a request
// header. The store keeps the SHA-256 of the id and the id of the token
// the session was made from, never the id nor the token; the CSRF token
// is derived from the id (HMAC-SHA256), so it survives a restart without
// being stored. Every use reads the token record again: a revoked,
// expired or deleted token ends its sessions.
type Session struct {
	// ID is the session's secret id (the cookie's value); set by Create
	// and Get.
	ID string
	// CSRF must come back in a header with every write made with the cookie.
	CSRF      string
	Principal Principal
}

// CheckCSRF compares a presented CSRF token with the session's in
// constant time; ErrCSRF when it is missing or differs.
func (s *Session) CheckCSRF(presented string) error {
	if presented == "" || subtle.ConstantTimeCompare([]byte(presented), []byte(s.CSRF)) != 1 {
		return ErrCSRF
	}
	return nil
}

// Sessions are the console's sessions, kept in the server's store: a
// restarted server (or a second one on the same store) keeps everyone
// signed in. It is safe for concurrent use. A use is one read of the
// session and one of its token (plus a write at most every Touch);
// signing in lists the sessions once, to drop expired ones and keep at
// most Limit.
type Sessions struct {
	a   *Auth
	opt SessionOptions
}

// Sessions returns the console sessions kept in a's store.
func (a *Auth) Sessions(opt SessionOptions) *Sessions {
	if opt.Idle <= 0 {
		opt.Idle = DefaultSessionIdle
	}
	if opt.Max <= 0 {
		opt.Max = DefaultSessionMax
	}
	if opt.Touch <= 0 {
		opt.Touch = DefaultSessionTouch
	}
	if opt.Limit <= 0 {
		opt.Limit = DefaultMaxSessions
	}
	if opt.Now == nil {
		opt.Now = func() time.Time { return a.Now() }
	}
	return &Sessions{a: a, opt: opt}
}

// MaxAge is how long a session may live: the cookie's Max-Age.
func (ss *Sessions) MaxAge() time.Duration { return ss.opt.Max }

// Create starts a session for p, who has just authenticated with a token.
func (ss *Sessions) Create(ctx context.Context, p Principal) (*Session, error) {
	if p.TokenID == "" {
		return nil, fmt.Errorf("new session: %s signed in without a token: %w", p, ErrNoToken)
	}
	b := make([]byte, sessionBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	id := hex.EncodeToString(b)
	now := ss.opt.Now().UTC()
	if err := ss.sweep(ctx, now); err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	rec := &store.Session{Key: sessionKey(id), TokenID: p.TokenID, CreatedAt: now, UsedAt: now}
	if err := ss.a.st.PutSession(ctx, rec); err != nil {
		return nil, fmt.Errorf("new session: %w", err)
	}
	return &Session{ID: id, CSRF: csrfOf(id), Principal: p}, nil
}

// sweep drops expired sessions and, when Limit are live, the least
// recently used ones, so that one more fits.
func (ss *Sessions) sweep(ctx context.Context, now time.Time) error {
	all, err := ss.a.st.ListSessions(ctx)
	if err != nil {
		return err
	}
	var drop []string
	live := all[:0]
	for _, s := range all {
		if ss.expired(s, now) {
			drop = append(drop, s.Key)
		} else {
			live = append(live, s)
		}
	}
	if over := len(live) - ss.opt.Limit + 1; over > 0 {
		sort.Slice(live, func(i, j int) bool { return live[i].UsedAt.Before(live[j].UsedAt) })
		for _, s := range live[:over] {
			drop = append(drop, s.Key)
		}
	}
	return ss.a.st.DeleteSessions(ctx, drop...)
}

// Get returns the live session with id, its principal read from its token
// now; ErrNoSession when there is none (unknown, signed out, idle too
// long or too old), and the token's error (revoked, expired, deleted:
// the session is ended then too). Other errors are the store's.
func (ss *Sessions) Get(ctx context.Context, id string) (*Session, error) {
	if !isHex(id, sessionBytes) {
		return nil, ErrNoSession
	}
	key := sessionKey(id)
	rec, err := ss.a.st.GetSession(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("session: %w", err)
	}
	now := ss.opt.Now().UTC()
	if ss.expired(rec, now) {
		return nil, errors.Join(ErrNoSession, ss.a.st.DeleteSessions(ctx, key))
	}
	p, err := ss.a.principalOf(ctx, rec.TokenID)
	if errors.Is(err, ErrBadToken) || errors.Is(err, ErrRevoked) || errors.Is(err, ErrExpired) {
		return nil, errors.Join(err, ss.a.st.DeleteSessions(ctx, key))
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(rec.UsedAt) >= ss.opt.Touch {
		rec.UsedAt = now
		if err := ss.a.st.PutSession(ctx, rec); err != nil {
			return nil, fmt.Errorf("session: %w", err)
		}
	}
	return &Session{ID: id, CSRF: csrfOf(id), Principal: p}, nil
}

// Delete ends the session with id (signing out); unknown ids are ignored.
func (ss *Sessions) Delete(ctx context.Context, id string) error {
	if !isHex(id, sessionBytes) {
		return nil
	}
	return ss.a.st.DeleteSessions(ctx, sessionKey(id))
}

func (ss *Sessions) expired(s *store.Session, now time.Time) bool {
	return now.Sub(s.UsedAt) >= ss.opt.Idle || now.Sub(s.CreatedAt) >= ss.opt.Max
}

// endSessions deletes every session made from the token with id.
func endSessions(ctx context.Context, st store.Store, tokenID string) error {
	all, err := st.ListSessions(ctx)
	if err != nil {
		return err
	}
	var keys []string
	for _, s := range all {
		if s.TokenID == tokenID {
			keys = append(keys, s.Key)
		}
	}
	return st.DeleteSessions(ctx, keys...)
}

// sessionKey is what the store keeps of a session id: its hex SHA-256.
func sessionKey(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// csrfOf derives a session's CSRF token from its id: unguessable without
// the id (which scripts cannot read), and not derivable from the stored key.
func csrfOf(id string) string {
	m := hmac.New(sha256.New, []byte(id))
	m.Write(csrfLabel)
	return hex.EncodeToString(m.Sum(nil))
}
