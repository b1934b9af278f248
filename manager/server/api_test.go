package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/server"
	"github.com/gantryhq/gantry/store"
)

const helloBlueprint = "../../blueprints/hello"

// TestInstallThroughServer: install, reads, events (list, page, follow
// from a sequence number) and uninstall of blueprints/hello through the
// remote client; the scripts run in the server's process.
func TestInstallThroughServer(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()
	c := f.clients[auth.RoleOperator]

	var mu sync.Mutex
	var seen []*api.Event
	started, err := c.Install(ctx, api.InstallRequest{
		Path: helloBlueprint, DeploymentID: "hello", Inputs: map[string]any{"web_port": 9090},
		Options: api.ExecOptions{OnEvent: func(e *api.Event) {
			mu.Lock()
			seen = append(seen, e)
			mu.Unlock()
		}},
	})
	require.NoError(t, err)
	assert.Equal(t, "hello", started.Blueprint.ID, "the id is the local folder's name")
	assert.True(t, started.DeploymentCreated)
	final, err := started.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, final.Status, final.Error)
	assert.Empty(t, f.leftovers(t), "the upload folder is removed")

	mu.Lock()
	require.NotEmpty(t, seen)
	assert.Equal(t, api.EventWorkflowStarted, seen[0].Type)
	assert.Equal(t, api.EventWorkflowSucceeded, seen[len(seen)-1].Type)
	for i := 1; i < len(seen); i++ {
		require.Greater(t, seen[i].Seq, seen[i-1].Seq, "OnEvent sees every event once, in order")
	}
	mu.Unlock()

	outs, err := c.Outputs(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9090", outs["url"])
	nis, err := c.ListNodeInstances(ctx, "hello", "")
	require.NoError(t, err)
	require.Len(t, nis, 3)
	for _, ni := range nis {
		assert.Equal(t, "started", string(ni.State))
	}
	ni, err := c.GetNodeInstance(ctx, "hello", nis[0].ID)
	require.NoError(t, err)
	assert.Equal(t, nis[0].ID, ni.ID)
	d, err := f.clients[auth.RoleViewer].GetDeployment(ctx, "hello")
	require.NoError(t, err)
	assert.Nil(t, d.Plan, "a deployment's record comes without its plan")
	assert.EqualValues(t, 9090, d.Inputs["web_port"])
	plan, err := f.clients[auth.RoleViewer].DeploymentPlan(ctx, "hello")
	require.NoError(t, err)
	want, err := f.mgr.DeploymentPlan(ctx, "hello")
	require.NoError(t, err)
	assert.Equal(t, want, plan, "the plan, read apart, is the in-process one")
	assert.NotEmpty(t, plan.Nodes)
	assert.Empty(t, plan.NodeInstances, "node instances are read on their own")

	// Events: all, a page after a sequence number, and a follow from one.
	evs, err := c.Events(ctx, final.ID, 0, 0)
	require.NoError(t, err)
	assert.Len(t, evs, len(seen))
	page, err := c.Events(ctx, final.ID, evs[2].Seq, 2)
	require.NoError(t, err)
	require.Len(t, page, 2)
	assert.Equal(t, evs[3].Seq, page[0].Seq)
	// Raw pages, built in reused buffers: a short page after a long one
	// is exactly its own events, sent with its length (not chunked).
	for _, limit := range []int{0, 3, 1, 2} {
		want, err := f.mgr.Events(ctx, final.ID, 0, limit)
		require.NoError(t, err)
		wantJSON, err := json.Marshal(want)
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodGet, f.http.URL+server.PathOf(server.PathEvents, final.ID)+"?limit="+strconv.Itoa(limit), nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+f.tokens[auth.RoleViewer])
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode, "%s", body)
		assert.Equal(t, string(wantJSON)+"\n", string(body), "limit %d", limit)
		assert.EqualValues(t, len(body), resp.ContentLength, "limit %d", limit)
		assert.Empty(t, resp.TransferEncoding, "limit %d", limit)
	}
	var followed []uint64
	ended, err := c.FollowEvents(ctx, final.ID, evs[len(evs)-3].Seq, func(e *api.Event) error {
		followed = append(followed, e.Seq)
		return nil
	})
	require.NoError(t, err)
	assert.Equal(t, []uint64{evs[len(evs)-2].Seq, evs[len(evs)-1].Seq}, followed)
	assert.Equal(t, api.ExecutionTerminated, ended.Status)

	execs, err := c.ListExecutions(ctx, "hello")
	require.NoError(t, err)
	require.Len(t, execs, 1)
	_, err = c.Resume(ctx, final.ID, api.ExecOptions{})
	assert.ErrorIs(t, err, api.ErrNotResumable)

	run, err := c.Uninstall(ctx, api.UninstallRequest{DeploymentID: "hello"})
	require.NoError(t, err)
	final, err = run.Wait(ctx)
	require.NoError(t, err)
	assert.Equal(t, api.ExecutionTerminated, final.Status)
	_, err = c.GetDeployment(ctx, "hello")
	assert.ErrorIs(t, err, api.ErrNotFound, "uninstall deletes the deployment")
	_, err = c.GetBlueprint(ctx, "hello")
	assert.ErrorIs(t, err, api.ErrNotFound, "and its unused blueprint")
}

// TestErrorsCrossTheWire: the client's errors unwrap to the same
// sentinels, and read the same, as the in-process manager's.
func TestErrorsCrossTheWire(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()
	c := f.clients[auth.RoleOperator]

	_, err := c.GetDeployment(ctx, "nope")
	require.ErrorIs(t, err, api.ErrNotFound)
	_, lerr := f.mgr.GetDeployment(ctx, "nope")
	assert.Equal(t, lerr.Error(), err.Error())
	var ae *api.Error
	require.True(t, errors.As(err, &ae))
	assert.Equal(t, api.CodeNotFound, ae.Code)

	// An invalid blueprint: the problems name the local files.
	dir := filepath.Join(t.TempDir(), "broken")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"),
		[]byte("tosca_definitions_version: cloudify_dsl_1_3\nnode_templates:\n  a:\n    type: nope.Type\n"), 0o644))
	_, err = c.UploadBlueprint(ctx, "", dir)
	require.ErrorIs(t, err, api.ErrInvalidBlueprint)
	var pe *api.ProblemsError
	require.True(t, errors.As(err, &pe))
	require.NotEmpty(t, pe.Problems)
	assert.Equal(t, filepath.Join(dir, "blueprint.yaml"), pe.Problems[0].File)
	_, lerr = f.mgr.UploadBlueprint(ctx, "", dir)
	assert.Equal(t, lerr.Error(), err.Error(), "the same message as locally")
	assert.NotContains(t, err.Error(), f.uploads)
	assert.Empty(t, f.leftovers(t))

	_, err = c.UploadBlueprint(ctx, "", helloBlueprint)
	require.NoError(t, err)
	_, err = c.UploadBlueprint(ctx, "", helloBlueprint)
	assert.ErrorIs(t, err, api.ErrExists)
	_, err = c.StartExecution(ctx, api.StartRequest{DeploymentID: "nope", Workflow: "install"})
	assert.ErrorIs(t, err, api.ErrNotFound)
	_, err = c.UploadBlueprint(ctx, "", filepath.Join(t.TempDir(), "missing"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a missing local folder fails before any request")
	assert.True(t, strings.Contains(err.Error(), "missing"))
}

// TestVersionHidesTheStoreQuery: the store's location is shown to every
// role without its query (the files of an etcd store's TLS keys).
func TestVersionHidesTheStoreQuery(t *testing.T) {
	dir := t.TempDir()
	st, err := store.OpenBolt(filepath.Join(dir, "gantry.db"), store.Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	mgr, err := manager.New(manager.Config{Store: st, DataDir: filepath.Join(dir, "data"), StorePath: "etcd://127.0.0.1:2379/gantry?ca=/keys/ca.pem&cert=/keys/c.pem&key=/keys/c-key.pem"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = mgr.Close() })
	a := auth.New(st)
	srv, err := server.New(server.Config{Service: mgr, Auth: a, Audit: a, TempDir: t.TempDir()})
	require.NoError(t, err)
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	tok, err := mgr.CreateToken(context.Background(), api.CreateTokenRequest{Name: "v", Role: string(auth.RoleViewer)})
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodGet, hs.URL+server.PathVersion, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+tok.Bearer)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var info api.Info
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&info))
	require.Equal(t, "etcd://127.0.0.1:2379/gantry", info.Store)
}
