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

// A stored blueprint's scripts are named NS--path in the plan, and a
// name of the importer's folder where a run would put one of its files
// is refused at the import.
func TestBlueprintImportScripts(t *testing.T) {
	stored := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(stored, "scripts"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(stored, "scripts", "create.sh"), []byte("true\n"), 0o600))
	storedMain := filepath.Join(stored, "blueprint.yaml")
	require.NoError(t, os.WriteFile(storedMain, []byte("tosca_definitions_version: cloudify_dsl_1_4\n"+
		"imports: [cloudify/types/types.yaml]\nnode_types:\n  lib.Web:\n    derived_from: cloudify.nodes.Root\n"+
		"    interfaces:\n      cloudify.interfaces.lifecycle:\n        create: scripts/create.sh\n"), 0o600))
	resolver := func(string) (string, error) { return storedMain, nil }
	dir := t.TempDir()
	main := filepath.Join(dir, "blueprint.yaml")
	require.NoError(t, os.WriteFile(main, []byte("tosca_definitions_version: cloudify_dsl_1_4\nimports:\n  - cloudify/types/types.yaml\n  - lib--blueprint:lib\n"+
		"node_templates:\n  web: {type: lib--lib.Web}\n"), 0o600))
	bp, probs := Parse(main, Options{Blueprints: resolver})
	require.Empty(t, probs)
	assert.Equal(t, map[string]string{"lib": "lib"}, bp.NamespacesMapping)
	assert.Equal(t, []string{"lib"}, bp.ImportedBlueprints)
	p, probs := bp.Prepare(nil)
	require.Empty(t, probs)
	op := p.Nodes[0].Operations["cloudify.interfaces.lifecycle.create"]
	assert.Equal(t, "lib--scripts/create.sh", op.ScriptPath)
	assert.Equal(t, map[string]string{"lib": "lib"}, p.NamespacesMapping)

	require.NoError(t, os.MkdirAll(filepath.Join(dir, "lib--scripts"), 0o700))
	_, probs = Parse(main, Options{Blueprints: resolver})
	require.True(t, probs.Has(CodeImportConflict), "%v", probs)
	assert.Equal(t, 4, probs[0].Line)
	assert.Contains(t, probs[0].Message, "lib--scripts")
}

// TestStoredOriginHolds: a stored blueprint's own files only, never a
// folder, a path out of it or a link that leads out of it.
func TestStoredOriginHolds(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.sh"), nil, 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "x.sh"), nil, 0o600))
	require.NoError(t, os.Symlink(filepath.Join(outside, "x.sh"), filepath.Join(dir, "link.sh")))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	o := &storedOrigin{dir: dir}
	for rel, want := range map[string]bool{"a.sh": true, "link.sh": false, "sub": false, "../x.sh": false, "missing.sh": false, "/etc/passwd": false} {
		assert.Equal(t, want, o.holds(rel), rel)
	}
}
