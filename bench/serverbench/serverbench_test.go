package serverbench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/remote"
	"github.com/gantryhq/gantry/manager/server"
	"github.com/gantryhq/gantry/plugins/script"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// TestMain lets the test binary serve as the scripts' `ctx` command.
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	os.Exit(m.Run())
}

// installNodes is the size of the generated graph BenchmarkInstall installs
// (GANTRY_BENCH_NODES overrides it).
func installNodes() int {
	n := 1000
	if v := os.Getenv("GANTRY_BENCH_NODES"); v != "" {
		_, _ = fmt.Sscan(v, &n)
	}
	return n
}

// env is a manager over a bbolt store in a temporary folder, and
// optionally a server in front of it with a viewer and an operator token.
type env struct {
	mgr      *manager.Manager
	url      string
	viewer   string
	operator *remote.Client
}

func newEnv(b *testing.B, serve bool) *env {
	b.Helper()
	dir := b.TempDir()
	// A server keeps its store open (as `gantry server` does).
	st, err := store.OpenBolt(filepath.Join(dir, "gantry.db"), store.Options{KeepOpen: serve})
	if err != nil {
		b.Fatal(err)
	}
	mgr, err := manager.New(manager.Config{Store: st, DataDir: filepath.Join(dir, "data")})
	if err != nil {
		b.Fatal(err)
	}
	e := &env{mgr: mgr}
	b.Cleanup(func() {
		_ = mgr.Close()
		_ = st.Close()
	})
	if !serve {
		return e
	}
	a := auth.New(st)
	srv, err := server.New(server.Config{Service: mgr, Auth: a, Audit: a, TempDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	b.Cleanup(hs.Close)
	e.url = hs.URL
	ctx := context.Background()
	v, err := mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "viewer", Role: api.RoleViewer})
	if err != nil {
		b.Fatal(err)
	}
	o, err := mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "operator", Role: api.RoleOperator})
	if err != nil {
		b.Fatal(err)
	}
	e.viewer = v.Bearer
	if e.operator, err = remote.New(remote.Config{URL: hs.URL, Token: o.Bearer}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.operator.Close() })
	return e
}

// generated writes the layered graph of n nodes into a new folder.
func generated(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(b.TempDir(), fmt.Sprintf("layered%d", n))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	bp := tosca.GenerateLayeredWith(tosca.LayeredOptions{Nodes: n, Shape: tosca.ShapeOne, CreateScript: "true.sh"})
	if err := os.WriteFile(filepath.Join(dir, "blueprint.yaml"), bp, 0o644); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "true.sh"), []byte("#!/bin/sh\nexec true\n"), 0o755); err != nil {
		b.Fatal(err)
	}
	return dir
}

// install runs install of the blueprint at path as deployment id through
// svc and waits for it.
func install(b *testing.B, svc api.Service, path, id string, onEvent func(*api.Event)) *api.Execution {
	b.Helper()
	ctx := context.Background()
	started, err := svc.Install(ctx, api.InstallRequest{Path: path, DeploymentID: id, Options: api.ExecOptions{OnEvent: onEvent}})
	if err != nil {
		b.Fatal(err)
	}
	e, err := started.Run.Wait(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if e.Status != api.ExecutionTerminated {
		b.Fatalf("install %s: %s: %s", id, e.Status, e.Error)
	}
	return e
}

// requestsPerSecond runs GET path from parallel clients for b.N requests
// and reports requests/s.
func requestsPerSecond(b *testing.B, e *env, path string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	b.Cleanup(tr.CloseIdleConnections)
	var failed atomic.Int64
	b.SetParallelism(4)
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodGet, e.url+path, nil)
			req.Header.Set("Authorization", "Bearer "+e.viewer)
			resp, err := client.Do(req)
			if err != nil {
				failed.Add(1)
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failed.Add(1)
			}
		}
	})
	elapsed := time.Since(start)
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d requests failed", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

// BenchmarkGetDeployment: GET /deployments/{id} of an installed 100-node
// deployment (its record: the plan is read apart, GET .../plan).
func BenchmarkGetDeployment(b *testing.B) {
	e := newEnv(b, true)
	install(b, e.operator, generated(b, 100), "d", nil)
	requestsPerSecond(b, e, server.PathOf(server.PathDeployment, "d"))
}

// BenchmarkListEvents: GET /executions/{id}/events?limit=100 of that
// deployment's install.
func BenchmarkListEvents(b *testing.B) {
	e := newEnv(b, true)
	x := install(b, e.operator, generated(b, 100), "d", nil)
	requestsPerSecond(b, e, server.PathOf(server.PathEvents, x.ID)+"?limit=100")
}

// BenchmarkEventLatency: an install of a 100-node graph through the
// server, followed over SSE; each event's latency is its arrival at the
// client minus its timestamp (set by the engine when it happened).
func BenchmarkEventLatency(b *testing.B) {
	e := newEnv(b, true)
	bp := generated(b, 100)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		install(b, e.operator, bp, fmt.Sprintf("d%d", i), func(ev *api.Event) {
			lat = append(lat, time.Since(ev.Timestamp))
		})
	}
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.95), "p95-ms")
	b.ReportMetric(pct(1), "max-ms")
	b.ReportMetric(float64(len(lat))/float64(b.N), "events/op")
}

// BenchmarkInstall: the generated graph installed in process, then through
// the server, in each iteration; ratio is server time / local time.
func BenchmarkInstall(b *testing.B) {
	n := installNodes()
	bp := generated(b, n)
	var local, remote time.Duration
	for i := 0; b.Loop(); i++ {
		le := newEnv(b, false)
		start := time.Now()
		install(b, le.mgr, bp, "d", nil)
		local += time.Since(start)

		se := newEnv(b, true)
		start = time.Now()
		install(b, se.operator, bp, "d", nil)
		remote += time.Since(start)
	}
	b.ReportMetric(local.Seconds()/float64(b.N), "local-s")
	b.ReportMetric(remote.Seconds()/float64(b.N), "server-s")
	b.ReportMetric(remote.Seconds()/local.Seconds(), "ratio")
}
