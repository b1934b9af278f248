//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	osexec "os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager"
	"github.com/gantryhq/gantry/testenv"
)

// realNodeWait bounds every wait for the real node (pod start, routes, clean-up).
const realNodeWait = 90 * time.Second

// TestRouterRoutesOnRealNode is the scenario with nothing simulated between `kubectl
// apply` and the kernel: the router pod runs on the real node (kubelet, containerd, runc)
// and FRR's zebra writes ROUTES into that node's routing table. It checks the routes
// (present in the node's table, absent from the machine's), forwarding through the node
// with them, the clean-up on uninstall (routes withdrawn, no pod, container, process,
// mount or cgroup left) and a reinstall with other ROUTES.
func TestRouterRoutesOnRealNode(t *testing.T) {
	env, rn := testenv.RequireRealNode(t)
	cleanupPod(t, env, routerNS, routerPod)
	cleanupLabels(t, env, rn.Name, routerLabel)
	require.Nil(t, getPod(t, env, routerNS, routerPod), "a %s pod is left over from another run", routerPod)
	ctx := context.Background()

	// The first routes include a /25 of the node's uplink subnet behind the peer: the
	// machine reaches it through the node only by the node's static route (proxy ARP).
	behind := strings.TrimSuffix(rn.HostIP, ".1") + ".129"
	routesA := []string{"10.50.0.0/24 " + rn.PeerIP, strings.TrimSuffix(rn.HostIP, ".1") + ".128/25 " + rn.PeerIP}
	routesB := []string{"10.70.0.0/16 " + rn.PeerIP}
	machineBefore := machineRoutes(t)

	w := newWorld(t, env)
	w.bestEffortUninstall("router", "cluster")
	w.create("cluster", clusterBlueprint, clusterInputs(t, env, rn.Name, nil))
	w.mustRun("cluster", "install", nil, manager.ExecOptions{})
	w.create("router", routerBlueprint, routerInputs(env, "cluster", "eth0,eth1", strings.Join(routesA, ",")))
	start := time.Now()
	w.mustRun("router", "install", nil, manager.ExecOptions{})
	waitRoutes(t, rn, routesA, true)
	t.Logf("router install until the routes are in the node's table: %.2f s", time.Since(start).Seconds())
	p := getPod(t, env, routerNS, routerPod)
	require.NotNil(t, p)
	assert.Equal(t, rn.Name, p.Spec.NodeName, "the router runs on the real node")
	assert.Equal(t, "Running", p.Status.Phase)
	assert.Equal(t, rn.IP, p.Status.HostIP)
	// (Other environments may add their own uplinks to the machine's table meanwhile.)
	machineAfter := machineRoutes(t)
	for _, r := range routesA {
		assert.NotContains(t, machineBefore+machineAfter, strings.Fields(r)[0], "the machine's own table is untouched")
	}

	// FRR's own view, through the API server, the kubelet and containerd (kubectl exec).
	vty := kubectl(t, env, "exec", routerPod, "-n", routerNS, "--", "vtysh", "-c", "show ip route static")
	for _, r := range routesA {
		assert.Contains(t, vty, strings.Fields(r)[0], "vtysh shows the static route")
	}

	// Forwarding: the peer (source address behind it) pings the machine's end of the
	// node's uplink; request and reply both cross the node, the reply by the static route.
	_, err := rn.InPeer(ctx, "ip", "addr", "add", behind+"/32", "dev", "lo")
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = rn.InPeer(context.Background(), "ip", "addr", "del", behind+"/32", "dev", "lo") })
	setNodeSysctl(t, rn, "net.ipv4.conf.eth0.proxy_arp", "1")
	setNodeSysctl(t, rn, "net.ipv4.ip_forward", "0")
	_, err = rn.InPeer(ctx, "ping", "-c", "1", "-w", "2", "-I", behind, rn.HostIP)
	require.Error(t, err, "without forwarding the node must not pass the ping")
	setNodeSysctl(t, rn, "net.ipv4.ip_forward", "1")
	out, err := rn.InPeer(ctx, "ping", "-c", "1", "-w", "10", "-I", behind, rn.HostIP)
	require.NoError(t, err, "ping from the peer through the router node: %s", out)

	// Uninstall: routes withdrawn (zebra stops on SIGTERM), nothing left on the node.
	deletion := watchPodDeletion(t, env, routerNS, routerPod)
	start = time.Now()
	w.mustRun("router", "uninstall", nil, manager.ExecOptions{})
	require.Nil(t, getPod(t, env, routerNS, routerPod))
	t.Logf("router uninstall (pod deleted): %.2f s", time.Since(start).Seconds())
	select {
	case d := <-deletion:
		require.Positive(t, d, "the pod's deletion was not seen start and end")
		t.Logf("router pod gone %.2f s after its deletion started", d.Seconds())
		// The grace period is 30 s: a PID 1 that ignored SIGTERM would be killed only then.
		assert.Less(t, d, podStopMax, "the router's PID 1 stops on SIGTERM")
	case <-time.After(realNodeWait):
		t.Fatal("the watch of the router pod saw no deletion")
	}
	waitRoutes(t, rn, routesA, false)
	t.Logf("router uninstall until the routes are withdrawn: %.2f s", time.Since(start).Seconds())
	assertNodeEmpty(t, env, rn)
	t.Logf("router uninstall until nothing is left on the node: %.2f s", time.Since(start).Seconds())
	require.NoError(t, w.m.DeleteDeployment(ctx, "router", false))

	// A reinstall with other routes changes the table accordingly.
	w.create("router", routerBlueprint, routerInputs(env, "cluster", "eth0,eth1", strings.Join(routesB, ",")))
	w.mustRun("router", "install", nil, manager.ExecOptions{})
	waitRoutes(t, rn, routesB, true)
	table, err := rn.Routes(ctx)
	require.NoError(t, err)
	for _, r := range routesA {
		assert.NotContains(t, table, strings.Fields(r)[0], "the first install's routes are gone")
	}
	w.uninstallAndDelete("router")
	waitRoutes(t, rn, routesB, false)
	assertNodeEmpty(t, env, rn)
	w.uninstallAndDelete("cluster")
	assert.NotContains(t, nodeLabels(t, env, rn.Name), routerLabel)
}

// podStopMax bounds the time from a pod's deletion to its end: well below the default
// grace period (30 s), after which a container that ignored SIGTERM is killed.
const podStopMax = 15 * time.Second

// watchPodDeletion watches pod ns/name (kubectl get -w, started before the delete) and
// sends on the returned channel the time from the first event with a deletionTimestamp to
// the DELETED event (the kubelet stopped the containers and the pod is gone), or 0 when the
// watch ended without both. The watch stops at the end of the test.
func watchPodDeletion(t *testing.T, env *testenv.Env, ns, name string) <-chan time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := env.KubectlCmd(ctx, "get", "pod", name, "-n", ns, "--watch", "--output-watch-events", "-o", "json")
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	done := make(chan time.Duration, 1)
	listed := make(chan struct{})
	go func() {
		var started time.Time
		var d time.Duration
		// Events of one pod: bounded at 16 MiB in all.
		dec := json.NewDecoder(io.LimitReader(stdout, 16<<20))
		for n := 0; ; n++ {
			var ev struct {
				Type   string `json:"type"`
				Object struct {
					Metadata struct {
						DeletionTimestamp string `json:"deletionTimestamp"`
					} `json:"metadata"`
				} `json:"object"`
			}
			err := dec.Decode(&ev)
			if n == 0 {
				close(listed)
			}
			if err != nil {
				break
			}
			if started.IsZero() && ev.Object.Metadata.DeletionTimestamp != "" {
				started = time.Now()
			}
			if ev.Type == "DELETED" {
				if !started.IsZero() {
					d = time.Since(started)
				}
				break
			}
		}
		done <- d
	}()
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	// The watch lists the pod first and then follows it from there: no later event is missed.
	select {
	case <-listed:
	case <-time.After(30 * time.Second):
		t.Fatalf("the watch of pod %s/%s listed nothing in 30 s", ns, name)
	}
	return done
}

// waitRoutes waits until every "PREFIX GATEWAY" route is in the node's table via its
// gateway (present) or none of the prefixes is (absent).
func waitRoutes(t *testing.T, rn *testenv.RealNode, routes []string, present bool) {
	t.Helper()
	deadline := time.Now().Add(realNodeWait)
	for {
		table, err := rn.Routes(context.Background())
		require.NoError(t, err)
		ok := true
		for _, r := range routes {
			f := strings.Fields(r)
			if hasRoute(table, f[0], f[1]) != present {
				ok = false
			}
		}
		if ok {
			return
		}
		require.True(t, time.Now().Before(deadline), "routes %v present=%v not reached in %s; the node's table:\n%s", routes, present, realNodeWait, table)
		time.Sleep(100 * time.Millisecond)
	}
}

// hasRoute reports whether the `ip route show` output table routes prefix via gateway.
// FRR 8 installs its routes through nexthop groups: "10.50.0.0/24 nhid 10 via 172.16.0.1
// dev eth1 proto 196 metric 20", so the gateway is looked up among the line's fields.
func hasRoute(table, prefix, gateway string) bool {
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] != prefix {
			continue
		}
		for i := 1; i+1 < len(f); i++ {
			if f[i] == "via" && f[i+1] == gateway {
				return true
			}
		}
	}
	return false
}

// machineRoutes is the machine's own IPv4 routing table.
func machineRoutes(t *testing.T) string {
	t.Helper()
	out, err := runLocal(context.Background(), "ip", "-4", "route", "show")
	require.NoError(t, err)
	return out
}

// runLocal runs a command on the machine and returns its combined output.
func runLocal(ctx context.Context, name string, args ...string) (string, error) {
	out, err := osexec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// setNodeSysctl sets a sysctl of the node's network namespace and restores it at cleanup.
func setNodeSysctl(t *testing.T, rn *testenv.RealNode, key, value string) {
	t.Helper()
	old, err := rn.InNode(context.Background(), "sysctl", "-n", key)
	require.NoError(t, err)
	_, err = rn.InNode(context.Background(), "sysctl", "-q", "-w", key+"="+value)
	require.NoError(t, err)
	t.Cleanup(func() { _, _ = rn.InNode(context.Background(), "sysctl", "-q", "-w", key+"="+strings.TrimSpace(old)) })
}

// assertNodeEmpty waits (bounded) until the node runs nothing: no pod bound to it, no
// container or task in containerd, no process in its cgroups, no container root file
// system mounted, only the QoS cgroups left under the kubelet's cgroup root, and no
// process in its network namespace but containerd and the kubelet.
func assertNodeEmpty(t *testing.T, env *testenv.Env, rn *testenv.RealNode) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(realNodeWait)
	var why string
	for {
		why = nodeLeftovers(ctx, t, env, rn)
		if why == "" {
			return
		}
		require.True(t, time.Now().Before(deadline), "left on the real node after %s: %s", realNodeWait, why)
		time.Sleep(250 * time.Millisecond)
	}
}

// nodeLeftovers describes what still runs on the node ("" when nothing).
func nodeLeftovers(ctx context.Context, t *testing.T, env *testenv.Env, rn *testenv.RealNode) string {
	pods := kubectl(t, env, "get", "pods", "-A", "--field-selector", "spec.nodeName="+rn.Name, "-o", "name")
	if strings.TrimSpace(pods) != "" {
		return "pods " + pods
	}
	for _, what := range []string{"containers", "tasks"} {
		out, err := rn.Ctr(ctx, what, "ls", "-q")
		if err != nil {
			return err.Error()
		}
		if strings.TrimSpace(out) != "" {
			return what + " " + out
		}
	}
	procs, err := rn.CgroupProcs()
	if err != nil {
		return err.Error()
	}
	if len(procs) > 0 {
		return fmt.Sprintf("processes in %s: %v", rn.Cgroup, procs)
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err.Error()
	}
	state := strings.TrimSuffix(rn.Containerd, "containerd.sock")
	// The kubelet bind-mounts its own root dir (shared, for mount propagation) for as long
	// as it runs; what is mounted below it (pod volumes) must go with the pods.
	kubeletRoot := state + "kubelet"
	for _, l := range strings.Split(string(mounts), "\n") {
		if f := strings.Fields(l); len(f) > 4 && strings.HasPrefix(f[4], state) && f[4] != kubeletRoot {
			return "mount " + f[4]
		}
	}
	nsPids, err := runLocal(ctx, "ip", "netns", "pids", strings.TrimPrefix(rn.NetNS, "/run/netns/"))
	if err != nil {
		return err.Error()
	}
	want := map[string]bool{env.Vars["GANTRY_TESTENV_PID_CONTAINERD"]: true, env.Vars["GANTRY_TESTENV_PID_KUBELET"]: true}
	for _, pid := range strings.Fields(nsPids) {
		if !want[pid] {
			cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			return fmt.Sprintf("process %s (%s) in the node's namespace", pid, strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return ""
}
