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
	if len(files) == 0 {
		t.Skip("no example blueprints")
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			bp, probs := tosca.Parse(f, tosca.Options{})
			var p *tosca.Plan
			if len(probs) == 0 {
				p, probs = bp.Prepare(nil)
			}
			if len(probs) > 0 {
				// Validity of the examples is the language's and the demo's
				// test; here they only feed the planner.
				t.Skipf("example does not validate yet:\n%v", probs)
			}
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
