package tosca

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// modernFixture writes a manager-style resources folder and a plugin
// catalog and returns their paths.
func modernFixture(t *testing.T) (resources, catalog string) {
	t.Helper()
	root := t.TempDir()
	typesFile := func(ver, typ string) string {
		return "tosca_definitions_version: cloudify_dsl_" + ver + "\nnode_types:\n  cloudify.nodes.Root: {}\n  " + typ + ": {derived_from: cloudify.nodes.Root}\n" +
			"plugins:\n  script: {executor: central_deployment_agent, install: false}\n"
	}
	plugin := func(typ string) string {
		return "plugins:\n  p: {executor: central_deployment_agent, package_name: p}\nnode_types:\n  " + typ +
			":\n    derived_from: cloudify.nodes.Root\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: p.tasks.create\n"
	}
	files := map[string]string{
		"res/cloudify/types/types_1_3.yaml": typesFile("1_3", "T13"),
		"res/cloudify/types/types_1_4.yaml": typesFile("1_4", "T14"),
		"res/cloudify/types/types.yaml":     typesFile("1_4", "T15"),
		"cat/p/1.0/plugin.yaml":             plugin("P10"),
		"cat/p/2.0/plugin.yaml":             plugin("P20"),
		"cat/p/2.0/plugin_1_4.yaml":         plugin("P20_14"),
		"cat/p/3.0rc1/plugin.yaml":          plugin("P30rc1"),
		// q uses 1_4 types: the manager makes a plugin_1_3.yaml of it.
		"cat/q/1.0/plugin.yaml": "plugins:\n  q: {executor: central_deployment_agent, package_name: q}\nworkflows:\n  wq:\n    mapping: q.w\n" +
			"    availability_rules: {available: true}\n    parameters:\n      d: {type: deployment_id, constraints: [{name_pattern: {contains: x}}]}\n",
	}
	for name, content := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	return filepath.Join(root, "res"), filepath.Join(root, "cat")
}

func TestModernImports(t *testing.T) {
	res, cat := modernFixture(t)
	opts := Options{ResourcesDir: res, PluginsDir: cat}
	bp := func(ver, imp, typ string) map[string]string {
		return map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_" + ver +
			"\nimports:\n  - cloudify/types/types.yaml\n" + imp + "node_templates:\n  n: {type: " + typ + "}\n"}
	}
	tests := []struct {
		name, ver, imp, typ string
		opts                Options
		code                string // "" when valid
	}{
		{"1_3 gets types_1_3", "1_3", "", "T13", opts, ""},
		{"1_4 gets types_1_4", "1_4", "", "T14", opts, ""},
		{"1_5 gets types.yaml", "1_5", "", "T15", opts, ""},
		{"1_4 does not get types.yaml", "1_4", "", "T15", opts, CodeTypeNotFound},
		{"built-in types without a resources folder", "1_4", "", "cloudify.nodes.Compute", Options{}, ""},
		{"highest final version, per-DSL file", "1_4", "  - plugin:p\n", "P20_14", opts, ""},
		{"1_5 gets the highest plugin_1_N", "1_5", "  - plugin:p\n", "P20_14", opts, ""},
		{"1_3 gets plugin.yaml", "1_3", "  - plugin:p\n", "P20", opts, ""},
		{"specifier", "1_4", "  - plugin:p?version= <2\n", "P10", opts, ""},
		{"no operator means ===", "1_4", "  - plugin:p?version=1.0\n", "P10", opts, ""},
		{"a pre-release only when named", "1_4", "  - plugin:p?version=>=3.0rc1\n", "P30rc1", opts, ""},
		{"namespaced plugin import", "1_4", "  - ns--plugin:p?version=1.0\n", "ns--P10", opts, ""},
		{"no matching version", "1_4", "  - plugin:p?version=>=9\n", "P10", opts, CodeImportNotFound},
		{"bad specifier", "1_4", "  - plugin:p?version=>=\n", "P10", opts, CodeImportInvalid},
		{"unknown query key", "1_4", "  - plugin:p?color=red\n", "P10", opts, CodeImportInvalid},
		{"not in the catalog", "1_4", "  - plugin:nosuch\n", "P10", opts, CodeImportNotFound},
		{"no catalog", "1_4", "  - plugin:p\n", "P10", Options{ResourcesDir: res}, CodeImportNotFound},
		{"path in a plugin name", "1_4", "  - plugin:../p\n", "P10", opts, CodeImportInvalid},
		{"1_3 gets the downgraded plugin_1_3", "1_3", "  - plugin:q\n", "T13", opts, ""},
		{"1_4 gets the downgraded plugin_1_3 too", "1_4", "  - plugin:q\n", "T14", opts, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			probs := parseFiles(t, bp(tt.ver, tt.imp, tt.typ), tt.opts)
			if tt.code == "" {
				assert.Empty(t, probs)
			} else {
				assert.True(t, probs.Has(tt.code), "want %s: %v", tt.code, probs)
			}
		})
	}
}

func TestDowngradePlugin(t *testing.T) {
	_, cat := modernFixture(t)
	root, probs := decodeYAML("q", mustRead(t, filepath.Join(cat, "q/1.0/plugin.yaml")), DefaultMaxFileSize)
	require.Empty(t, probs)
	require.True(t, downgradePlugin(root))
	d := root.get("workflows").get("wq")
	assert.Nil(t, d.get("availability_rules"))
	param := d.get("parameters").get("d")
	assert.Equal(t, "string", param.get("type").val)
	assert.Nil(t, param.get("constraints"))
	assert.False(t, downgradePlugin(root), "nothing left to downgrade")
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return data
}

// A catalog plugin validates and plans (declared), but install refuses its
// operations: tosca.GantryRuntime is the one list of what runs.
func TestCatalogPluginDeclaredNotRunnable(t *testing.T) {
	res, cat := modernFixture(t)
	files := map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_4\nimports:\n  - cloudify/types/types.yaml\n  - plugin:p\nnode_templates:\n  n: {type: P20_14}\n"}
	assert.Empty(t, parseFiles(t, files, Options{ResourcesDir: res, PluginsDir: cat}))
	probs := parseFiles(t, files, Options{PluginsDir: cat, Runtime: GantryRuntime()})
	assert.True(t, probs.Has(CodeOpNotRunnable), "%v", probs)
}

func TestWithEnvDirs(t *testing.T) {
	t.Setenv(EnvResourcesDir, "/r")
	t.Setenv(EnvPluginsDir, "/p")
	assert.Equal(t, Options{ResourcesDir: "/r", PluginsDir: "/p"}, Options{}.WithEnvDirs())
	assert.Equal(t, Options{ResourcesDir: "/mine", PluginsDir: "/p"}, Options{ResourcesDir: "/mine"}.WithEnvDirs(), "flags win")
}

func TestNamespacedImports(t *testing.T) {
	files := map[string]string{
		"blueprint.yaml": hdr + "  - a--lib.yaml\n  - b--lib.yaml\nnode_templates:\n  top:\n    type: a--T\n    relationships: [{type: cloudify.relationships.depends_on, target: b--n}]\n" +
			"outputs:\n  o: {value: {get_property: [a--n, p]}}\n",
		"lib.yaml": "imports: [c--inner.yaml]\ninputs:\n  x: {default: 7}\nplugins:\n  pl: {executor: central_deployment_agent, install: false}\n" +
			"node_types:\n  T:\n    derived_from: cloudify.nodes.Root\n    properties: {p: {default: {get_input: x}}}\n" +
			"    interfaces: {cloudify.interfaces.lifecycle: {create: pl.tasks.create}}\n" +
			"node_templates:\n  n: {type: T}\n  m:\n    type: c--U\n    relationships: [{type: cloudify.relationships.depends_on, target: n}]\n",
		"inner.yaml": "node_types:\n  U: {derived_from: cloudify.nodes.Root}\n",
	}
	p := mustPlan(t, files, nil)
	var ids []string
	for _, n := range p.Nodes {
		ids = append(ids, n.ID+":"+n.Type)
	}
	assert.ElementsMatch(t, []string{"top:a--T", "a--n:a--T", "b--n:b--T", "a--m:a--c--U", "b--m:b--c--U"}, ids)
	assert.Contains(t, p.Inputs, "a--x")
	assert.Equal(t, 7, p.Outputs["o"].Value, "get_input inside the namespace reads the namespaced input")
	n := nodeByID(p, "b--n")
	require.NotNil(t, n)
	assert.Equal(t, "b--pl", n.Operations["cloudify.interfaces.lifecycle.create"].Plugin)
	assert.Equal(t, "b--n", nodeByID(p, "b--m").Relationships[0].TargetID)

	// Basic types are never namespaced.
	files["blueprint.yaml"] = hdr + "  - a--lib.yaml\nnode_templates:\n  top: {type: cloudify.nodes.Compute}\n"
	files["lib.yaml"] = hdr + "node_templates:\n  n: {type: cloudify.nodes.Root}\n"
	p = mustPlan(t, files, nil)
	assert.NotNil(t, nodeByID(p, "a--n"))
}

func TestChildNamespace(t *testing.T) {
	assert.Equal(t, "", childNamespace("", "lib.yaml"))
	assert.Equal(t, "a", childNamespace("", "a--lib.yaml"))
	assert.Equal(t, "a", childNamespace("a", "lib.yaml"))
	assert.Equal(t, "a--b", childNamespace("a", "b--plugin:p"))
	assert.Equal(t, "", childNamespace("", "http://h/x--y.yaml"), "a URL holding -- is not namespaced")
}
