package plan

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// TestExampleBlueprints plans, layers and draws the shipped example
// blueprints end to end.
func TestExampleBlueprints(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "blueprints", "*", "blueprint.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "the example blueprints are missing")
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			bp, probs := tosca.Parse(f, tosca.Options{})
			var p *tosca.Plan
			if len(probs) == 0 {
				// Required inputs without a default get a placeholder.
				inputs := map[string]any{}
				for name, def := range bp.InputDefs() {
					if def.Required && !def.HasDefault {
						inputs[name] = "placeholder"
					}
				}
				p, probs = bp.Prepare(inputs)
			}
			require.Empty(t, probs, "the example must validate and prepare")
			require.NoError(t, Expand(p, Options{Seed: 1}))
			require.NotEmpty(t, p.NodeInstances)
			layers, err := BuildGraph(p).Layers()
			require.NoError(t, err)
			assert.NotEmpty(t, layers)
			for _, inst := range []bool{false, true} {
				var dot, mmd, sum bytes.Buffer
				require.NoError(t, RenderDOT(p, &dot, RenderOptions{Instances: inst}))
				require.NoError(t, RenderMermaid(p, &mmd, RenderOptions{Instances: inst}))
				require.NoError(t, Summary(p, &sum))
				for _, n := range p.Nodes {
					if !inst {
						assert.Contains(t, dot.String(), n.ID)
						assert.Contains(t, mmd.String(), n.ID)
					}
					assert.Contains(t, sum.String(), n.ID)
				}
			}
		})
	}
}
