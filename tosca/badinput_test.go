package tosca

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const hdr = "tosca_definitions_version: cloudify_dsl_1_3\nimports:\n  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml\n"

// writeFiles writes files into a temporary folder and returns the path of
// the first one named "blueprint.yaml".
func writeFiles(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
	}
	return filepath.Join(dir, "blueprint.yaml")
}

// parseAndPrepare runs Parse and, when it succeeds, Prepare.
func parseAndPrepare(path string, inputs map[string]any) (*Plan, Problems) {
	bp, probs := Parse(path, Options{})
	if len(probs) > 0 {
		return nil, probs
	}
	return bp.Prepare(inputs)
}

func TestBadInputGivesPositionedProblems(t *testing.T) {
	bomb := "tosca_definitions_version: cloudify_dsl_1_3\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
	prev := "a"
	for i, n := range []string{"b", "c", "d", "e", "f", "g", "h", "i"} {
		_ = i
		bomb += n + ": &" + n + " [*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + ",*" + prev + "]\n"
		prev = n
	}
	tests := []struct {
		name   string
		files  map[string]string
		inputs map[string]any
		code   string
		line   int
		inMsg  string
	}{
		{name: "malformed yaml", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a: [\n    b: c\n"}, code: CodeYAMLSyntax},
		{name: "tab indentation", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n\ta: {}\n"}, code: CodeYAMLSyntax, line: 5},
		{name: "properties not a dict", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    properties: 3\n"}, code: CodeWrongType, line: 7},
		{name: "integer property given a string", files: map[string]string{"blueprint.yaml": hdr + "node_types:\n  t:\n    derived_from: cloudify.nodes.Root\n    properties:\n      port: {type: integer}\nnode_templates:\n  a:\n    type: t\n    properties:\n      port: eighty\n"}, code: CodePropertyType, line: 13},
		{name: "unknown top-level key", files: map[string]string{"blueprint.yaml": hdr + "node_template:\n  a: {type: cloudify.nodes.Root}\n"}, code: CodeUnknownKey, line: 4, inMsg: "node_template"},
		{name: "unknown template key", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    propertes: {}\n"}, code: CodeUnknownKey, line: 7},
		{name: "unknown property", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Compute\n    properties: {ipp: 1.2.3.4}\n"}, code: CodePropertyUnknown, line: 7},
		{name: "derived_from cycle", files: map[string]string{"blueprint.yaml": hdr + "node_types:\n  x: {derived_from: y}\n  y: {derived_from: x}\nnode_templates: {}\n"}, code: CodeDerivedCycle},
		{name: "data type cycle", files: map[string]string{"blueprint.yaml": hdr + "data_types:\n  x: {derived_from: y}\n  y: {derived_from: x}\n"}, code: CodeDerivedCycle},
		{name: "unknown parent type", files: map[string]string{"blueprint.yaml": hdr + "node_types:\n  x: {derived_from: cloudify.nodes.Rooot}\n"}, code: CodeTypeNotFound, line: 5, inMsg: "Rooot"},
		{name: "relationship cycle", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    relationships: [{type: cloudify.relationships.depends_on, target: b}]\n  b:\n    type: cloudify.nodes.Root\n    relationships: [{type: cloudify.relationships.depends_on, target: a}]\n"}, code: CodeRelCycle},
		{name: "get_property cycle", files: map[string]string{"blueprint.yaml": hdr + "node_types:\n  t:\n    derived_from: cloudify.nodes.Root\n    properties: {p: {default: 1}, q: {default: 2}}\nnode_templates:\n  a:\n    type: t\n    properties:\n      p: {get_property: [b, q]}\n  b:\n    type: t\n    properties:\n      q: {get_property: [a, p]}\n"}, code: CodeFuncCycle},
		{name: "get_property self cycle", files: map[string]string{"blueprint.yaml": hdr + "node_types:\n  t:\n    derived_from: cloudify.nodes.Root\n    properties: {p: {default: 1}}\nnode_templates:\n  a:\n    type: t\n    properties:\n      p: [{get_property: [SELF, p]}]\n"}, code: CodeFuncCycle},
		{name: "self relationship", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    relationships:\n      - {type: cloudify.relationships.depends_on, target: a}\n"}, code: CodeRelSelf, line: 8},
		{name: "two contained_in", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  h1: {type: cloudify.nodes.Compute}\n  h2: {type: cloudify.nodes.Compute}\n  a:\n    type: cloudify.nodes.Root\n    relationships:\n      - {type: cloudify.relationships.contained_in, target: h1}\n      - {type: cloudify.relationships.contained_in, target: h2}\n"}, code: CodeRelContainedTwice, line: 11},
		{name: "missing target", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  host: {type: cloudify.nodes.Compute}\n  a:\n    type: cloudify.nodes.Root\n    relationships:\n      - {type: cloudify.relationships.contained_in, target: hots}\n"}, code: CodeRelTargetMissing, line: 9, inMsg: "hots"},
		{name: "missing required property", files: map[string]string{"blueprint.yaml": hdr + "node_types:\n  t:\n    derived_from: cloudify.nodes.Root\n    properties: {needed: {}}\nnode_templates:\n  a: {type: t}\n"}, code: CodePropertyRequired, line: 9},
		{name: "missing input", files: map[string]string{"blueprint.yaml": hdr + "inputs:\n  image: {description: the image}\nnode_templates:\n  a:\n    type: cloudify.nodes.Compute\n    properties: {ip: {get_input: image}}\n"}, code: CodeInputMissing, line: 5},
		{name: "unknown input", files: map[string]string{"blueprint.yaml": hdr + "inputs:\n  image: {default: x}\n"}, inputs: map[string]any{"imgae": "y"}, code: CodeInputUnknown, line: 1, inMsg: "imgae"},
		{name: "input type", files: map[string]string{"blueprint.yaml": hdr + "inputs:\n  n: {type: integer}\n"}, inputs: map[string]any{"n": "ten"}, code: CodeInputType, line: 5},
		{name: "input constraint", files: map[string]string{"blueprint.yaml": hdr + "inputs:\n  n:\n    type: string\n    constraints: [{valid_values: [a, b]}]\n"}, inputs: map[string]any{"n": "c"}, code: CodeInputConstraint, line: 5},
		{name: "get_input of undeclared input", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Compute\n    properties: {ip: {get_input: address}}\n"}, code: CodeFuncInput, line: 7},
		{name: "SELF in an output", files: map[string]string{"blueprint.yaml": hdr + "outputs:\n  o: {value: {get_attribute: [SELF, ip]}}\n"}, code: CodeFuncContext, line: 5},
		{name: "get_property of missing property", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a: {type: cloudify.nodes.Compute}\noutputs:\n  o: {value: {get_property: [a, ipp]}}\n"}, code: CodeFuncProperty, line: 7},
		{name: "alias bomb", files: map[string]string{"blueprint.yaml": bomb}, code: CodeYAMLAliasLimit},
		{name: "binary garbage", files: map[string]string{"blueprint.yaml": hdr + "description: \x00\x01\x02\xff\xfe\n"}, code: CodeBinary, line: 4},
		{name: "missing version", files: map[string]string{"blueprint.yaml": "node_templates: {}\n"}, code: CodeVersionMissing, line: 1},
		{name: "unsupported version", files: map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_2_0\n"}, code: CodeVersionInvalid, line: 1},
		{name: "feature newer than version", files: map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_1\nimports: [http://www.getcloudify.org/spec/cloudify/3.4/types.yaml]\ndescription: x\n"}, code: CodeVersionFeature, line: 3},
		{name: "unmapped URL import", files: map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_3\nimports:\n  - http://example.com/plugins/foo/plugin.yaml\n"}, code: CodeImportUnmapped, line: 3, inMsg: "example.com"},
		{name: "missing import file", files: map[string]string{"blueprint.yaml": hdr + "  - types/mine.yaml\n"}, code: CodeImportNotFound, line: 4},
		{name: "unknown built-in plugin", files: map[string]string{"blueprint.yaml": hdr + "  - plugin:kubernetez\n"}, code: CodeImportNotFound, line: 4, inMsg: "kubernetez"},
		{name: "import conflict", files: map[string]string{"blueprint.yaml": hdr + "  - other.yaml\nnode_types:\n  t: {derived_from: cloudify.nodes.Root}\n", "other.yaml": "node_types:\n  t: {derived_from: cloudify.nodes.Root}\n"}, code: CodeImportConflict},
		{name: "host_agent operation without host", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: scripts/create.sh\n", "scripts/create.sh": "#!/bin/sh\n"}, code: CodeHostAgentNoHost, line: 9},
		{name: "unmapped operation", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: scripts/missing.sh\n"}, code: CodeOpUnmapped, line: 9},
		{name: "instances and capabilities", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    instances: {deploy: 2}\n    capabilities: {scalable: {properties: {default_instances: 2}}}\n"}, code: CodeInstances, line: 8},
		{name: "default above max", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    capabilities: {scalable: {properties: {default_instances: 5, max_instances: 2}}}\n"}, code: CodeInstances, line: 7},
		{name: "bad connection_type", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  b: {type: cloudify.nodes.Root}\n  a:\n    type: cloudify.nodes.Root\n    relationships: [{type: cloudify.relationships.connected_to, target: b, properties: {connection_type: all_to_any}}]\n"}, code: CodeInvalidValue, line: 8},
		{name: "duplicate key", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a: {type: cloudify.nodes.Root}\n  a: {type: cloudify.nodes.Root}\n"}, code: CodeYAMLDuplicateKey, line: 6},
		{name: "group member missing", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a: {type: cloudify.nodes.Root}\ngroups:\n  g: {members: [a, b]}\n"}, code: CodeGroupInvalid, line: 7},
		{name: "scaling policy type", files: map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a: {type: cloudify.nodes.Root}\ngroups:\n  g: {members: [a]}\npolicies:\n  p: {type: cloudify.policies.scale, targets: [g]}\n"}, code: CodePolicyInvalid, line: 9},
		{name: "not a mapping", files: map[string]string{"blueprint.yaml": "- just\n- a list\n"}, code: CodeWrongType, line: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFiles(t, tc.files)
			_, probs := parseAndPrepare(path, tc.inputs)
			require.NotEmpty(t, probs, "expected problem %s", tc.code)
			for _, p := range probs {
				assert.NotEmpty(t, p.File, "problem without file: %v", p)
				assert.Positive(t, p.Line, "problem without line: %v", p)
				assert.Positive(t, p.Column, "problem without column: %v", p)
				assert.NotEmpty(t, p.Code)
				assert.NotEqual(t, CodeInternal, p.Code, "%v", p)
			}
			var found *Problem
			for i := range probs {
				if probs[i].Code == tc.code {
					found = &probs[i]
					break
				}
			}
			require.NotNil(t, found, "no %s problem in:\n%v", tc.code, probs)
			if tc.line > 0 {
				assert.Equal(t, tc.line, found.Line, "%v", found)
			}
			if tc.inMsg != "" {
				assert.Contains(t, found.Message, tc.inMsg)
			}
		})
	}
}

func TestFileTooLarge(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "blueprint.yaml")
	f, err := os.Create(path)
	require.NoError(t, err)
	_, err = f.WriteString(hdr + "description: |\n")
	require.NoError(t, err)
	line := "  " + strings.Repeat("x", 1022) + "\n"
	for written := 0; written < 50<<20; written += len(line) {
		_, err = f.WriteString(line)
		require.NoError(t, err)
	}
	require.NoError(t, f.Close())
	_, probs := Parse(path, Options{})
	require.Len(t, probs, 1)
	assert.Equal(t, CodeFileTooLarge, probs[0].Code)
	assert.Equal(t, 1, probs[0].Line)

	// An imported file over the limit is reported where it is imported.
	small := writeFiles(t, map[string]string{"blueprint.yaml": hdr + "  - big.yaml\n", "big.yaml": "description: " + strings.Repeat("y", 2000) + "\n"})
	_, probs = Parse(small, Options{MaxFileSize: 1000})
	require.NotEmpty(t, probs)
	assert.Equal(t, CodeFileTooLarge, probs[0].Code)
}

func TestProblemsCollectedNotFirstOnly(t *testing.T) {
	path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Rooot\n  b:\n    type: cloudify.nodes.Root\n    relationships: [{type: cloudify.relationships.depends_on, target: c}]\n  d:\n    type: cloudify.nodes.Root\n    propertes: {}\n"})
	_, probs := Parse(path, Options{})
	assert.True(t, probs.Has(CodeTypeNotFound), "%v", probs)
	assert.True(t, probs.Has(CodeRelTargetMissing), "%v", probs)
	assert.True(t, probs.Has(CodeUnknownKey), "%v", probs)
	for _, p := range probs {
		if p.Code == CodeTypeNotFound {
			assert.Contains(t, p.Hint, "cloudify.nodes.Root")
			assert.Contains(t, p.String(), "blueprint.yaml:6:11: ")
		}
	}
}

func TestRandomBytesNeverPanic(t *testing.T) {
	seeds := [][]byte{
		[]byte("{"), []byte("["), []byte(":"), []byte("&a *a"), []byte("a: *b"), []byte("<<: 3"),
		[]byte("a: &a {b: *a}"), bytes.Repeat([]byte("["), 5000), []byte("\xef\xbb\xbftosca_definitions_version: cloudify_dsl_1_3"),
		[]byte(hdr + "node_templates:\n  a:\n    type: cloudify.nodes.Root\n    <<: {type: x}\n"),
	}
	for _, s := range seeds {
		path := writeFiles(t, map[string]string{"blueprint.yaml": string(s)})
		assert.NotPanics(t, func() { parseAndPrepare(path, nil) })
	}
}
