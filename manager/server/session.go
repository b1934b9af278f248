package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
)

// PathSession is the web console's sign-in (POST), who-am-I (GET) and
// sign-out (DELETE). It is not part of /api/v1: scripts use bearer tokens.
const PathSession = "/console/session"

// Audit actions of the console's sessions.
const (
	actionSignIn  = "sessions.create"
	actionSignOut = "sessions.delete"
	actionCSRF    = "sessions.csrf" // a write refused for its CSRF token or origin
)

// maxSignInBytes bounds a sign-in body: a token and a little JSON.
const maxSignInBytes = 4 << 10

// SessionInfo is what sign-in and who-am-I answer: the principal and the
// session's CSRF token, which the console sends back in auth.CSRFHeader
// with every write. Neither the token nor the session id is in it.
type SessionInfo struct {
	Principal auth.Principal `json:"principal"`
	CSRF      string         `json:"csrf"`
}

// SignInRequest is the body of POST /console/session.
type SignInRequest struct {
	Token string `json:"token"`
}

// mountConsole routes the console's session endpoints and, for every other
// GET or HEAD outside /api/, the console's assets (when Config.Console is
// set); everything else is the API's JSON 404.
func (s *Server) mountConsole() {
	s.mux.HandleFunc(http.MethodPost+" "+PathSession, s.signIn)
	s.mux.HandleFunc(http.MethodGet+" "+PathSession, s.whoAmI)
	s.mux.HandleFunc(http.MethodDelete+" "+PathSession, s.signOut)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if s.cfg.Console != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
			!strings.HasPrefix(r.URL.Path, Prefix+"/") {
			s.cfg.Console.ServeHTTP(w, r)
			return
		}
		s.writeError(w, r, fmt.Errorf("no route %s %s: %w", r.Method, r.URL.Path, api.ErrNotFound))
	})
}

// withSession lets a request to the API that carries a session cookie and
// no Authorization header act as the session's principal (read from its
// token now, see auth.Sessions.Get), after checking that a write carries
// the session's CSRF token and comes from this origin. Everything after
// (roles, audit) is the same as for a bearer request of that token.
func (s *Server) withSession(w http.ResponseWriter, r *http.Request) (*http.Request, bool) {
	if r.Header.Get("Authorization") != "" || !strings.HasPrefix(r.URL.Path, Prefix+"/") {
		return r, true
	}
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil || s.cfg.Sessions == nil {
		return r, true
	}
	sess, err := s.cfg.Sessions.Get(r.Context(), c.Value)
	if err != nil {
		if errors.Is(err, api.ErrUnauthenticated) {
			s.clearSessionCookie(w, r)
		}
		s.writeError(w, r, err)
		return nil, false
	}
	if !safeMethod(r.Method) {
		if err := checkWrite(r, sess); err != nil {
			s.auditSession(r, sess.Principal, r.Method+" "+r.URL.Path, err)
			s.writeError(w, r, err)
			return nil, false
		}
	}
	r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess.Principal))
	if longLived(r) {
		r = s.endsWithSession(r, c.Value)
	}
	return r, true
}

// credentialRecheck is how often a long-lived request (an event stream,
// a long poll) checks that its credential, a session or a bearer token,
// is still good.
const credentialRecheck = 2 * time.Second

// longLived tells the requests that may outlast a sign-out or a
// revocation by far: event streams and long polls.
func longLived(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, "/events/stream") || r.URL.Query().Has(ParamWait)
}

// endsWithSession: see endsWithCredential.
func (s *Server) endsWithSession(r *http.Request, id string) *http.Request {
	return endsWithCredential(r, func(ctx context.Context) error {
		_, err := s.cfg.Sessions.Get(ctx, id)
		return err
	})
}

// endsWithCredential cancels r's context once check says its credential
// is no longer good (api.ErrUnauthenticated: signed out, the token
// revoked, expired or deleted), asked every credentialRecheck: an open
// event stream stops within that, and a reconnect is refused 401. Other
// errors (the store briefly unavailable) end nothing. The watcher ends
// with the request.
func endsWithCredential(r *http.Request, check func(context.Context) error) *http.Request {
	ctx, cancel := context.WithCancelCause(r.Context())
	go func() {
		t := time.NewTicker(credentialRecheck)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := check(ctx); errors.Is(err, api.ErrUnauthenticated) {
					cancel(err)
					return
				}
			}
		}
	}()
	return r.WithContext(ctx)
}

// sessionKey carries the principal of a request made with a session
// cookie (withSession) to wrap; unexported, so nothing else can set it.
type sessionKey struct{}

// sessionPrincipal is the principal withSession found, if any.
func sessionPrincipal(r *http.Request) (auth.Principal, bool) {
	p, ok := r.Context().Value(sessionKey{}).(auth.Principal)
	return p, ok
}

// checkWrite refuses a write made with a session cookie that lacks the
// CSRF token, or whose Origin (when the browser sends one) is another site.
func checkWrite(r *http.Request, sess *auth.Session) error {
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return fmt.Errorf("origin %q is not this server's: %w", o, auth.ErrCSRF)
		}
	}
	return sess.CheckCSRF(r.Header.Get(auth.CSRFHeader))
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// signIn authenticates the token in the body and starts a session: the
// cookie carries its id, the body its CSRF token.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request) {
	// A JSON body cannot be sent cross-site without a CORS preflight, which
	// this server never grants: no sign-in from another site's form.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, ContentJSON) {
		s.writeError(w, r, fmt.Errorf("sign-in: Content-Type %q, want %s: %w", ct, ContentJSON, api.ErrInvalid))
		return
	}
	var req SignInRequest
	if err := decodeJSON(http.MaxBytesReader(w, r.Body, maxSignInBytes), &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	p, err := s.cfg.Auth.Authenticate(r.Context(), strings.TrimSpace(req.Token))
	if err != nil {
		if !errors.Is(err, api.ErrUnauthenticated) {
			err = fmt.Errorf("authenticate: %w", err)
		}
		s.writeError(w, r, err)
		return
	}
	if s.cfg.Sessions == nil {
		s.writeError(w, r, errNoSessions)
		return
	}
	sess, err := s.cfg.Sessions.Create(r.Context(), p)
	if err == nil {
		s.setSessionCookie(w, r, sess.ID, int(s.cfg.Sessions.MaxAge()/time.Second))
	}
	s.auditSession(r, p, PathSession, err)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_ = writeJSON(w, http.StatusOK, SessionInfo{Principal: p, CSRF: sess.CSRF})
}

// whoAmI answers the session's principal and CSRF token (its token is
// read again: a revoked token is signed out).
func (s *Server) whoAmI(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(r)
	if err != nil {
		if errors.Is(err, api.ErrUnauthenticated) {
			s.clearSessionCookie(w, r)
		}
		s.writeError(w, r, err)
		return
	}
	_ = writeJSON(w, http.StatusOK, SessionInfo{Principal: sess.Principal, CSRF: sess.CSRF})
}

// signOut ends the session (with its CSRF token: no sign-out from another
// site) and clears the cookie.
func (s *Server) signOut(w http.ResponseWriter, r *http.Request) {
	sess, err := s.session(r)
	if err == nil {
		err = checkWrite(r, sess)
	}
	if err == nil {
		err = s.cfg.Sessions.Delete(r.Context(), sess.ID)
	}
	if err != nil {
		if errors.Is(err, api.ErrUnauthenticated) {
			s.clearSessionCookie(w, r)
		}
		s.writeError(w, r, err)
		return
	}
	s.clearSessionCookie(w, r)
	s.auditSession(r, sess.Principal, PathSession, nil)
	w.WriteHeader(http.StatusNoContent)
}

// session is the request's live session.
func (s *Server) session(r *http.Request) (*auth.Session, error) {
	c, err := r.Cookie(auth.SessionCookie)
	if err != nil || s.cfg.Sessions == nil {
		return nil, auth.ErrNoSession
	}
	return s.cfg.Sessions.Get(r.Context(), c.Value)
}

func (s *Server) setSessionCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: auth.SessionCookie, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter, r *http.Request) {
	s.setSessionCookie(w, r, "", -1)
}

// auditSession records a sign-in, a sign-out or a refused write.
func (s *Server) auditSession(r *http.Request, p auth.Principal, target string, err error) {
	if s.cfg.Audit == nil {
		return
	}
	action := actionSignIn
	switch {
	case errors.Is(err, auth.ErrCSRF):
		action = actionCSRF
	case r.Method == http.MethodDelete:
		action = actionSignOut
	}
	if aerr := s.cfg.Audit.Audit(context.WithoutCancel(r.Context()), p, action, target, auth.Outcome(err), r.RemoteAddr); aerr != nil {
		s.cfg.Log.Error("audit failed", "action", action, "err", aerr)
	}
}
