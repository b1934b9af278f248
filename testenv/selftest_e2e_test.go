//go:build e2e

package testenv_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"

	"github.com/gantryhq/gantry/testenv"
)

// The seed's router pod: privileged, host network, pinned to the role=router node,
// configured through INTERFACES and ROUTES. kwok runs no container, so only what the API
// stores and reports (node, phase, addresses, spec) can be checked.
const routerPod = `apiVersion: v1
kind: Pod
metadata:
  name: gantry-selftest-router
  namespace: default
  labels: {app: gantry-selftest}
spec:
  hostNetwork: true
  nodeSelector: {role: router}
  containers:
  - name: router
    image: gantryhq/quagga:1.2.4
    command: ["bash", "/root/start.sh"]
    securityContext: {privileged: true}
    env:
    - {name: INTERFACES, value: "eth1 eth2"}
    - {name: ROUTES, value: "10.1.0.0/16 via 10.200.0.1"}
`

// sshConfig builds a client config that verifies the server against the environment's
// known_hosts file and logs in with its generated key.
func sshConfig(t *testing.T, env *testenv.Env, knownHostsPath string) *ssh.ClientConfig {
	t.Helper()
	pem, err := os.ReadFile(env.SSHKeyPath)
	require.NoError(t, err)
	signer, err := ssh.ParsePrivateKey(pem)
	require.NoError(t, err)
	hostKeys, err := knownhosts.New(knownHostsPath)
	require.NoError(t, err)
	return &ssh.ClientConfig{
		User:            env.SSHUser,
		Auth:            []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: hostKeys,
		Timeout:         10 * time.Second,
	}
}

func dial(t *testing.T, env *testenv.Env) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", env.SSHAddr(), sshConfig(t, env, env.KnownHostsPath))
	require.NoError(t, err, "ssh to %s", env.SSHAddr())
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// run executes cmd in a new SSH session with stdin, returning stdout; the error carries
// stderr and the exit status.
func run(c *ssh.Client, stdin, cmd string) (string, error) {
	s, err := c.NewSession()
	if err != nil {
		return "", fmt.Errorf("new session: %w", err)
	}
	defer s.Close()
	var stdout, stderr bytes.Buffer
	s.Stdin = strings.NewReader(stdin)
	s.Stdout = &stdout
	s.Stderr = &stderr
	if err := s.Run(cmd); err != nil {
		return stdout.String(), fmt.Errorf("%q: %w: %s", cmd, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

func mustRun(t *testing.T, c *ssh.Client, stdin, cmd string) string {
	t.Helper()
	out, err := run(c, stdin, cmd)
	require.NoError(t, err)
	return strings.TrimSpace(out)
}

// eventually polls cmd over SSH until its trimmed output equals want.
func eventually(t *testing.T, c *ssh.Client, cmd, want string, timeout time.Duration) {
	t.Helper()
	var got string
	var err error
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		got, err = run(c, "", cmd)
		got = strings.TrimSpace(got)
		if err == nil && got == want {
			return
		}
	}
	t.Fatalf("%s: want %q within %s, last output %q, error %v", cmd, want, timeout, got, err)
}

func TestSelfKubectlOverSSHWithoutFlags(t *testing.T) {
	env := testenv.Require(t)
	c := dial(t, env)
	assert.Equal(t, env.Kubeconfig, mustRun(t, c, "", "printenv KUBECONFIG"), "sshd sets KUBECONFIG")
	assert.Equal(t, env.K8sVersion, mustRun(t, c, "", "kubectl version -o json 2>/dev/null | sed -n 's/.*\"gitVersion\": \"\\(v[^\"]*\\)\".*/\\1/p' | tail -n 1"),
		"the server version is the one built")

	nodes := mustRun(t, c, "", `kubectl get nodes -o jsonpath='{range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address} {.metadata.labels.role}{"\n"}{end}'`)
	// The kwok nodes; the real node, if any, is checked by TestSelfRealNode.
	var lines []string
	for _, l := range strings.Split(nodes, "\n") {
		if env.Real == nil || !strings.HasPrefix(l, env.Real.Name+" ") {
			lines = append(lines, l)
		}
	}
	require.Len(t, lines, len(env.Nodes), "one line per node: %q", nodes)
	for i, l := range lines {
		f := strings.Fields(l)
		require.Len(t, f, 3, "name, Ready, InternalIP and no role label: %q", l)
		assert.Equal(t, env.Nodes[i], f[0])
		assert.Equal(t, "True", f[1], "node %s Ready", f[0])
		assert.NotNil(t, net.ParseIP(f[2]), "node %s has an InternalIP", f[0])
	}
}

func TestSelfKnownHostsRejectsOtherHostKey(t *testing.T) {
	env := testenv.Require(t)
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	sshPub, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	wrong := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(env.SSHAddr())}, sshPub)
	require.NoError(t, os.WriteFile(wrong, []byte(line+"\n"), 0o600))

	_, err = ssh.Dial("tcp", env.SSHAddr(), sshConfig(t, env, wrong))
	var keyErr *knownhosts.KeyError
	require.ErrorAs(t, err, &keyErr, "a different host key must be refused")
	assert.NotEmpty(t, keyErr.Want, "the mismatch is against the recorded key")
}

func TestSelfRouterPodOverSSH(t *testing.T) {
	// Exclusive: node labels are visible to every other test.
	env := testenv.RequireExclusive(t)
	require.NotEmpty(t, env.Nodes)
	c := dial(t, env)
	node := env.Nodes[0]
	ctx := context.Background()

	mustRun(t, c, "", "kubectl label node "+node+" role=router")
	t.Cleanup(func() {
		// Also when the test failed half-way: no label, no pod left for others.
		_, _ = env.Kubectl(ctx, "delete", "pod", "gantry-selftest-router", "--ignore-not-found", "--wait=true")
		_, _ = env.Kubectl(ctx, "label", "node", node, "role-")
	})

	mustRun(t, c, routerPod, "kubectl apply -f -")
	pod := "kubectl get pod gantry-selftest-router -o jsonpath="
	eventually(t, c, pod+"'{.status.phase} {.spec.nodeName}'", "Running "+node, 30*time.Second)

	nodeIP := mustRun(t, c, "", "kubectl get node "+node+` -o jsonpath='{.status.addresses[?(@.type=="InternalIP")].address}'`)
	assert.Equal(t, nodeIP, mustRun(t, c, "", pod+"'{.status.podIP}'"), "a hostNetwork pod has its node's IP")
	assert.Equal(t, "true true", mustRun(t, c, "", pod+"'{.spec.hostNetwork} {.spec.containers[0].securityContext.privileged}'"))
	assert.Equal(t, "eth1 eth2|10.1.0.0/16 via 10.200.0.1",
		mustRun(t, c, "", pod+`'{.spec.containers[0].env[?(@.name=="INTERFACES")].value}|{.spec.containers[0].env[?(@.name=="ROUTES")].value}'`))

	mustRun(t, c, routerPod, "kubectl delete -f - --wait=true")
	_, err := run(c, "", "kubectl get pod gantry-selftest-router")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "NotFound", "the pod is gone")

	mustRun(t, c, "", "kubectl label node "+node+" role-")
	assert.Empty(t, mustRun(t, c, "", "kubectl get nodes -l role -o name"), "no node keeps a role label")
}

func TestSelfSSHDStopStart(t *testing.T) {
	env := testenv.RequireExclusive(t)
	before := dial(t, env)
	mustRun(t, before, "", "true")

	require.NoError(t, env.StopSSHD())
	_, err := ssh.Dial("tcp", env.SSHAddr(), sshConfig(t, env, env.KnownHostsPath))
	require.Error(t, err, "no new connections while sshd is stopped")
	assert.True(t, errors.Is(err, syscall.ECONNREFUSED), "connection refused, got %v", err)

	require.NoError(t, env.StartSSHD())
	after := dial(t, env) // same port, same host key: known_hosts still matches
	assert.Equal(t, env.SSHUser, mustRun(t, after, "", "id -un"))
}

func TestSelfAPIServerStopStart(t *testing.T) {
	env := testenv.RequireExclusive(t)
	c := dial(t, env)
	ctx := context.Background()
	mustRun(t, c, "", "kubectl create configmap gantry-selftest-survives --from-literal=k=v")
	t.Cleanup(func() {
		_, _ = env.Kubectl(ctx, "delete", "configmap", "gantry-selftest-survives", "--ignore-not-found")
	})

	require.NoError(t, env.StopAPIServer())
	_, err := run(c, "", "kubectl get nodes --request-timeout=5s")
	require.Error(t, err, "kubectl fails while the API server is stopped")
	assert.Contains(t, err.Error(), "refused")

	require.NoError(t, env.StartAPIServer())
	assert.Equal(t, "v", mustRun(t, c, "", "kubectl get configmap gantry-selftest-survives -o jsonpath='{.data.k}'"),
		"objects survive an API server restart (etcd keeps them)")
}

// A pod on the real node that runs for real: the router image (imported, never pulled)
// on the CNI bridge (not hostNetwork), its output through `kubectl logs`, a command in it
// through `kubectl exec` (API server -> kubelet -> containerd), a graceful delete.
const realPod = `apiVersion: v1
kind: Pod
metadata: {name: gantry-selftest-real, namespace: default}
spec:
  nodeName: %s
  tolerations: [{operator: Exists}]
  terminationGracePeriodSeconds: 5
  containers:
  - name: c
    image: %s
    imagePullPolicy: Never
    command: ["sh", "-c", "trap 'exit 0' TERM; ip -4 -o addr show eth0; echo started; while :; do sleep 0.2; done"]
`

func TestSelfRealNode(t *testing.T) {
	env, rn := testenv.RequireRealNode(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	get := func(args ...string) string {
		out, err := env.Kubectl(ctx, args...)
		require.NoError(t, err)
		return strings.TrimSpace(out)
	}
	assert.Equal(t, "True "+rn.IP+" "+rn.Taint+"=true:NoSchedule "+env.K8sVersion,
		get("get", "node", rn.Name, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.addresses[?(@.type=="InternalIP")].address} {.spec.taints[0].key}={.spec.taints[0].value}:{.spec.taints[0].effect} {.status.nodeInfo.kubeletVersion}`))
	routes, err := rn.Routes(ctx)
	require.NoError(t, err)
	assert.Contains(t, routes, "dev eth0", "uplink to the machine")
	assert.Contains(t, routes, "172.16.0.0/24 dev eth1", "link to the peer")
	assert.NotContains(t, routes, "default", "the node has no default route of its own")
	_, err = rn.InNode(ctx, "ping", "-c", "1", "-w", "5", rn.PeerIP)
	require.NoError(t, err, "the node reaches the peer")

	t.Cleanup(func() {
		_, _ = env.Kubectl(context.Background(), "delete", "pod", "gantry-selftest-real", "--ignore-not-found", "--wait=true", "--timeout=60s")
	})
	cmd := env.KubectlCmd(ctx, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(fmt.Sprintf(realPod, rn.Name, rn.RouterImage))
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	start := time.Now()
	for get("get", "pod", "gantry-selftest-real", "-o", "jsonpath={.status.phase}") != "Running" {
		require.Less(t, time.Since(start), time.Minute, "pod not Running: %s", get("describe", "pod", "gantry-selftest-real"))
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("pod Running %.1f s after apply", time.Since(start).Seconds())
	podIP := get("get", "pod", "gantry-selftest-real", "-o", "jsonpath={.status.podIP}")
	assert.True(t, strings.HasPrefix(podIP, "10.88."), "the CNI bridge gave the pod its address: %q", podIP)
	var logs string
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		if logs = get("logs", "gantry-selftest-real"); strings.Contains(logs, "started") {
			break
		}
	}
	assert.Contains(t, logs, podIP, "kubectl logs shows the container's output")
	assert.Equal(t, "hello", get("exec", "gantry-selftest-real", "--", "echo", "hello"))

	start = time.Now()
	get("delete", "pod", "gantry-selftest-real", "--wait=true", "--timeout=60s")
	assert.Less(t, time.Since(start), 10*time.Second, "the container stops on SIGTERM")
	tasks, err := rn.Ctr(ctx, "tasks", "ls", "-q")
	require.NoError(t, err)
	assert.Empty(t, strings.TrimSpace(tasks), "no task left in containerd")
}
