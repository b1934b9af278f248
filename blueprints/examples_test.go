// Package blueprints_test checks the example blueprints: each validates
// and plans, and the Quagga image's start.sh writes zebra.conf from
// INTERFACES and ROUTES.
package blueprints_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
)

func TestExamplesValidateAndPlan(t *testing.T) {
	tests := []struct {
		dir       string
		inputs    map[string]any
		instances map[string]int // node -> instance count
	}{
		{"hello", nil, map[string]int{"app_tier": 1, "database": 1, "web": 1}},
		{"kubernetes-cluster", map[string]any{"ssh_keyfilename": "/k"}, map[string]int{"kubernetes_master": 1, "router_node": 1}},
		{"quagga-router", map[string]any{"ssh_keyfilename": "/k"}, map[string]int{"kubernetes_proxy": 1, "quagga": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			bp, problems := tosca.Parse(filepath.Join(tt.dir, "blueprint.yaml"), tosca.Options{})
			require.Empty(t, problems)
			p, problems := bp.Prepare(tt.inputs)
			require.Empty(t, problems)
			require.NoError(t, plan.Expand(p, plan.Options{Seed: 1}))
			got := map[string]int{}
			for _, ni := range p.NodeInstances {
				got[ni.NodeID]++
			}
			require.Equal(t, tt.instances, got)
		})
	}
}

// The router blueprint's inputs reach the pod's env through overrides.
func TestQuaggaOverridesUseInputs(t *testing.T) {
	bp, problems := tosca.Parse("quagga-router/blueprint.yaml", tosca.Options{})
	require.Empty(t, problems)
	p, problems := bp.Prepare(map[string]any{"ssh_keyfilename": "/k", "interfaces": "eth7", "routes": "1.2.3.0/24 9.9.9.9"})
	require.Empty(t, problems)
	var quagga *tosca.Node
	for _, n := range p.Nodes {
		if n.ID == "quagga" {
			quagga = n
		}
	}
	require.NotNil(t, quagga)
	files := quagga.Properties["config_files"].([]any)
	ov := files[0].(map[string]any)["overrides"].(map[string]any)
	require.Equal(t, "eth7", ov["spec.containers[0].env[name=INTERFACES].value"])
	require.Equal(t, "1.2.3.0/24 9.9.9.9", ov["spec.containers[0].env[name=ROUTES].value"])
}

func TestQuaggaStartScriptWritesZebraConf(t *testing.T) {
	conf := t.TempDir()
	cmd := exec.Command("bash", "quagga-router/image/start.sh")
	cmd.Env = append(os.Environ(),
		"INTERFACES=eth0,eth1",
		"ROUTES=10.0.0.0/24 172.16.0.1,10.10.0.0/24 172.16.0.1",
		"QUAGGA_CONF_DIR="+conf,
		"QUAGGA_NO_START=1",
	)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	got, err := os.ReadFile(filepath.Join(conf, "zebra.conf"))
	require.NoError(t, err)
	require.Equal(t, "interface eth0\ninterface eth1\nip route 10.0.0.0/24 172.16.0.1\nip route 10.10.0.0/24 172.16.0.1\n", string(got))

	// Empty inputs write no lines.
	conf2 := t.TempDir()
	cmd = exec.Command("bash", "quagga-router/image/start.sh")
	cmd.Env = append(os.Environ(), "INTERFACES=", "ROUTES=", "QUAGGA_CONF_DIR="+conf2, "QUAGGA_NO_START=1")
	out, err = cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	got, err = os.ReadFile(filepath.Join(conf2, "zebra.conf"))
	if err == nil {
		require.Empty(t, string(got))
	}
}

// The pod names the image that image/build.sh builds (and the test environment loads).
func TestQuaggaPodUsesTheBuiltImage(t *testing.T) {
	script, err := os.ReadFile("quagga-router/image/build.sh")
	require.NoError(t, err)
	m := regexp.MustCompile(`(?m)^IMAGE=(\S+)$`).FindSubmatch(script)
	require.NotNil(t, m, "build.sh sets IMAGE=")
	pod, err := os.ReadFile("quagga-router/resources/kubernetes/pod.yaml")
	require.NoError(t, err)
	require.Contains(t, string(pod), "image: "+string(m[1])+"\n")
	require.Contains(t, string(pod), "imagePullPolicy: IfNotPresent", "the image is loaded, never pulled")
}
