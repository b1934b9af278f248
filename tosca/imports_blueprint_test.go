package tosca

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBlueprintImports(t *testing.T) {
	stored := t.TempDir()
	storedMain := filepath.Join(stored, "blueprint.yaml")
	require.NoError(t, os.WriteFile(storedMain, []byte("tosca_definitions_version: cloudify_dsl_1_4\n"+
		"imports: [cloudify/types/types.yaml]\nnode_templates:\n  db: {type: cloudify.nodes.Root}\n"), 0o600))
	resolver := func(id string) (string, error) {
		if id == "base" {
			return storedMain, nil
		}
		return "", errors.New("no blueprint " + id)
	}
	cases := []struct {
		name, imp string
		resolver  BlueprintResolver
		code      string // "" = no problem
	}{
		{"namespaced", "ns--blueprint:base", resolver, ""},
		{"no namespace", "blueprint:base", resolver, CodeImportInvalid},
		{"no id", "'ns--blueprint:'", resolver, CodeImportInvalid},
		{"unknown id", "ns--blueprint:nope", resolver, CodeImportNotFound},
		{"no store", "ns--blueprint:base", nil, CodeImportUnmapped},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			main := filepath.Join(dir, "blueprint.yaml")
			require.NoError(t, os.WriteFile(main, []byte("tosca_definitions_version: cloudify_dsl_1_4\nimports:\n  - cloudify/types/types.yaml\n  - "+tc.imp+
				"\nnode_templates:\n  app: {type: cloudify.nodes.Root}\n"), 0o600))
			bp, probs := Parse(main, Options{Blueprints: tc.resolver})
			if tc.code == "" {
				require.Empty(t, probs)
				p, probs := bp.Prepare(nil)
				require.Empty(t, probs)
				var ids []string
				for _, n := range p.Nodes {
					ids = append(ids, n.ID)
				}
				assert.ElementsMatch(t, []string{"app", "ns--db"}, ids)
				return
			}
			require.True(t, probs.Has(tc.code), "%v", probs)
			assert.Equal(t, main, probs[0].File)
			assert.Equal(t, 4, probs[0].Line)
		})
	}
}
