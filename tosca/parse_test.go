package tosca

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustPlan(t *testing.T, files map[string]string, inputs map[string]any) *Plan {
	t.Helper()
	plan, probs := parseAndPrepare(writeFiles(t, files), inputs)
	require.Empty(t, probs, "%v", probs)
	return plan
}

func nodeByID(p *Plan, id string) *Node {
	for _, n := range p.Nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

func TestParseInputs(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "in.yaml")
	require.NoError(t, os.WriteFile(file, []byte("a: 1\nb: [x, y]\n"), 0o600))
	got, err := ParseInputs([]string{file, "c=3", "d=hello;e=true", `{"f": {"g": 1}}`, "a=override", "h=x;y", "url=http://h:1/?q=a"})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"a": "override", "b": []any{"x", "y"}, "c": 3, "d": "hello", "e": true,
		"f": map[string]any{"g": 1}, "h": "x;y", "url": "http://h:1/?q=a"}, got)
	_, err = ParseInputs([]string{"not a dict"})
	require.ErrorIs(t, err, ErrBadInput)
	_, err = ParseInputs([]string{"[1, 2]"})
	require.ErrorIs(t, err, ErrBadInput)
}

func TestImportRules(t *testing.T) {
	r, err := ParseImportRule("http://www.getcloudify.org/spec/=/tmp/spec/")
	require.NoError(t, err)
	assert.Equal(t, ImportRule{Prefix: "http://www.getcloudify.org/spec/", Dir: "/tmp/spec/"}, r)
	_, err = ParseImportRule("nodir=")
	require.ErrorIs(t, err, ErrBadImportRule)
	t.Setenv("GANTRY_IMPORT_RULES", "http://a/=/x;https://b/c/=/y;")
	rules, err := ImportRulesFromEnv()
	require.NoError(t, err)
	assert.Equal(t, []ImportRule{{"http://a/", "/x"}, {"https://b/c/", "/y"}}, rules)
	t.Setenv("GANTRY_IMPORT_RULES", "broken")
	_, err = ImportRulesFromEnv()
	require.ErrorIs(t, err, ErrBadImportRule)

	// A rule maps a URL to a local file, and wins over the built-in mapping.
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "mirror", "cloudify", "4.3.3"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "mirror", "cloudify", "4.3.3", "types.yaml"), []byte("node_types:\n  mirror.Type: {}\n"), 0o600))
	bpPath := filepath.Join(dir, "blueprint.yaml")
	require.NoError(t, os.WriteFile(bpPath, []byte(hdr+"node_templates:\n  a: {type: mirror.Type}\n"), 0o600))
	_, probs := Parse(bpPath, Options{})
	assert.True(t, probs.Has(CodeTypeNotFound), "built-in types have no mirror.Type: %v", probs)
	_, probs = Parse(bpPath, Options{ImportRules: []ImportRule{{Prefix: "http://www.getcloudify.org/spec/", Dir: filepath.Join(dir, "mirror")}}})
	assert.Empty(t, probs)
}

func TestImportsRelativeFileAndCycles(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"blueprint.yaml":   hdr + "  - types/a.yaml\n  - file://" + filepath.Join(dir, "types", "c.yaml") + "\nnode_templates:\n  x: {type: a.T}\n  y: {type: b.T}\n  z: {type: c.T}\n",
		"types/a.yaml":     "imports: [sub/b.yaml]\nnode_types:\n  a.T: {derived_from: cloudify.nodes.Root}\n",
		"types/sub/b.yaml": "imports: [../a.yaml]\nnode_types:\n  b.T: {derived_from: cloudify.nodes.Root}\n",
		"types/c.yaml":     "tosca_definitions_version: cloudify_dsl_1_3\nnode_types:\n  c.T: {derived_from: cloudify.nodes.Root}\n",
	}
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	bp, probs := Parse(filepath.Join(dir, "blueprint.yaml"), Options{})
	require.Empty(t, probs)
	assert.Len(t, bp.Files, 6) // with the two built-in files (types.yaml imports composition.yaml)

	// As Cloudify 7: an import may be older than the main file, never newer.
	cT := "node_types:\n  c.T: {derived_from: cloudify.nodes.Root}\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "types", "c.yaml"), []byte("tosca_definitions_version: cloudify_dsl_1_2\n"+cT), 0o600))
	_, probs = Parse(filepath.Join(dir, "blueprint.yaml"), Options{})
	assert.Empty(t, probs)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "types", "c.yaml"), []byte("tosca_definitions_version: cloudify_dsl_1_4\n"+cT), 0o600))
	_, probs = Parse(filepath.Join(dir, "blueprint.yaml"), Options{})
	assert.True(t, probs.Has(CodeVersionMismatch), "%v", probs)
}

func TestAnchorsMergeKeysAndDefinitions(t *testing.T) {
	plan := mustPlan(t, map[string]string{"blueprint.yaml": hdr + `dsl_definitions:
  env: &env
    role: router
    zone: a
node_types:
  t:
    derived_from: cloudify.nodes.Root
    properties:
      labels: {default: {}}
      list: {default: []}
node_templates:
  n:
    type: t
    properties:
      labels:
        <<: *env
        zone: b
      list: [*env, *env]
`}, nil)
	n := nodeByID(plan, "n")
	assert.Equal(t, map[string]any{"role": "router", "zone": "b"}, n.Properties["labels"])
	assert.Len(t, n.Properties["list"], 2)
}

func TestOperationMerging(t *testing.T) {
	plan := mustPlan(t, map[string]string{"blueprint.yaml": hdr + `plugins:
  p: {executor: central_deployment_agent, install: false}
node_types:
  t:
    derived_from: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: p.create
          max_retries: 5
          inputs:
            a: {default: 1}
            b: {default: 2}
        configure: p.configure
        start: p.start
      custom:
        start: p.other_start
node_templates:
  n:
    type: t
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          inputs: {b: 3}
        configure:
          implementation: p.configure2
          inputs: {x: y}
        start: {}
        stop:
          implementation: p.stop
          retry_interval: 1
  h:
    type: cloudify.nodes.Compute
  m:
    type: t
    relationships: [{type: cloudify.relationships.contained_in, target: h}]
    interfaces:
      cloudify.interfaces.lifecycle:
        stop: {implementation: p.stop, executor: host_agent}
`}, nil)
	n := nodeByID(plan, "n")
	create := n.Operations["cloudify.interfaces.lifecycle.create"]
	assert.Equal(t, "create", create.Operation)
	assert.Equal(t, map[string]any{"a": 1, "b": 3}, create.Inputs, "template inputs over type defaults")
	require.NotNil(t, create.MaxRetries)
	assert.Equal(t, 5, *create.MaxRetries)
	conf := n.Operations["configure"]
	assert.Equal(t, "configure2", conf.Operation)
	assert.Equal(t, map[string]any{"x": "y"}, conf.Inputs, "a new implementation drops the type inputs")
	assert.True(t, n.Operations["cloudify.interfaces.lifecycle.start"].IsNoop(), "{} disables the type's operation")
	assert.Nil(t, n.Operations["start"], "start is ambiguous between two interfaces")
	assert.Equal(t, "other_start", n.Operations["custom.start"].Operation)
	_, probs := parseAndPrepare(writeFiles(t, map[string]string{"blueprint.yaml": hdr + "plugins:\n  p: {executor: central_deployment_agent, install: false}\nnode_templates:\n  n:\n    type: cloudify.nodes.Root\n    interfaces:\n      i:\n        op: {implementation: p.x, executor: host_agent}\n"}), nil)
	assert.True(t, probs.Has(CodeHostAgentNoHost))
	m := nodeByID(plan, "m")
	assert.Equal(t, "h", m.HostID)
	assert.Equal(t, ExecutorHost, m.Operations["cloudify.interfaces.lifecycle.stop"].Executor)
	assert.Nil(t, m.Operations["stop"], "lifecycle.stop and monitoring.stop share the short name")
}

func TestVersion14Features(t *testing.T) {
	plan := mustPlan(t, map[string]string{"blueprint.yaml": `tosca_definitions_version: cloudify_dsl_1_4
imports: [https://cloudify.co/spec/cloudify/6.4.0/types.yaml]
inputs:
  env: {default: prod}
labels:
  env: {values: [{get_input: env}]}
blueprint_labels:
  team: [infra]
node_templates:
  n: {type: cloudify.nodes.Root}
capabilities:
  endpoint: {value: {get_attribute: [n, url]}}
`}, nil)
	assert.Equal(t, map[string][]any{"env": {"prod"}, "team": {"infra"}}, plan.Labels)
	assert.Equal(t, map[string]any{"get_attribute": []any{"n", "url"}}, plan.Capabilities["endpoint"].Value)
	_, probs := parseAndPrepare(writeFiles(t, map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_3\nlabels: {a: [b]}\n"}), nil)
	assert.True(t, probs.Has(CodeVersionFeature))
}

func TestGetPropertyAndInputs(t *testing.T) {
	plan := mustPlan(t, map[string]string{"blueprint.yaml": hdr + `inputs:
  cfg: {default: {port: 1, hosts: [a, b]}}
  opt: {required: false}
node_types:
  t:
    derived_from: cloudify.nodes.Root
    properties:
      conf: {default: {}}
      port: {default: 0}
      second: {default: ''}
      opt: {default: x}
node_templates:
  src:
    type: t
    properties:
      conf: {get_input: cfg}
      port: {get_property: [SELF, conf, port]}
      second: {get_input: [cfg, hosts, 1]}
      opt: {get_input: opt}
  dst:
    type: t
    properties:
      port: {get_property: [src, port]}
      second: {concat: [{get_property: [src, second]}, "-", {get_property: [src, conf, hosts, 0]}]}
`}, nil)
	src, dst := nodeByID(plan, "src"), nodeByID(plan, "dst")
	assert.Equal(t, 1, src.Properties["port"])
	assert.Equal(t, "b", src.Properties["second"])
	assert.Nil(t, src.Properties["opt"])
	assert.Equal(t, 1, dst.Properties["port"])
	assert.Equal(t, "b-a", dst.Properties["second"])
}
