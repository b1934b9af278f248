package tosca

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withDeadline fails the test when fn does not return within d (the work is
// left running; the test binary ends soon after).
func withDeadline(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not finish within %s", what, d)
	}
}

// A small mapping merging a huge one (`<<: *big`) is linear: 100,000 keys
// took minutes when each merged key was looked up by scanning.
func TestMergeKeyOfLargeMappingIsLinear(t *testing.T) {
	const n = 100_000
	var b strings.Builder
	b.WriteString(hdr + "dsl_definitions:\n  big: &big\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    k%d: %d\n", i, i)
	}
	b.WriteString("node_templates:\n  a:\n    type: cloudify.nodes.Root\n    interfaces:\n      x:\n        op:\n          implementation: x.sh\n          executor: central_deployment_agent\n          inputs:\n            <<: *big\n            k7: seven\n")
	path := writeFiles(t, map[string]string{"blueprint.yaml": b.String(), "x.sh": "true\n"})
	var probs Problems
	var bp *Blueprint
	// Linear: ~1 s on an idle machine. The quadratic merge took 134 s for
	// 80,000 keys (~210 s for 100,000), so 100 s still catches it while
	// leaving room for a machine at load 40.
	withDeadline(t, 100*time.Second, "parsing a 100,000-key merge", func() { bp, probs = Parse(path, Options{}) })
	require.Empty(t, probs)
	plan, probs := bp.Prepare(nil)
	require.Empty(t, probs)
	inputs := plan.Nodes[0].Operations["x.op"].Inputs
	merged := 0
	for k := range inputs {
		if strings.HasPrefix(k, "k") {
			merged++
		}
	}
	assert.Equal(t, n, merged)
	assert.Equal(t, "seven", inputs["k7"], "an explicit key wins over a merged one")
	assert.Equal(t, n-1, inputs[fmt.Sprintf("k%d", n-1)])
}

// `-i KEY=VALUE` keeps text as given unless reading it as YAML loses
// nothing; Prepare converts text to the input's declared type.
func TestInputArgumentsKeepTextAndFollowDeclaredTypes(t *testing.T) {
	cases := map[string]any{
		"007": "007", "0x1F": "0x1F", "1.10": "1.10", "1.0": "1.0", "1e3": "1e3", ".inf": ".inf", ".nan": ".nan",
		"3": 3, "-2": -2, "1.5": 1.5, "true": true, "True": "True", "null": nil,
		"two\nlines": "two\nlines", "a  b # c": "a  b # c", "'quoted'": "quoted", `"007"`: "007",
		"[a, 1]": []any{"a", 1}, "{b: 2}": map[string]any{"b": 2}, "x: y": "x: y", "": "",
	}
	for text, want := range cases {
		got, err := ParseInputs([]string{"v=" + text})
		require.NoError(t, err, text)
		assert.Equal(t, want, got["v"], "v=%s", text)
	}
	_, err := ParseInputs([]string{"v=[1, .inf]"})
	require.ErrorIs(t, err, ErrBadInput)
	assert.Contains(t, err.Error(), "not a finite number")

	path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + `inputs:
  s: {type: string}
  u: {}
  i: {type: integer}
  f: {type: float}
  b: {type: boolean}
outputs:
  all: {value: [{get_input: s}, {get_input: u}, {get_input: i}, {get_input: f}, {get_input: b}]}
`})
	bp, probs := Parse(path, Options{})
	require.Empty(t, probs)
	in, err := ParseInputs([]string{"s=007", "u=0x1F", "i=8080", "f=1.10", "b=true"})
	require.NoError(t, err)
	plan, probs := bp.Prepare(in)
	require.Empty(t, probs)
	assert.Equal(t, map[string]any{"s": "007", "u": "0x1F", "i": 8080, "f": 1.1, "b": true}, plan.Inputs)

	for _, bad := range [][]string{{"s=a", "u=b", "i=08x", "f=1", "b=true"}, {"s=a", "u=b", "i=1", "f=.inf", "b=true"}, {"s=a", "u=b", "i=1", "f=1", "b=yes"}} {
		in, err := ParseInputs(bad)
		require.NoError(t, err)
		_, probs = bp.Prepare(in)
		require.True(t, probs.Has(CodeInputType), "%v: %v", bad, probs)
	}
	in, _ = ParseInputs([]string{"s=a", "u=b", "i=1", "f=.nan", "b=true"})
	_, probs = bp.Prepare(in)
	require.NotEmpty(t, probs)
	assert.Contains(t, probs[0].Message, "infinity and NaN are not supported")

	// An untyped input given .inf stays text: the plan encodes as JSON.
	in, _ = ParseInputs([]string{"s=a", "u=.inf", "i=1", "f=2", "b=false"})
	plan, probs = bp.Prepare(in)
	require.Empty(t, probs)
	_, err = json.Marshal(plan)
	require.NoError(t, err)
}

// Infinity and NaN in a blueprint or an inputs file are positioned problems.
func TestNonFiniteNumbersArePositionedProblems(t *testing.T) {
	path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + "inputs:\n  x:\n    default: .inf\n"})
	_, probs := Parse(path, Options{})
	require.Len(t, probs, 1)
	assert.Equal(t, CodeNonFinite, probs[0].Code)
	assert.Equal(t, 6, probs[0].Line)

	file := filepath.Join(t.TempDir(), "in.yaml")
	require.NoError(t, os.WriteFile(file, []byte("x: -.Inf\n"), 0o600))
	_, err := ParseInputs([]string{file})
	require.ErrorIs(t, err, ErrBadInput)
	assert.Contains(t, err.Error(), "-.Inf is not a finite number")
}

// A deployment over the instance limit is a positioned problem at
// validation (Parse with literal counts and input defaults, Prepare with the
// inputs given), never an out-of-memory plan.
func TestInstanceLimitIsAValidationProblem(t *testing.T) {
	cases := []struct {
		name, body string
		inputs     map[string]any
		line       int
		inMsg      string
	}{
		{"one node", "node_templates:\n  vm:\n    type: cloudify.nodes.Compute\n    instances:\n      deploy: 100000000\n", nil, 8, "node template 'vm' alone has 100000000"},
		{"nested", "node_templates:\n  vm:\n    type: cloudify.nodes.Compute\n    instances: {deploy: 1000}\n  app:\n    type: cloudify.nodes.Root\n    instances: {deploy: 1000}\n    relationships: [{type: cloudify.relationships.contained_in, target: vm}]\n",
			nil, 10, "'app' has 1000 per instance of its container 'vm'"},
		{"scaling group", "node_templates:\n  vm:\n    type: cloudify.nodes.Compute\n    instances: {deploy: 1000}\ngroups:\n  g: {members: [vm]}\npolicies:\n  p:\n    type: cloudify.policies.scaling\n    targets: [g]\n    properties: {default_instances: 1000}\n",
			nil, 7, "'vm' has 1000 per instance of its container 'g'"},
		{"input default", "inputs:\n  n: {default: 100000000}\nnode_templates:\n  vm:\n    type: cloudify.nodes.Compute\n    instances: {deploy: {get_input: n}}\n", nil, 9, "more than the limit of 200000"},
		{"input default and given", "inputs:\n  n: {default: 100000000}\nnode_templates:\n  vm:\n    type: cloudify.nodes.Compute\n    instances: {deploy: {get_input: n}}\n", map[string]any{"n": 300000}, 9, "the deployment would have 300000 node instances"},
		{"input given", "inputs:\n  n: {}\nnode_templates:\n  vm:\n    type: cloudify.nodes.Compute\n    instances: {deploy: {get_input: n}}\n", map[string]any{"n": 300000}, 9, "the deployment would have 300000 node instances"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + tc.body})
			_, probs := parseAndPrepare(path, tc.inputs)
			require.Len(t, probs, 1, "%v", probs)
			assert.Equal(t, CodeInstanceLimit, probs[0].Code)
			assert.Equal(t, tc.line, probs[0].Line, probs[0].String())
			assert.Contains(t, probs[0].Message, tc.inMsg)
			assert.Contains(t, probs[0].Hint, EnvMaxInstances)
		})
	}
	// The limit can be raised.
	path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + cases[1].body})
	_, probs := Parse(path, Options{MaxInstances: 1_001_000})
	assert.Empty(t, probs)
	t.Setenv(EnvMaxInstances, "1001000")
	_, probs = Parse(path, Options{})
	assert.Empty(t, probs)
}

// Names with control characters (a newline, an escape sequence) are
// refused where they are written.
func TestNamesRefuseControlCharacters(t *testing.T) {
	path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + "node_templates:\n  ok: {type: cloudify.nodes.Root}\n  \"a\\nb\": {type: cloudify.nodes.Root}\n  \"\\e[31mred\": {type: cloudify.nodes.Root}\ngroups:\n  \"g\\tx\": {members: [ok]}\n"})
	_, probs := Parse(path, Options{})
	require.Len(t, probs, 3, "%v", probs)
	for i, line := range []int{6, 7, 9} {
		assert.Equal(t, CodeNameInvalid, probs[i].Code)
		assert.Equal(t, line, probs[i].Line)
	}
	assert.Contains(t, probs[0].Message, `node_templates name "a\nb" holds the control character U+000A`)
	assert.Contains(t, probs[1].Message, "U+001B")
	for _, s := range []string{"a\x00", "\u0085", "\u2028", "\x7f"} {
		_, bad := ControlChar(s)
		assert.True(t, bad, "%q", s)
	}
	_, bad := ControlChar("web-1_é.x")
	assert.False(t, bad)
}

// Every file a blueprint reads lies in its folder (imports, scripts), or
// for files read through an import rule, in the rule's folder: an upload
// stores the folder, and a deployment never reads the user's files again.
func TestFilesOutsideTheBlueprintFolderAreProblems(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(root, "outside")
	bpDir := filepath.Join(root, "bp")
	rules := filepath.Join(root, "spec")
	for _, d := range []string{outside, bpDir, filepath.Join(rules, "p")} {
		require.NoError(t, os.MkdirAll(d, 0o755))
	}
	write := func(p, body string) {
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	}
	write(filepath.Join(outside, "types.yaml"), "node_types:\n  o.T: {derived_from: cloudify.nodes.Root}\n")
	write(filepath.Join(outside, "x.sh"), "true\n")
	write(filepath.Join(rules, "p", "plugin.yaml"), "imports: [common.yaml]\n")
	write(filepath.Join(rules, "p", "common.yaml"), "node_types:\n  r.T: {derived_from: cloudify.nodes.Root}\n")
	write(filepath.Join(rules, "secret.yaml"), "node_types: {}\n")
	require.NoError(t, os.Symlink(filepath.Join(outside, "types.yaml"), filepath.Join(bpDir, "link.yaml")))
	require.NoError(t, os.Symlink(filepath.Join(outside, "x.sh"), filepath.Join(bpDir, "link.sh")))
	write(filepath.Join(bpDir, "in.sh"), "true\n")
	op := func(impl string) string {
		return "      cloudify.interfaces.lifecycle:\n        create: {implementation: '" + impl + "', executor: central_deployment_agent}\n"
	}
	write(filepath.Join(bpDir, "blueprint.yaml"), hdr+`  - ../outside/types.yaml
  - `+filepath.Join(outside, "types.yaml")+`
  - file://`+filepath.Join(outside, "types.yaml")+`
  - link.yaml
  - http://example.com/spec/p/plugin.yaml
  - http://example.com/spec/p/../../outside/types.yaml
node_templates:
  a:
    type: r.T
    interfaces:
`+op("/bin/true")+`  b:
    type: r.T
    interfaces:
`+op("../outside/x.sh")+`  c:
    type: r.T
    interfaces:
`+op("link.sh")+`  d:
    type: r.T
    interfaces:
`+op("in.sh"))
	_, probs := Parse(filepath.Join(bpDir, "blueprint.yaml"), Options{ImportRules: []ImportRule{{Prefix: "http://example.com/spec/", Dir: rules}}})
	type want struct {
		line int
		code string
	}
	var got []want
	for _, p := range probs {
		got = append(got, want{p.Line, p.Code})
		assert.NotEmpty(t, p.Hint)
	}
	assert.Equal(t, []want{
		{4, CodeImportOutside}, {5, CodeImportOutside}, {6, CodeImportOutside}, {7, CodeImportOutside},
		{9, CodeImportOutside},
		{15, CodeOpScriptOutside}, {20, CodeOpScriptOutside}, {25, CodeOpScriptOutside},
	}, got, "%v", probs)
	assert.Contains(t, probs[0].Message, `import "../outside/types.yaml" is `+filepath.Join(outside, "types.yaml")+", outside the blueprint's folder")
	assert.Contains(t, probs[3].Message, "a link to "+filepath.Join(outside, "types.yaml"))
	assert.Contains(t, probs[4].Message, "outside the rule's folder")
	assert.Contains(t, probs[5].Message, "the script '/bin/true' is outside the blueprint's folder")
}
