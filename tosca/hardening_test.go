package tosca

import (
	"fmt"
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
	withDeadline(t, 30*time.Second, "parsing a 100,000-key merge", func() { bp, probs = Parse(path, Options{}) })
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
