package kubernetes

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenderManifestsFromFile(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pod.yaml"), []byte(podYAML), 0o644))
	files, err := ParseConfigFiles([]any{map[string]any{
		"file": "pod.yaml",
		"overrides": map[string]any{
			"spec.containers[0].env[name=INTERFACES].value": "eth1,eth2",
			"spec.nodeSelector.role":                        "router",
		},
	}})
	require.NoError(t, err)
	objs, err := RenderManifests(nil, files, func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, p)) })
	require.NoError(t, err)
	require.Len(t, objs, 1)
	require.Equal(t, "eth1,eth2", container(objs[0])["env"].([]any)[0].(map[string]any)["value"])
	require.Equal(t, map[string]any{"role": "router"}, objs[0]["spec"].(map[string]any)["nodeSelector"])

	data, err := EncodeList(objs)
	require.NoError(t, err)
	var list map[string]any
	require.NoError(t, json.Unmarshal(data, &list))
	require.Equal(t, "List", list["kind"])
	require.Len(t, list["items"], 1)
}

func TestRenderManifestsMultiDocument(t *testing.T) {
	multi := podYAML + "\n---\napiVersion: v1\nkind: Service\nmetadata: {name: quagga}\nspec: {ports: [{port: 80}]}\n"
	files := []ConfigFile{{File: "all.yaml", Overrides: map[string]any{"[1].spec.ports[0].port": 8080}}}
	objs, err := RenderManifests(nil, files, func(string) ([]byte, error) { return []byte(multi), nil })
	require.NoError(t, err)
	require.Len(t, objs, 2)
	require.Equal(t, 8080, objs[1]["spec"].(map[string]any)["ports"].([]any)[0].(map[string]any)["port"])
}

func TestRenderManifestsErrors(t *testing.T) {
	read := func(s string) func(string) ([]byte, error) {
		return func(string) ([]byte, error) { return []byte(s), nil }
	}
	tests := []struct {
		name   string
		config map[string]any
		files  []ConfigFile
		read   func(string) ([]byte, error)
		want   string
	}{
		{"nothing", nil, nil, read(""), "neither config nor config_files"},
		{"no kind", map[string]any{"apiVersion": "v1", "metadata": map[string]any{"name": "x"}}, nil, read(""), "has no kind"},
		{"no name", nil, []ConfigFile{{File: "a.yaml"}}, read("apiVersion: v1\nkind: Pod\nmetadata: {generateName: x-}\n"), "no metadata.name"},
		{"bad yaml", nil, []ConfigFile{{File: "a.yaml"}}, read("kind: [\n"), "a.yaml"},
		{"empty file", nil, []ConfigFile{{File: "a.yaml"}}, read("# nothing\n"), "holds no Kubernetes object"},
		{"bad override", nil, []ConfigFile{{File: "a.yaml", Overrides: map[string]any{"spec.containers[3].image": "x"}}}, read(podYAML), "out of range"},
		{"missing file", nil, []ConfigFile{{File: "a.yaml"}}, func(string) ([]byte, error) { return nil, os.ErrNotExist }, "reading a.yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RenderManifests(tt.config, tt.files, tt.read)
			require.ErrorIs(t, err, ErrManifest)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestParseConfigFilesErrors(t *testing.T) {
	for name, v := range map[string]any{
		"not a list":       "pod.yaml",
		"no file":          []any{map[string]any{"overrides": map[string]any{}}},
		"python overrides": []any{map[string]any{"file": "p.yaml", "overrides": []any{"['spec']['replicas']=3"}}},
		"unknown key":      []any{map[string]any{"file": "p.yaml", "override": map[string]any{}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfigFiles(v)
			require.ErrorIs(t, err, ErrManifest)
		})
	}
}

func TestParseAppliedAndMerge(t *testing.T) {
	single := `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"quagga","namespace":"default","uid":"u1"}}`
	objs, err := ParseApplied([]byte(single))
	require.NoError(t, err)
	require.Equal(t, []Object{{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "quagga", UID: "u1"}}, objs)
	require.Equal(t, "pod/quagga", objs[0].Ref())

	list := `{"apiVersion":"v1","kind":"List","items":[` + single + `,{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","uid":"u2"}}]}`
	objs2, err := ParseApplied([]byte(list))
	require.NoError(t, err)
	require.Len(t, objs2, 2)
	require.Equal(t, "deployment.apps/web", objs2[1].Ref())

	// A retried start records each object once, with the newest uid.
	again := []Object{{APIVersion: "v1", Kind: "Pod", Namespace: "default", Name: "quagga", UID: "u3"}}
	merged := MergeObjects(objs2, again)
	require.Len(t, merged, 2)
	require.Equal(t, "u3", merged[0].UID)

	back, err := ObjectsFromRuntime(ObjectsToRuntime(merged))
	require.NoError(t, err)
	require.Equal(t, merged, back)

	_, err = ParseApplied([]byte("error: something"))
	require.Error(t, err)
}

func TestCheckReady(t *testing.T) {
	tests := []struct {
		name  string
		obj   string
		ready bool
		fatal bool
		why   string
	}{
		{"pod running ready", `{"kind":"Pod","status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}`, true, false, ""},
		{"pod running not ready", `{"kind":"Pod","status":{"phase":"Running","conditions":[{"type":"Ready","status":"False"}]}}`, false, false, "not Ready"},
		{"pod pending unschedulable", `{"kind":"Pod","status":{"phase":"Pending","conditions":[{"type":"PodScheduled","status":"False","message":"0/3 nodes match node selector"}]}}`, false, false, "0/3 nodes"},
		{"pod failed", `{"kind":"Pod","status":{"phase":"Failed"}}`, false, true, "Failed"},
		{"deployment available", `{"kind":"Deployment","metadata":{"generation":2},"spec":{"replicas":2},"status":{"observedGeneration":2,"availableReplicas":2}}`, true, false, ""},
		{"deployment partial", `{"kind":"Deployment","metadata":{"generation":1},"spec":{"replicas":3},"status":{"observedGeneration":1,"availableReplicas":1}}`, false, false, "1/3"},
		{"deployment stale", `{"kind":"Deployment","metadata":{"generation":3},"spec":{"replicas":1},"status":{"observedGeneration":2,"availableReplicas":1}}`, false, false, "generation"},
		{"service exists", `{"kind":"Service"}`, true, false, ""},
		{"job failed", `{"kind":"Job","status":{"conditions":[{"type":"Failed","status":"True"}]}}`, false, true, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := CheckReady([]byte(tt.obj))
			require.NoError(t, err)
			require.Equal(t, tt.ready, r.Ready)
			require.Equal(t, tt.fatal, r.Fatal)
			require.Contains(t, r.Reason, tt.why)
		})
	}
}

func TestExpandVars(t *testing.T) {
	vars := map[string]string{"${instance_name}": "web-a1b2c3", "${instance_id}": "web_a1b2c3"}
	got := expandVars(map[string]any{
		"name":   "quagga-${instance_name}",
		"labels": []any{"${instance_id}", 3, "plain"},
	}, vars)
	require.Equal(t, map[string]any{
		"name":   "quagga-web-a1b2c3",
		"labels": []any{"web_a1b2c3", 3, "plain"},
	}, got)
}
