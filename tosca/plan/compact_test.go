package plan

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// compactSample plans testdata/compact/blueprint.yaml with a fixed seed.
func compactSample(t *testing.T) *tosca.Plan {
	t.Helper()
	bp, probs := tosca.Parse(filepath.Join("testdata", "compact", "blueprint.yaml"), tosca.Options{})
	require.Empty(t, probs, "%v", probs)
	p, probs := bp.Prepare(nil)
	require.Empty(t, probs, "%v", probs)
	require.NoError(t, Expand(p, Options{Seed: 1}))
	p.BlueprintDir = "" // absolute, machine dependent
	return p
}

// TestCompactGolden holds the compact plan JSON (docs/plan-json.md) to a
// golden file, and checks that it describes the same plan as Cloudify's
// shape: read back, it marshals to the very bytes of the full plan.
func TestCompactGolden(t *testing.T) {
	p := compactSample(t)
	c := p.Compact()
	js, err := json.MarshalIndent(c, "", "  ")
	require.NoError(t, err)
	golden(t, "compact/blueprint.golden.json", append(js, '\n'))

	// Shared, not repeated: Compute's operations, app.Service's (db, web
	// and api share one map), the relationship sides without operations
	// (one empty-of-work map per relationship type's side), api's
	// overridden source side and its runtime-function input.
	byNode := map[string]*tosca.CompactNode{}
	for _, n := range c.Nodes {
		byNode[n.ID] = n
	}
	assert.Equal(t, byNode["db"].Operations, byNode["web"].Operations)
	assert.Equal(t, byNode["db"].Operations, byNode["api"].Operations)
	assert.NotEqual(t, byNode["vm"].Operations, byNode["db"].Operations)
	web, api := byNode["web"].Relationships, byNode["api"].Relationships
	assert.Equal(t, web[1].SourceOperations, web[1].TargetOperations, "connected_to maps no operation on either side")
	assert.Equal(t, web[1].TargetOperations, api[1].TargetOperations)
	assert.NotEqual(t, web[1].SourceOperations, api[1].SourceOperations, "api overrides preconfigure")
	assert.Equal(t, "scripts/create.sh", c.OperationSets[api[1].SourceOperations]["preconfigure"].ScriptPath)
	assert.Len(t, c.OperationSets, 4, "Compute, app.Service, the relationships' NO-OP sides, api's preconfigure")
	assert.Len(t, c.NodeInstances, 5, "vm, db, 2 web, api")

	full, err := json.Marshal(p)
	require.NoError(t, err)
	var back tosca.CompactPlan
	require.NoError(t, json.Unmarshal(js, &back))
	bp, err := back.Plan()
	require.NoError(t, err)
	again, err := json.Marshal(bp)
	require.NoError(t, err)
	assert.JSONEq(t, string(full), string(again), "the compact plan read back is the full plan")
}

// TestCompactSharesByContent: operation maps equal in content are one set
// even when the plan holds them as different maps (a plan read from JSON,
// where nothing is shared).
func TestCompactSharesByContent(t *testing.T) {
	p := compactSample(t)
	js, err := json.Marshal(p)
	require.NoError(t, err)
	var unshared tosca.Plan
	require.NoError(t, json.Unmarshal(js, &unshared))
	assert.Equal(t, p.Compact().OperationSets, unshared.Compact().OperationSets)
}

func TestCompactPlanRefusesWhatIsNotAPlan(t *testing.T) {
	for name, js := range map[string]string{
		"other format":     `{"format": "cloudify", "nodes": []}`,
		"no format":        `{"nodes": []}`,
		"node set missing": `{"format": "` + tosca.CompactFormat + `", "operation_sets": [{}], "nodes": [{"id": "a", "operations": 1}]}`,
		"negative set":     `{"format": "` + tosca.CompactFormat + `", "operation_sets": [{}], "nodes": [{"id": "a", "operations": -1}]}`,
		"relationship set": `{"format": "` + tosca.CompactFormat + `", "operation_sets": [{}], "nodes": [{"id": "a", "relationships": [{"type": "t", "target_operations": 3}]}]}`,
		"null node":        `{"format": "` + tosca.CompactFormat + `", "nodes": [null]}`,
		"null instance":    `{"format": "` + tosca.CompactFormat + `", "node_instances": [null]}`,
	} {
		t.Run(name, func(t *testing.T) {
			var c tosca.CompactPlan
			require.NoError(t, json.Unmarshal([]byte(js), &c))
			_, err := c.Plan()
			assert.ErrorIs(t, err, tosca.ErrCompactPlan)
		})
	}
}
