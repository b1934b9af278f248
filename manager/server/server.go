package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/store"
)

// Limits bound what a request may carry.
type Limits struct {
	// MaxJSONBytes bounds a JSON request body (default 4 MiB).
	MaxJSONBytes int64
	// MaxUploadBytes bounds a blueprint upload as sent (default 64 MiB).
	MaxUploadBytes int64
	// Archive bounds an upload's entries and extracted bytes (default
	// 10,000 entries, 256 MiB).
	Archive store.ArchiveLimits
	// MaxEventPage bounds the events one list or long poll returns
	// (default 10,000).
	MaxEventPage int
	// MaxLongPoll bounds a long poll's wait (default 60 s).
	MaxLongPoll time.Duration
}

// Default limits.
const (
	DefaultMaxJSONBytes   = 4 << 20
	DefaultMaxUploadBytes = store.DefaultMaxArchiveBytes
	DefaultMaxEntries     = 10_000
	DefaultMaxExtracted   = 256 << 20
	DefaultMaxEventPage   = 10_000
	DefaultMaxLongPoll    = 60 * time.Second
	// heartbeatEvery keeps an idle event stream's connection alive.
	heartbeatEvery = 15 * time.Second
)

func (l Limits) withDefaults() Limits {
	if l.MaxJSONBytes <= 0 {
		l.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if l.MaxUploadBytes <= 0 {
		l.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if l.Archive.MaxEntries <= 0 {
		l.Archive.MaxEntries = DefaultMaxEntries
	}
	if l.Archive.MaxBytes <= 0 {
		l.Archive.MaxBytes = DefaultMaxExtracted
	}
	if l.MaxEventPage <= 0 {
		l.MaxEventPage = DefaultMaxEventPage
	}
	if l.MaxLongPoll <= 0 {
		l.MaxLongPoll = DefaultMaxLongPoll
	}
	return l
}

// Config configures a Server.
type Config struct {
	// Service runs the use cases (the in-process manager).
	Service api.Service
	// Auth authenticates every request but the public routes. Required.
	Auth Authenticator
	// Audit records mutations (optional).
	Audit Auditor
	// TempDir holds uploads while they are checked (default os.TempDir()).
	TempDir string
	Limits  Limits
	// Version is the server's version (GET /api/v1/version).
	Version string
	// Log receives request failures (default: discarded).
	Log *slog.Logger
	// Console serves the web console's assets at / (optional; see
	// session.go for how its cookie sessions reach the API).
	Console http.Handler
	// Sessions are the console's sessions (default: those of Auth's store
	// when Auth is an *auth.Auth; without any, sign-in is refused).
	Sessions *auth.Sessions
}

// Server is the REST API. Build it with New; it is an http.Handler.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	runs     *runs
	stopping atomic.Bool
}

// New builds the server and its routes.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil {
		return nil, errors.New("server: no service")
	}
	if cfg.Auth == nil {
		return nil, errors.New("server: no authenticator")
	}
	if cfg.TempDir == "" {
		cfg.TempDir = os.TempDir()
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Limits = cfg.Limits.withDefaults()
	if a, ok := cfg.Auth.(*auth.Auth); ok && cfg.Sessions == nil {
		cfg.Sessions = a.Sessions(auth.SessionOptions{})
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), runs: newRuns()}
	for _, rt := range routes {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mountConsole()
	return s, nil
}

// ServeHTTP serves the API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r, ok := s.withSession(w, r); ok {
		s.mux.ServeHTTP(w, r)
	}
}

// wrap authenticates, authorizes, runs and audits one route. The
// principal travels in the request's context (auth.NewContext), where the
// manager finds it.
func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Role == Public {
			if err := rt.handle(s, w, r); err != nil {
				s.writeError(w, r, err)
			}
			return
		}
		p, ok := sessionPrincipal(r)
		var err error
		if !ok {
			bearer := auth.BearerToken(r)
			p, err = s.cfg.Auth.Authenticate(r.Context(), bearer)
			if err == nil && longLived(r) {
				r = endsWithCredential(r, func(ctx context.Context) error {
					_, err := s.cfg.Auth.Authenticate(ctx, bearer)
					return err
				})
			}
		}
		if err != nil {
			if !errors.Is(err, api.ErrUnauthenticated) {
				err = fmt.Errorf("authenticate: %w", err) // a store failure: 5xx
			}
			w.Header().Set("WWW-Authenticate", `Bearer realm="gantry"`)
			s.writeError(w, r, err)
			return
		}
		err = auth.Authorize(p, rt.Role)
		if err == nil {
			err = rt.handle(s, w, r.WithContext(auth.NewContext(r.Context(), p)))
		}
		if err != nil {
			s.writeError(w, r, err)
		}
		if rt.Action != "" && s.cfg.Audit != nil {
			target := auditTarget(r)
			if aerr := s.cfg.Audit.Audit(context.WithoutCancel(r.Context()), p, rt.Action, target, auth.Outcome(err), r.RemoteAddr); aerr != nil {
				s.cfg.Log.Error("audit failed", "action", rt.Action, "target", target, "err", aerr)
			}
		}
	})
}

// Shutdown stops taking executions, asks the ones this server runs to
// stop gracefully (running operations finish; the executions end
// cancelled and can be resumed), and waits for them until ctx ends, then
// forces them. It does not close the Service.
func (s *Server) Shutdown(ctx context.Context) {
	s.stopping.Store(true)
	s.runs.stopAll(ctx)
}

// auditTarget names what a request acts on: its id or key, else its path.
func auditTarget(r *http.Request) string {
	for _, name := range []string{"id", "key"} {
		if v := r.PathValue(name); v != "" {
			return v
		}
	}
	return r.URL.Path
}
