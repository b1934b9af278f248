//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/testenv"
)

// pod is the part of a Pod the tests look at.
type pod struct {
	Metadata struct {
		Name      string            `json:"name"`
		Namespace string            `json:"namespace"`
		UID       string            `json:"uid"`
		Labels    map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec struct {
		NodeName     string            `json:"nodeName"`
		HostNetwork  bool              `json:"hostNetwork"`
		NodeSelector map[string]string `json:"nodeSelector"`
		Containers   []struct {
			Name string `json:"name"`
			Env  []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"env"`
			SecurityContext struct {
				Privileged *bool `json:"privileged"`
			} `json:"securityContext"`
		} `json:"containers"`
	} `json:"spec"`
	Status struct {
		Phase  string `json:"phase"`
		HostIP string `json:"hostIP"`
	} `json:"status"`
}

// env returns the value of a container's environment variable.
func (p *pod) env(container int, name string) (string, bool) {
	if container >= len(p.Spec.Containers) {
		return "", false
	}
	for _, e := range p.Spec.Containers[container].Env {
		if e.Name == name {
			return e.Value, true
		}
	}
	return "", false
}

func kubectl(t testing.TB, env *testenv.Env, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := env.Kubectl(ctx, args...)
	require.NoError(t, err)
	return out
}

// getPod returns the pod, or nil when it does not exist.
func getPod(t testing.TB, env *testenv.Env, namespace, name string) *pod {
	t.Helper()
	out := kubectl(t, env, "get", "pod", name, "-n", namespace, "--ignore-not-found", "-o", "json")
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var p pod
	require.NoError(t, json.Unmarshal([]byte(out), &p))
	return &p
}

// podsWithLabel lists the pods (all namespaces) matching a label selector.
func podsWithLabel(t testing.TB, env *testenv.Env, selector string) []pod {
	t.Helper()
	out := kubectl(t, env, "get", "pods", "-A", "-l", selector, "-o", "json")
	var list struct {
		Items []pod `json:"items"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &list))
	return list.Items
}

// nodeLabels returns a Kubernetes node's labels.
func nodeLabels(t testing.TB, env *testenv.Env, node string) map[string]string {
	t.Helper()
	out := kubectl(t, env, "get", "node", node, "-o", "json")
	var n struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &n))
	return n.Metadata.Labels
}

// nodesWithLabel returns the names of the nodes that carry a label key.
func nodesWithLabel(t testing.TB, env *testenv.Env, key string) []string {
	t.Helper()
	out := kubectl(t, env, "get", "nodes", "-l", key, "-o", "name")
	return strings.Fields(out)
}

// cleanupPod deletes a pod at the end of the test, whatever happened.
func cleanupPod(t testing.TB, env *testenv.Env, namespace, name string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := env.Kubectl(ctx, "delete", "pod", name, "-n", namespace, "--ignore-not-found", "--wait=false"); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}

// cleanupPods deletes the pods matching a selector at the end of the test.
func cleanupPods(t testing.TB, env *testenv.Env, selector string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := env.Kubectl(ctx, "delete", "pods", "-A", "-l", selector, "--ignore-not-found", "--wait=false"); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}

// cleanupLabels removes label keys from a node at the end of the test.
func cleanupLabels(t testing.TB, env *testenv.Env, node string, keys ...string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		args := []string{"label", "node", node}
		for _, k := range keys {
			args = append(args, k+"-")
		}
		if _, err := env.Kubectl(ctx, args...); err != nil {
			t.Logf("cleanup: %v", err)
		}
	})
}

// apiPort is the API server's port, which the cluster blueprint exports.
func apiPort(t testing.TB, env *testenv.Env) int {
	t.Helper()
	u, err := url.Parse(env.APIServer)
	require.NoError(t, err)
	p, err := strconv.Atoi(u.Port())
	require.NoError(t, err)
	return p
}

// waitSchedulingWorks creates a probe pod and waits until it is Running,
// then deletes it. After an API server outage kube-scheduler and kwok
// reconnect with their own backoff (up to ~30 s): a test that resumes
// after one waits for them rather than for its own operation's timeout.
func waitSchedulingWorks(t *testing.T, env *testenv.Env, name string) time.Duration {
	t.Helper()
	start := time.Now()
	manifest := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"` + name + `","namespace":"default"},` +
		`"spec":{"containers":[{"name":"probe","image":"registry.k8s.io/pause:3.10"}]}}`
	cleanupPod(t, env, "default", name)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := env.KubectlCmd(ctx, "apply", "-f", "-")
	cmd.Stdin = strings.NewReader(manifest)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	for {
		if p := getPod(t, env, "default", name); p != nil && p.Status.Phase == "Running" {
			break
		}
		require.NoError(t, ctx.Err(), "probe pod %s never ran", name)
		time.Sleep(250 * time.Millisecond)
	}
	kubectl(t, env, "delete", "pod", name, "-n", "default", "--wait=false")
	return time.Since(start)
}
