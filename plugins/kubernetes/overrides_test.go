package kubernetes

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

const podYAML = `
apiVersion: v1
kind: Pod
metadata:
  name: quagga
spec:
  containers:
    - name: quagga
      image: quagga
      env:
        - name: INTERFACES
          value: eth0
        - name: ROUTES
          value: none
`

func decode(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, yaml.Unmarshal([]byte(s), &m))
	return m
}

func TestSetPath(t *testing.T) {
	tests := []struct {
		name  string
		path  string
		value any
		get   func(m map[string]any) any
	}{
		{"map key", "metadata.name", "r1", func(m map[string]any) any { return m["metadata"].(map[string]any)["name"] }},
		{"new nested map key", "metadata.labels.role", "router", func(m map[string]any) any {
			return m["metadata"].(map[string]any)["labels"].(map[string]any)["role"]
		}},
		{"quoted key with dots", `metadata.annotations["app.kubernetes.io/name"]`, "quagga", func(m map[string]any) any {
			return m["metadata"].(map[string]any)["annotations"].(map[string]any)["app.kubernetes.io/name"]
		}},
		{"list index", "spec.containers[0].image", "quagga:2", func(m map[string]any) any {
			return container(m)["image"]
		}},
		{"selector", "spec.containers[name=quagga].env[name=ROUTES].value", "10.0.0.0/24 1.2.3.4", func(m map[string]any) any {
			return container(m)["env"].([]any)[1].(map[string]any)["value"]
		}},
		{"hostile value stays data", "spec.containers[0].env[name=INTERFACES].value", "x'; import os; os.system('rm -rf /')", func(m map[string]any) any {
			return container(m)["env"].([]any)[0].(map[string]any)["value"]
		}},
		{"replace a whole map", "spec.nodeSelector", map[string]any{"role": "router"}, func(m map[string]any) any {
			return m["spec"].(map[string]any)["nodeSelector"]
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := decode(t, podYAML)
			require.NoError(t, SetPath(m, tt.path, tt.value))
			require.Equal(t, tt.value, tt.get(m))
		})
	}
}

func container(m map[string]any) map[string]any {
	return m["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
}

func TestSetPathErrors(t *testing.T) {
	tests := []struct {
		path string
		want string
	}{
		{"", "empty path"},
		{"spec..x", "empty segment"},
		{"spec.", "ends with '.'"},
		{"spec.containers[5].image", "index 5 is out of range"},
		{"spec.containers[name=nginx].image", "no element of spec.containers has name=nginx"},
		{"spec.containers[x].image", "neither an index"},
		{"spec.containers[0", "unclosed"},
		{"metadata.name.first", "metadata.name is a string, not a map"},
		{"metadata[0]", "metadata is a map, not a list"},
		{"[0]", "must start with a key"},
		{"spec.volumes[0].name", "spec has no list \"volumes\""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			err := SetPath(decode(t, podYAML), tt.path, "v")
			require.ErrorIs(t, err, ErrBadPath)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func FuzzSetPath(f *testing.F) {
	for _, s := range []string{"spec.containers[0].image", "a[name=x].b", `m["a.b"]`, "..", "[", "a[-1]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(podYAML), &m); err != nil {
			t.Fatal(err)
		}
		_ = SetPath(m, path, "v") // must not panic
	})
}
