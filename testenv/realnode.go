package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ErrNoRealNode is wrapped when a test needs the real node and the environment has none.
var ErrNoRealNode = errors.New("the test environment has no real node")

// Env-file keys of the real node (testenv/realnode.sh writes them).
const (
	keyRealNode        = "GANTRY_TESTENV_REAL_NODE_NAME"
	keyRealNodeOff     = "GANTRY_TESTENV_REAL_NODE_OFF"
	keyRealNetNS       = "GANTRY_TESTENV_REAL_NODE_NETNS"
	keyRealPeerNetNS   = "GANTRY_TESTENV_REAL_NODE_PEER_NETNS"
	keyRealIP          = "GANTRY_TESTENV_REAL_NODE_IP"
	keyRealHostIP      = "GANTRY_TESTENV_REAL_NODE_HOST_IP"
	keyRealHostIf      = "GANTRY_TESTENV_REAL_NODE_HOST_IF"
	keyRealPeerIP      = "GANTRY_TESTENV_REAL_NODE_PEER_IP"
	keyRealCgroup      = "GANTRY_TESTENV_REAL_NODE_CGROUP"
	keyRealContainerd  = "GANTRY_TESTENV_REAL_NODE_CONTAINERD"
	keyRealTaint       = "GANTRY_TESTENV_REAL_NODE_TAINT"
	keyRealRouterImage = "GANTRY_TESTENV_ROUTER_IMAGE"
)

// RealNode is the environment's real Kubernetes node (testenv/realnode.sh): a kubelet
// with containerd and runc in a network namespace of their own, joined to the control
// plane next to the kwok nodes. Containers really run there; a privileged hostNetwork
// pod changes the namespace's routing table, never the machine's.
type RealNode struct {
	// Name is the Node's name (real-node-0). It carries the NoSchedule taint Taint
	// (key=true), so only pods that tolerate it run there.
	Name  string
	Taint string
	// NetNS is the node's network namespace file (/run/netns/gantry-ID): eth0 (IP) to the
	// machine, whose side of the link is HostInterface with HostIP; eth1 (172.16.0.2) to
	// the peer namespace PeerNetNS, which holds PeerIP (172.16.0.1, the gateway of the
	// router scenario's routes) and routes everything else through the node.
	NetNS         string
	PeerNetNS     string
	IP            string
	HostIP        string
	HostInterface string
	PeerIP        string
	// Cgroup is the kubelet's cgroup root (/gantry-ID in every hierarchy); Containerd the
	// containerd socket (for ctr --address); RouterImage the router image loaded there.
	Cgroup      string
	Containerd  string
	RouterImage string
}

// realNodeFromVars reads the real node's keys; nil when the environment has none.
func realNodeFromVars(path string, vars map[string]string) (*RealNode, error) {
	name := vars[keyRealNode]
	if name == "" {
		return nil, nil
	}
	var missing []string
	get := func(k string) string {
		if vars[k] == "" {
			missing = append(missing, k)
		}
		return vars[k]
	}
	r := &RealNode{
		Name:          name,
		NetNS:         get(keyRealNetNS),
		PeerNetNS:     get(keyRealPeerNetNS),
		IP:            get(keyRealIP),
		HostIP:        get(keyRealHostIP),
		HostInterface: get(keyRealHostIf),
		PeerIP:        get(keyRealPeerIP),
		Cgroup:        get(keyRealCgroup),
		Containerd:    get(keyRealContainerd),
		Taint:         get(keyRealTaint),
		RouterImage:   get(keyRealRouterImage),
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("env file %s: %s is set but %s missing", path, keyRealNode, strings.Join(missing, ", "))
	}
	return r, nil
}

// RequireRealNode is RequireExclusive for a test that runs containers on the real node.
// An environment started without it on purpose (GANTRY_TESTENV_REAL_NODE=0, the opt-out:
// its env file says GANTRY_TESTENV_REAL_NODE_OFF=1) skips the test, also under CI=true; an env file
// that has neither is a broken environment: the test fails under CI=true.
func RequireRealNode(t testing.TB) (*Env, *RealNode) {
	t.Helper()
	e := RequireExclusive(t)
	if e == nil {
		return nil, nil
	}
	if e.Real == nil {
		noRealNode(t, e)
		return nil, nil
	}
	return e, e.Real
}

// noRealNode skips the test when e was started without a real node on purpose, and
// otherwise (a broken env file) reports it as unavailable: a failure under CI=true.
func noRealNode(t testing.TB, e *Env) {
	t.Helper()
	if e.Vars[keyRealNodeOff] == "1" {
		msg := fmt.Sprintf("testenv: %v: %s was started with GANTRY_TESTENV_REAL_NODE=0 (start one without it: make testenv-up)", ErrNoRealNode, e.Dir)
		t.Skip(msg)
		return
	}
	unavailable(t, fmt.Errorf("%w (%s has neither %s nor %s)", ErrNoRealNode, e.File, keyRealNode, keyRealNodeOff))
}

// InNode runs CMD ARGS... in the node's network namespace only (nsenter --net: the
// machine's /sys and cgroups stay visible) and returns its combined output.
func (r *RealNode) InNode(ctx context.Context, args ...string) (string, error) {
	return runIn(ctx, r.NetNS, args...)
}

// InPeer runs CMD ARGS... in the peer namespace.
func (r *RealNode) InPeer(ctx context.Context, args ...string) (string, error) {
	return runIn(ctx, r.PeerNetNS, args...)
}

// Routes returns the IPv4 routing table of the node (`ip -4 route show`).
func (r *RealNode) Routes(ctx context.Context) (string, error) {
	return r.InNode(ctx, "ip", "-4", "route", "show")
}

// Ctr runs `ctr -n k8s.io ARGS...` against the node's containerd.
func (r *RealNode) Ctr(ctx context.Context, args ...string) (string, error) {
	return run(ctx, append([]string{"ctr", "--address", r.Containerd, "-n", "k8s.io"}, args...)...)
}

// CgroupProcs returns the pids in the node's cgroup tree (pods' processes), read from the
// pids hierarchy (cgroup v1) or the unified one.
func (r *RealNode) CgroupProcs() ([]string, error) {
	var pids []string
	for _, root := range []string{"/sys/fs/cgroup/pids", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		dir := filepath.Join(root, r.Cgroup)
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.Name() != "cgroup.procs" {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			pids = append(pids, strings.Fields(string(b))...)
			return nil
		})
		return pids, err
	}
	return nil, fmt.Errorf("cgroup root %s not found in any hierarchy", r.Cgroup)
}

// runIn runs a command in the network namespace nsPath.
func runIn(ctx context.Context, nsPath string, args ...string) (string, error) {
	return run(ctx, append([]string{"nsenter", "--net=" + nsPath, "--"}, args...)...)
}

// run runs a command and returns its combined output; the error carries it too.
func run(ctx context.Context, args ...string) (string, error) {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return out.String(), nil
}
