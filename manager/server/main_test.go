package server_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/remote"
	"github.com/gantryhq/gantry/manager/server"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/store"
)

// TestMain lets the test binary serve as the scripts' `ctx` command.
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	os.Exit(m.Run())
}

// fixture is a real server over HTTP on loopback: a bbolt store, the
// in-process manager, manager/auth with one token per role, and a remote
// client per role.
type fixture struct {
	st      store.Store
	mgr     *manager.Manager
	srv     *server.Server
	http    *httptest.Server
	uploads string // the server's TempDir: empty whenever no request runs
	tokens  map[auth.Role]string
	clients map[auth.Role]*remote.Client
}

func newFixture(t *testing.T, limits server.Limits) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "gantry.db"), store.Options{NoSync: true})
	require.NoError(t, err)
	mgr, err := manager.New(manager.Config{Store: st, DataDir: filepath.Join(dir, "data"), TaskRetryInterval: 10 * time.Millisecond})
	require.NoError(t, err)
	f := &fixture{st: st, mgr: mgr, uploads: filepath.Join(dir, "uploads"), tokens: map[auth.Role]string{}, clients: map[auth.Role]*remote.Client{}}
	require.NoError(t, os.Mkdir(f.uploads, 0o700))
	a := auth.New(st)
	f.srv, err = server.New(server.Config{Service: mgr, Auth: a, Audit: a, TempDir: f.uploads, Limits: limits, Version: "test"})
	require.NoError(t, err)
	f.http = httptest.NewServer(f.srv)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		f.srv.Shutdown(ctx)
		f.http.Close()
		for _, c := range f.clients {
			_ = c.Close()
		}
		_ = mgr.Close()
		_ = st.Close()
	})
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleOperator, auth.RoleViewer} {
		tok, err := mgr.CreateToken(context.Background(), api.CreateTokenRequest{Name: string(role) + "-test", Role: string(role)})
		require.NoError(t, err)
		f.tokens[role] = tok.Bearer
		f.clients[role], err = remote.New(remote.Config{URL: f.http.URL, Token: tok.Bearer})
		require.NoError(t, err)
	}
	return f
}

// leftovers lists what the server left in its upload folder.
func (f *fixture) leftovers(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(f.uploads)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}
