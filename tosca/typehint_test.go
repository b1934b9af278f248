package tosca

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTypeHint(t *testing.T) {
	withTypes := []string{"cloudify.nodes.Root", "cloudify.nodes.Compute", "my.Type"}
	without := []string{"my.Type"}
	tests := []struct {
		name  string
		known []string
		want  string
	}{
		{"cloudify.nodes.Rot", withTypes, "did you mean `cloudify.nodes.Root`?"},
		{"cloudify.nodes.Compute", without, "types.yaml` to imports"},
		{"cloudify.nodes.Root", without, "types.yaml` to imports"},
		{"cloudify.kubernetes.Microservice", withTypes, "`- plugin:kubernetes`"},
		{"cloudify.nodes.DeploymentProxy", withTypes, "`- plugin:proxy`"},
		{"my.Typo", without, "did you mean `my.Type`?"},
		{"acme.Thing", withTypes, ""},
	}
	for _, tt := range tests {
		got := typeHint(tt.name, tt.known)
		if tt.want == "" {
			require.Empty(t, got, tt.name)
			continue
		}
		require.Contains(t, got, tt.want, tt.name)
	}
}

// A blueprint that forgot its imports is told which import to add.
func TestUnknownTypeHintNamesTheImport(t *testing.T) {
	_, probs := Parse(writeFiles(t, map[string]string{"blueprint.yaml": "tosca_definitions_version: cloudify_dsl_1_3\nnode_templates:\n  a: {type: cloudify.nodes.Compute}\n"}), Options{})
	require.Len(t, probs, 1)
	require.Equal(t, CodeTypeNotFound, probs[0].Code)
	require.Contains(t, probs[0].Hint, "http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml")
}
