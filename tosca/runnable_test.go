package tosca

import (
	"sort"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With Options.Runtime, what the engine cannot run is a positioned
// problem at validation, not an install failure: operations mapped to
// plugins or operations it lacks, workflows mapped to a plugin, `plugin:NAME` without
// a runtime. Built-in workflows it does not build are not offered.
func TestDeclaredIsRunnable(t *testing.T) {
	body := hdr + `  - plugin:ssh
  - plugin:kubernetes
plugins:
  mock: {executor: central_deployment_agent, source: mock}
workflows:
  backup: mock.tasks.backup
node_templates:
  a:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: mock.tasks.create
        configure: kubernetes.master.nope
        start: {implementation: run.sh, executor: central_deployment_agent}
`
	path := writeFiles(t, map[string]string{"blueprint.yaml": body, "run.sh": "true\n"})

	// The language alone (what the conformance tests compare with Cloudify).
	_, probs := Parse(path, Options{})
	require.Empty(t, probs)

	_, probs = Parse(path, Options{Runtime: GantryRuntime()})
	type want struct {
		line int
		code string
	}
	var got []want
	for _, p := range probs {
		got = append(got, want{p.Line, p.Code})
		assert.NotEmpty(t, p.Hint, p.String())
	}
	assert.Equal(t, []want{{4, CodePluginNotRunnable}, {9, CodeWorkflowNotRunnable}, {15, CodeOpNotRunnable}, {16, CodeOpNotRunnable}}, got, "%v", probs)
	assert.Equal(t, "plugin:ssh is not offered: Gantry has no runtime for it yet", probs[0].Message)
	assert.Equal(t, "built-in plugins that run: kubernetes, proxy", probs[0].Hint)
	assert.Contains(t, probs[1].Message, "workflow 'backup' maps to 'mock.tasks.backup', which Gantry cannot run")
	assert.Contains(t, probs[1].Hint, "custom workflows written as scripts")
	assert.Contains(t, probs[2].Message, "operation 'cloudify.interfaces.lifecycle.create' maps to plugin 'mock', which Gantry cannot run")
	assert.Contains(t, probs[3].Message, "'kubernetes.master.nope', which the kubernetes plugin does not have")
	assert.Contains(t, probs[3].Hint, OpConnectMaster)

	// A runtime with the mock plugin, without the rest: only the built-in
	// workflows the engine builds are offered.
	ok := writeFiles(t, map[string]string{"blueprint.yaml": hdr + `plugins:
  mock: {executor: central_deployment_agent, source: mock}
node_templates:
  a:
    type: cloudify.nodes.Compute
    interfaces:
      cloudify.interfaces.lifecycle:
        create: mock.tasks.create
`})
	bp, probs := Parse(ok, Options{Runtime: GantryRuntime().WithPlugin("mock")})
	require.Empty(t, probs)
	plan, probs := bp.Prepare(nil)
	require.Empty(t, probs)
	var names []string
	for n := range plan.Workflows {
		names = append(names, n)
	}
	sort.Strings(names)
	wantNames := append([]string(nil), GantryRuntime().Workflows...)
	sort.Strings(wantNames)
	assert.Equal(t, wantNames, names)
}

// A custom workflow in Cloudify's script.execute_workflow form runs: its
// script must be in the blueprint's folder; other mappings stay problems.
func TestScriptWorkflowsRunnable(t *testing.T) {
	const explicit = "    mapping: script.script_runner.tasks.execute_workflow\n    parameters:\n"
	for _, tc := range []struct {
		name, workflow, problem string
	}{
		{"script path", "  wf: wf.sh\n", ""},
		{"explicit form", "  wf:\n" + explicit + "      script_path: {default: wf.sh}\n      n: {type: integer, default: 1}\n", ""},
		{"explicit without script", "  wf:\n" + explicit + "      n: {default: 1}\n", "workflow 'wf' maps to 'script.script_runner.tasks.execute_workflow' without a script"},
		{"missing script", "  wf:\n" + explicit + "      script_path: {default: nope.sh}\n", "workflow 'wf': its script 'nope.sh' is not in the blueprint's folder"},
		{"outside", "  wf:\n" + explicit + "      script_path: {default: ../wf.sh}\n", "workflow 'wf': the script '../wf.sh' is outside the blueprint's folder"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFiles(t, map[string]string{"blueprint.yaml": hdr + "workflows:\n" + tc.workflow + "node_templates:\n  a: {type: cloudify.nodes.Root}\n", "wf.sh": "true\n"})
			bp, probs := Parse(path, Options{Runtime: GantryRuntime()})
			if tc.problem != "" {
				require.Len(t, probs, 1, "%v", probs)
				assert.Equal(t, tc.problem, probs[0].Message)
				assert.NotEmpty(t, probs[0].Hint)
				return
			}
			require.Empty(t, probs)
			plan, probs := bp.Prepare(nil)
			require.Empty(t, probs)
			wf := plan.Workflows["wf"]
			require.NotNil(t, wf)
			assert.Equal(t, PluginScript, wf.Plugin)
			assert.Equal(t, OpScriptRunWorkflow, wf.Operation)
			assert.Equal(t, "wf.sh", wf.Parameters[paramScriptPath].Default)
		})
	}
}

// Cloudify 7's types the built-in files declare (PasswordSecret,
// Blueprint) and its workflows the engine does not build (check_drift,
// pull, ...) plan as in Cloudify 7. Gantry's runtime runs the types'
// operations; checked against a runtime that does not, each template using
// such a type is a problem at the template (the user cannot fix the
// built-in file).
func TestBuiltinCloudify7TypesDeclaredNotRunnable(t *testing.T) {
	path := writeFiles(t, map[string]string{"blueprint.yaml": `tosca_definitions_version: cloudify_dsl_1_4
imports:
  - cloudify/types/types.yaml
node_templates:
  one: {type: cloudify.nodes.PasswordSecret, properties: {length: 12}}
  two: {type: cloudify.nodes.PasswordSecret}
  bp: {type: cloudify.nodes.Blueprint}
`})
	bp, probs := Parse(path, Options{})
	require.Empty(t, probs)
	plan, probs := bp.Prepare(nil)
	require.Empty(t, probs)
	for _, w := range []string{"check_status", "check_drift", "reinstall", "validate_agents", "rollback", "pull", "install_new_agents"} {
		assert.Contains(t, plan.Workflows, w)
	}
	assert.NotContains(t, plan.Workflows, "update", "Cloudify 7's types have no update workflow")
	assert.Equal(t, false, plan.Nodes[0].Properties["use_external_resource"])

	_, probs = Parse(path, Options{Runtime: GantryRuntime()})
	require.Empty(t, probs, "Gantry runs Blueprint and PasswordSecret")

	rt := GantryRuntime()
	var ops []string
	for _, op := range rt.Plugins[PluginCfyExtensions] {
		if op != OpPasswordCreate && op != OpPasswordDelete && op != OpBlueprintUpload && op != OpBlueprintDelete {
			ops = append(ops, op)
		}
	}
	rt.Plugins[PluginCfyExtensions] = ops
	_, probs = Parse(path, Options{Runtime: rt})
	var lines []int
	for _, p := range probs {
		assert.Equal(t, CodeOpNotRunnable, p.Code)
		assert.Equal(t, path, p.File, "reported at the template, not in the built-in file")
		lines = append(lines, p.Line)
	}
	assert.Equal(t, []int{5, 5, 6, 6, 7, 7}, lines, "%v", probs)
	assert.Contains(t, probs[0].Message, "node template 'one' (cloudify.nodes.PasswordSecret): operation 'cloudify.interfaces.lifecycle.create' maps to 'cfy_extensions.cloudify_types.password_secret.create'")
}
