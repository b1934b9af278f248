package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/console"
	"github.com/gantryhq/gantry/manager/server"
)

// browser is a cookie session against a fixture, as the console holds one.
type browser struct {
	t      *testing.T
	base   string
	cookie *http.Cookie
	csrf   string
}

// do sends a request with the session cookie (if any) and headers.
func (b *browser) do(method, path, body string, hdr map[string]string) *http.Response {
	b.t.Helper()
	req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
	require.NoError(b.t, err)
	if b.cookie != nil {
		req.AddCookie(b.cookie)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	b.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func signIn(t *testing.T, base, token string) (*browser, *http.Response, server.SessionInfo) {
	t.Helper()
	b := &browser{t: t, base: base}
	body, _ := json.Marshal(server.SignInRequest{Token: token})
	resp := b.do(http.MethodPost, server.PathSession, string(body), map[string]string{"Content-Type": server.ContentJSON})
	var info server.SessionInfo
	if resp.StatusCode == http.StatusOK {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		for _, c := range resp.Cookies() {
			if c.Name == auth.SessionCookie {
				b.cookie = &http.Cookie{Name: c.Name, Value: c.Value}
			}
		}
		b.csrf = info.CSRF
	}
	return b, resp, info
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie {
			return c
		}
	}
	return nil
}

// wrongToken is tok with its last digit changed (a token ending in 0 made
// "the same but 0" the same token: a 1-in-16 flake).
func wrongToken(tok string) string {
	if strings.HasSuffix(tok, "0") {
		return tok[:len(tok)-1] + "1"
	}
	return tok[:len(tok)-1] + "0"
}

func errCode(t *testing.T, resp *http.Response) api.Code {
	t.Helper()
	var e api.Error
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&e))
	return e.Code
}

func TestSessionCookie(t *testing.T) {
	f := newFixture(t, server.Limits{})
	tok := f.tokens[auth.RoleOperator]
	_, resp, info := signIn(t, f.http.URL, tok)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	c := sessionCookie(resp)
	require.NotNil(t, c)
	assert.True(t, c.HttpOnly, "HttpOnly: scripts never read it")
	assert.Equal(t, http.SameSiteStrictMode, c.SameSite)
	assert.Equal(t, "/", c.Path)
	assert.Greater(t, c.MaxAge, 0)
	assert.False(t, c.Secure, "plain HTTP on loopback: not Secure (over TLS it is)")
	assert.Len(t, c.Value, 64)
	_, secret, _ := strings.Cut(strings.TrimPrefix(tok, "gtk_"), "_")
	assert.NotContains(t, c.Value, secret, "the token is not in the cookie")
	assert.Equal(t, auth.RoleOperator, info.Principal.Role)
	assert.Len(t, info.CSRF, 64)
	for _, h := range resp.Header.Values("Set-Cookie") {
		assert.NotContains(t, h, secret)
	}

	// Refused sign-ins set no cookie.
	for name, tc := range map[string]struct {
		token, ctype string
		status       int
	}{
		"wrong token": {wrongToken(tok), server.ContentJSON, http.StatusUnauthorized},
		"no token":    {"", server.ContentJSON, http.StatusUnauthorized},
		"form posted": {tok, "application/x-www-form-urlencoded", http.StatusBadRequest},
		"text posted": {tok, "text/plain", http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			b := &browser{t: t, base: f.http.URL}
			body, _ := json.Marshal(server.SignInRequest{Token: tc.token})
			resp := b.do(http.MethodPost, server.PathSession, string(body), map[string]string{"Content-Type": tc.ctype})
			assert.Equal(t, tc.status, resp.StatusCode)
			assert.Nil(t, sessionCookie(resp))
		})
	}

	// Over TLS the cookie is Secure.
	ts := httptest.NewTLSServer(f.srv)
	defer ts.Close()
	body, _ := json.Marshal(server.SignInRequest{Token: tok})
	resp2, err := ts.Client().Post(ts.URL+server.PathSession, server.ContentJSON, strings.NewReader(string(body)))
	require.NoError(t, err)
	defer resp2.Body.Close()
	require.Equal(t, http.StatusOK, resp2.StatusCode)
	assert.True(t, sessionCookie(resp2).Secure)
}

func TestSessionCSRF(t *testing.T) {
	f := newFixture(t, server.Limits{})
	b, resp, _ := signIn(t, f.http.URL, f.tokens[auth.RoleOperator])
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Reads need only the cookie.
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)

	secret := `{"key":"k","value":"v"}`
	plain := map[string]string{"Content-Type": server.ContentJSON}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{"Content-Type": server.ContentJSON}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	for name, hdr := range map[string]map[string]string{
		"no CSRF token":    plain,
		"wrong CSRF token": with(map[string]string{auth.CSRFHeader: strings.Repeat("0", 64)}),
		"other origin":     with(map[string]string{auth.CSRFHeader: b.csrf, "Origin": "https://evil.example"}),
	} {
		t.Run(name, func(t *testing.T) {
			resp := b.do(http.MethodPost, server.PathSecrets, secret, hdr)
			assert.Equal(t, http.StatusForbidden, resp.StatusCode)
			assert.Equal(t, api.CodeForbidden, errCode(t, resp))
			_, err := f.mgr.GetSecret(context.Background(), "k")
			assert.ErrorIs(t, err, api.ErrNotFound, "nothing was written")
		})
	}
	resp = b.do(http.MethodPost, server.PathSecrets, secret, with(map[string]string{auth.CSRFHeader: b.csrf, "Origin": f.http.URL}))
	assert.Equal(t, http.StatusCreated, resp.StatusCode)
	_, err := f.mgr.GetSecret(context.Background(), "k")
	assert.NoError(t, err)

	// The refusals and the write are audited under the token's name.
	recs, err := f.mgr.ListAudit(context.Background(), 0, 0)
	require.NoError(t, err)
	var actions []string
	for _, r := range recs {
		actions = append(actions, r.Action+" "+r.Principal+" "+r.Outcome)
	}
	assert.Contains(t, actions, "sessions.csrf operator-test forbidden")
	assert.Contains(t, actions, "secrets.create operator-test ok")
}

func TestSessionViewerRefused(t *testing.T) {
	f := newFixture(t, server.Limits{})
	b, resp, info := signIn(t, f.http.URL, f.tokens[auth.RoleViewer])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, auth.RoleViewer, info.Principal.Role)
	hdr := map[string]string{"Content-Type": server.ContentJSON, auth.CSRFHeader: b.csrf}
	for _, w := range []struct{ method, path, body string }{
		{http.MethodPost, server.PathSecrets, `{"key":"k","value":"v"}`},
		{http.MethodPost, server.PathDeployments, `{"id":"d","blueprint_id":"b"}`},
		{http.MethodDelete, server.PathOf(server.PathBlueprint, "b"), ""},
	} {
		resp := b.do(w.method, w.path, w.body, hdr)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, w.method+" "+w.path)
		assert.Equal(t, api.CodeForbidden, errCode(t, resp))
	}
	// Nor may a viewer read a secret's value.
	assert.Equal(t, http.StatusForbidden, b.do(http.MethodGet, server.PathOf(server.PathSecret, "k"), "", nil).StatusCode)
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, server.PathSecrets, "", nil).StatusCode)
}

func TestSessionSignOut(t *testing.T) {
	f := newFixture(t, server.Limits{})
	b, resp, _ := signIn(t, f.http.URL, f.tokens[auth.RoleAdmin])
	require.Equal(t, http.StatusOK, resp.StatusCode)

	// Who am I: the principal and the same CSRF token, never the token.
	resp = b.do(http.MethodGet, server.PathSession, "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Contains(t, string(raw), b.csrf)
	assert.NotContains(t, string(raw), f.tokens[auth.RoleAdmin])

	// Sign-out needs the CSRF token too.
	assert.Equal(t, http.StatusForbidden, b.do(http.MethodDelete, server.PathSession, "", nil).StatusCode)
	resp = b.do(http.MethodDelete, server.PathSession, "", map[string]string{auth.CSRFHeader: b.csrf})
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	c := sessionCookie(resp)
	require.NotNil(t, c)
	assert.Less(t, c.MaxAge, 0, "the cookie is cleared")

	// The old cookie is worth nothing now.
	resp = b.do(http.MethodGet, server.PathDeployments, "", nil)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, api.CodeUnauthenticated, errCode(t, resp))
	assert.Equal(t, http.StatusUnauthorized, b.do(http.MethodGet, server.PathSession, "", nil).StatusCode)
}

func TestSessionEndsWithItsToken(t *testing.T) {
	f := newFixture(t, server.Limits{})
	tok, err := f.mgr.CreateToken(context.Background(), api.CreateTokenRequest{Name: "short", Role: string(auth.RoleOperator)})
	require.NoError(t, err)
	b, resp, _ := signIn(t, f.http.URL, tok.Bearer)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, http.StatusOK, b.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)
	_, err = f.mgr.RevokeToken(context.Background(), tok.Token.ID)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, b.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, b.do(http.MethodGet, server.PathSession, "", nil).StatusCode)
}

func TestConsoleMount(t *testing.T) {
	f := newFixture(t, server.Limits{})
	srv, err := server.New(server.Config{Service: f.mgr, Auth: auth.New(f.st), Console: console.Handler()})
	require.NoError(t, err)
	ts := httptest.NewServer(srv)
	defer ts.Close()
	b := &browser{t: t, base: ts.URL}

	resp := b.do(http.MethodGet, "/", "", nil)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'")
	page, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(page), "<title>Gantry")

	// The API's own 404 stays JSON; writes to / are no console's.
	resp = b.do(http.MethodGet, server.Prefix+"/nope", "", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	assert.Equal(t, api.CodeNotFound, errCode(t, resp))
	assert.Equal(t, http.StatusNotFound, b.do(http.MethodPost, "/", "", nil).StatusCode)

	// Without a console, / is a 404 as before.
	assert.Equal(t, http.StatusNotFound, (&browser{t: t, base: f.http.URL}).do(http.MethodGet, "/", "", nil).StatusCode)
}

// TestSessionSurvivesRestart: a console session outlives the `gantry
// server` process that made it (the built binary, killed and started
// again on the same store file): the cookie still reads, a write still
// needs its CSRF token (the same one, answered again by who-am-I), and
// signing out then revoking end sessions at once, restart or not.
func TestSessionSurvivesRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and restarts the gantry binary")
	}
	bin := buildGantry(t)
	work := t.TempDir()
	storePath := filepath.Join(work, "gantry.db")
	env := append(os.Environ(), "HOME="+work)
	tokens := map[string]string{}
	for _, name := range []string{"alice", "bob"} {
		file := filepath.Join(work, name+".token")
		cmd := exec.Command(bin, "server", "tokens", "create", "--name", name, "--role", "operator", "--out", file, "--store", storePath)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "tokens create: %s", out)
		raw, err := os.ReadFile(file)
		require.NoError(t, err)
		tokens[name] = strings.TrimSpace(string(raw))
	}
	srv := startGantryServer(t, bin, storePath, env)
	alice, resp, _ := signIn(t, srv.url, tokens["alice"])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	bob, resp, _ := signIn(t, srv.url, tokens["bob"])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.NoError(t, srv.cmd.Process.Kill())
	<-srv.exited

	srv = startGantryServer(t, bin, storePath, env)
	for _, b := range []*browser{alice, bob} {
		b.base = srv.url
		assert.Equal(t, http.StatusOK, b.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode, "signed in across the restart")
		resp := b.do(http.MethodGet, server.PathSession, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		var info server.SessionInfo
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
		assert.Equal(t, b.csrf, info.CSRF, "the same CSRF token")
	}
	secret := `{"key":"k","value":"v"}`
	assert.Equal(t, http.StatusForbidden, alice.do(http.MethodPost, server.PathSecrets, secret, map[string]string{"Content-Type": server.ContentJSON}).StatusCode,
		"a write without the CSRF token is refused after the restart too")
	assert.Equal(t, http.StatusForbidden, alice.do(http.MethodPost, server.PathSecrets, secret,
		map[string]string{"Content-Type": server.ContentJSON, auth.CSRFHeader: bob.csrf}).StatusCode, "another session's CSRF token is refused")
	assert.Equal(t, http.StatusCreated, alice.do(http.MethodPost, server.PathSecrets, secret,
		map[string]string{"Content-Type": server.ContentJSON, auth.CSRFHeader: alice.csrf}).StatusCode)

	// Signed out: the cookie is worth nothing, on this process or the next.
	require.Equal(t, http.StatusNoContent, alice.do(http.MethodDelete, server.PathSession, "", map[string]string{auth.CSRFHeader: alice.csrf}).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, alice.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)
	// Revoked: bob's session ends at once.
	revoke := exec.Command(bin, "server", "tokens", "revoke", tokens["bob"][4:20], "--store", storePath)
	revoke.Env = env
	out, err := revoke.CombinedOutput()
	require.NoError(t, err, "tokens revoke: %s", out)
	assert.Equal(t, http.StatusUnauthorized, bob.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)
	require.NoError(t, srv.cmd.Process.Kill())
	<-srv.exited
	srv = startGantryServer(t, bin, storePath, env)
	alice.base, bob.base = srv.url, srv.url
	assert.Equal(t, http.StatusUnauthorized, alice.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)
	assert.Equal(t, http.StatusUnauthorized, bob.do(http.MethodGet, server.PathDeployments, "", nil).StatusCode)
}

// TestSessionEndsOpenStream: an event stream opened with a session stops
// soon after the session ends, by sign-out or by revoking its token,
// while the execution it follows still runs; reconnecting is refused.
func TestSessionEndsOpenStream(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()
	id := f.installWaiting(t)

	stream := server.PathOf(server.PathEventStream, id)
	open := func(b *browser) <-chan struct{} {
		resp := b.do(http.MethodGet, stream, "", nil)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		ended := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, resp.Body); close(ended) }()
		return ended
	}

	alice, resp, _ := signIn(t, f.http.URL, f.tokens[auth.RoleOperator])
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ended := open(alice)
	require.Equal(t, http.StatusNoContent, alice.do(http.MethodDelete, server.PathSession, "", map[string]string{auth.CSRFHeader: alice.csrf}).StatusCode)
	f.requireEndsFirst(t, ended, id, "sign-out")
	assert.Equal(t, http.StatusUnauthorized, alice.do(http.MethodGet, stream, "", nil).StatusCode, "no reconnect")

	tok, err := f.mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "bob", Role: string(auth.RoleViewer)})
	require.NoError(t, err)
	bob, resp, _ := signIn(t, f.http.URL, tok.Bearer)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	ended = open(bob)
	_, err = f.mgr.RevokeToken(ctx, tok.Token.ID)
	require.NoError(t, err)
	f.requireEndsFirst(t, ended, id, "revocation")
	assert.Equal(t, http.StatusUnauthorized, bob.do(http.MethodGet, stream, "", nil).StatusCode, "no reconnect")
}

// TestBearerEndsOpenStream: an event stream (and a long poll) opened with
// a bearer token ends within credentialRecheck once the token is revoked
// or expires, as one opened with a session does; the execution runs on,
// and the token gets no new stream.
func TestBearerEndsOpenStream(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()
	id := f.installWaiting(t)
	// Well past the last event: a long poll that would wait a minute.
	longPoll := server.PathOf(server.PathEvents, id) + "?after=1000000&wait=60s"
	get := func(bearer, path string) *http.Response {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.http.URL+path, nil)
		if err != nil {
			return nil
		}
		req.Header.Set("Authorization", "Bearer "+bearer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil
		}
		return resp
	}
	// A long poll answers (headers and all) only at its end: read in the
	// background.
	open := func(bearer, path string) <-chan struct{} {
		ended := make(chan struct{})
		go func() {
			defer close(ended)
			if resp := get(bearer, path); resp != nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
		return ended
	}
	stream := server.PathOf(server.PathEventStream, id)

	tok, err := f.mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "carol", Role: string(auth.RoleViewer)})
	require.NoError(t, err)
	s, lp := open(tok.Bearer, stream), open(tok.Bearer, longPoll)
	time.Sleep(300 * time.Millisecond) // both are in
	_, err = f.mgr.RevokeToken(ctx, tok.Token.ID)
	require.NoError(t, err)
	f.requireEndsFirst(t, s, id, "revocation (stream)")
	f.requireEndsFirst(t, lp, id, "revocation (long poll)")
	resp := get(tok.Bearer, stream)
	require.NotNil(t, resp)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "no reconnect")

	short, err := f.mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "dave", Role: string(auth.RoleViewer), TTL: 3 * time.Second})
	require.NoError(t, err)
	f.requireEndsFirst(t, open(short.Bearer, stream), id, "expiry")

	// A good token's stream stays open.
	resp = get(f.tokens[auth.RoleViewer], stream)
	require.NotNil(t, resp)
	kept := make(chan []byte)
	go func() { b, _ := io.ReadAll(resp.Body); resp.Body.Close(); kept <- b }()
	select {
	case b := <-kept:
		t.Fatalf("the stream of a good token ended (%d): %s", resp.StatusCode, b)
	case <-time.After(5 * time.Second):
	}
}
