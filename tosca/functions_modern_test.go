package tosca

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStringFunctionsAtPrepare(t *testing.T) {
	bp := hdr + `inputs:
  name: {default: Web-Server_01}
node_templates:
  n:
    type: cloudify.nodes.Root
    properties: {}
outputs:
  lower: {value: {string_lower: {get_input: name}}}
  upper: {value: {string_upper: [abc]}}
  find: {value: {string_find: [{get_input: name}, Server]}}
  missing: {value: {string_find: [abc, z]}}
  replace: {value: {string_replace: [a-b-c, "-", "+"]}}
  replace1: {value: {string_replace: [a-b-c, "-", "+", 1]}}
  split: {value: {string_split: [a-b-c, "-"]}}
  split1: {value: {string_split: [a-b-c, "-", 2]}}
  later: {value: {string_upper: {get_attribute: [n, ip]}}}
`
	p := mustPlan(t, map[string]string{"blueprint.yaml": bp}, nil)
	want := map[string]any{"lower": "web-server_01", "upper": "ABC", "find": 4, "missing": -1, "replace": "a+b+c",
		"replace1": "a+b-c", "split": []any{"a", "b", "c"}, "split1": "c",
		"later": map[string]any{"string_upper": map[string]any{"get_attribute": []any{"n", "ip"}}}}
	for k, v := range want {
		assert.Equal(t, v, p.Outputs[k].Value, k)
	}
	p.NodeInstances = []*NodeInstance{{ID: "n_1", NodeID: "n"}} // as plan.Expand makes it
	p.ResetIndex()
	r := &fakeResolver{attrs: map[string]map[string]any{"n_1": {"ip": "ab"}}}
	got, err := EvaluateRuntime(p, p.Outputs["later"].Value, EvalContext{}, r)
	require.NoError(t, err)
	assert.Equal(t, "AB", got, "evaluated at runtime when its argument is a runtime function")
}

func TestStringFunctionErrors(t *testing.T) {
	for _, tt := range []struct{ expr, code string }{
		{"{string_find: [a]}", CodeFuncArgs},
		{"{string_replace: [a, b]}", CodeFuncArgs},
		{"{string_split: [a, b, c, d]}", CodeFuncArgs},
		{"{string_lower: {a: 1, b: 2}}", CodeFuncArgs},
		{"{get_attributes_list: [nosuch, ip]}", CodeFuncNode},
		{"{get_sys: [deployment]}", CodeFuncArgs},
	} {
		bp := hdr + "node_templates:\n  n: {type: cloudify.nodes.Root}\noutputs:\n  o: {value: " + tt.expr + "}\n"
		probs := parseFiles(t, map[string]string{"blueprint.yaml": bp}, Options{})
		assert.True(t, probs.Has(tt.code), "%s: %v", tt.expr, probs)
	}
	// An index out of range is found when the function is evaluated.
	bp := hdr + "node_templates:\n  n: {type: cloudify.nodes.Root}\noutputs:\n  o: {value: {string_split: [a-b, '-', 5]}}\n"
	b, probs := Parse(writeFiles(t, map[string]string{"blueprint.yaml": bp}), Options{})
	require.Empty(t, probs)
	_, probs = b.Prepare(nil)
	assert.True(t, probs.Has(CodeFuncEval), "%v", probs)
}

func TestManagerFunctionsRefusedForInstall(t *testing.T) {
	bp := hdr + "node_templates:\n  n: {type: cloudify.nodes.Root}\noutputs:\n  o: {value: {get_sys: [deployment, id]}}\n  l: {value: {get_label: env}}\n"
	probs := parseFiles(t, map[string]string{"blueprint.yaml": bp}, Options{})
	assert.Empty(t, probs, "planning accepts them")
	probs = parseFiles(t, map[string]string{"blueprint.yaml": bp}, Options{Runtime: GantryRuntime()})
	require.True(t, probs.Has(CodeFuncUnsupported), "%v", probs)
	for _, pr := range probs {
		if pr.Code == CodeFuncUnsupported {
			assert.Greater(t, pr.Line, 0, "positioned")
		}
	}
	// Never passed through: evaluating one at runtime is an error.
	_, err := EvaluateRuntime(runtimePlan(), map[string]any{"get_sys": []any{"deployment", "id"}}, EvalContext{}, &fakeResolver{})
	assert.ErrorIs(t, err, ErrFunction)
}

func TestGetAttributesListAndDict(t *testing.T) {
	p := runtimePlan()
	r := &fakeResolver{attrs: map[string]map[string]any{"host_1": {"ip": "192.168.0.1"}, "host_2": {"ip": "192.168.0.2"}}}
	got, err := EvaluateRuntime(p, map[string]any{"get_attributes_list": []any{"host", "ip"}}, EvalContext{}, r)
	require.NoError(t, err)
	assert.ElementsMatch(t, []any{"192.168.0.1", "192.168.0.2"}, got)
	got, err = EvaluateRuntime(p, map[string]any{"get_attributes_dict": []any{"host", "ip"}}, EvalContext{}, r)
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"host_1": "192.168.0.1", "host_2": "192.168.0.2"}, got)
	_, err = EvaluateRuntime(p, map[string]any{"get_attributes_list": []any{"nosuch", "ip"}}, EvalContext{}, r)
	assert.ErrorIs(t, err, ErrFunction)
}

// parseFiles writes files and parses blueprint.yaml with opts.
func parseFiles(t *testing.T, files map[string]string, opts Options) Problems {
	t.Helper()
	_, probs := Parse(writeFiles(t, files), opts)
	return probs
}
