package serverbench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
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

// TestMain lets the test binary serve as the scripts' `ctx` command and
// as the load generator of the read benchmarks (loadEnv).
func TestMain(m *testing.M) {
	script.RunCtxIfInvoked()
	if os.Getenv(loadEnvURL) != "" {
		os.Exit(generateLoad())
	}
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

// The load generator: this test binary run again with these variables
// (the token in the environment, never on a command line).
const (
	loadEnvURL     = "GANTRY_BENCH_LOAD_URL"
	loadEnvToken   = "GANTRY_BENCH_LOAD_TOKEN"
	loadEnvN       = "GANTRY_BENCH_LOAD_N"
	loadClients    = 8
	loadReportHead = "load:"
)

// requestsPerSecond runs b.N GETs of path from another process (this
// binary as the load generator, loadClients keep-alive connections) and
// reports requests/s as that process measured them. On a shared machine
// that rate says more about the other jobs than about the server, so it
// also reports the CPU time each request cost the server process and the
// client process, and what two otherwise idle cores would serve at that
// cost (cores-req/s: 2 s of CPU per second over both costs).
func requestsPerSecond(b *testing.B, e *env, path string) {
	b.ResetTimer()
	before := cpuTime()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), loadEnvURL+"="+e.url+path, loadEnvToken+"="+e.viewer, fmt.Sprintf("%s=%d", loadEnvN, b.N))
	out, err := cmd.CombinedOutput()
	server := cpuTime() - before
	b.StopTimer()
	if err != nil {
		b.Fatalf("load generator: %v\n%s", err, out)
	}
	var rate float64
	if _, err := fmt.Sscanf(string(out), loadReportHead+" %g", &rate); err != nil {
		b.Fatalf("load generator said %q: %v", out, err)
	}
	b.ReportMetric(rate, "req/s")
	client := cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	perReq := func(d time.Duration) float64 { return float64(d.Microseconds()) / float64(b.N) }
	b.ReportMetric(perReq(server), "server-us/req")
	b.ReportMetric(perReq(client), "client-us/req")
	b.ReportMetric(2e6/(perReq(server)+perReq(client)), "2cores-req/s")
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// generateLoad is the load generator's main: it GETs the URL N times from
// loadClients parallel keep-alive clients and prints "load: RATE" (requests
// per second); exit 1 if any request failed.
func generateLoad() int {
	url, token := os.Getenv(loadEnvURL), os.Getenv(loadEnvToken)
	var n int64
	if _, err := fmt.Sscan(os.Getenv(loadEnvN), &n); err != nil || n <= 0 {
		fmt.Fprintf(os.Stderr, "%s: want a positive count\n", loadEnvN)
		return 1
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: loadClients}, Timeout: time.Minute}
	var next, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range loadClients {
		wg.Go(func() {
			for next.Add(1) <= n {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", "Bearer "+token)
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
	}
	wg.Wait()
	elapsed := time.Since(start)
	if f := failed.Load(); f > 0 {
		fmt.Fprintf(os.Stderr, "%d of %d requests failed\n", f, n)
		return 1
	}
	fmt.Printf("%s %.1f\n", loadReportHead, float64(n)/elapsed.Seconds())
	return 0
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
