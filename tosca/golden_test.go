package tosca

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/**/*.golden files")

func checkGolden(t *testing.T, goldenPath string, got []byte) {
	t.Helper()
	if *update {
		require.NoError(t, os.WriteFile(goldenPath, got, 0o644))
		return
	}
	want, err := os.ReadFile(goldenPath)
	require.NoError(t, err, "missing golden file; run go test ./tosca -run %s -update", t.Name())
	assert.Equal(t, string(want), string(got), "golden %s differs; rerun with -update if the change is intended", goldenPath)
}

// TestGoldenProblems checks the full problem list (human and JSON form) of
// every blueprint in testdata/problems.
func TestGoldenProblems(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "problems", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, probs := Parse(f, Options{})
			require.NotEmpty(t, probs)
			js, err := json.MarshalIndent(probs, "", "  ")
			require.NoError(t, err)
			out := probs.Error() + "\n\n" + string(js) + "\n"
			checkGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", []byte(out))
		})
	}
}

// TestGoldenPlans checks the prepared plan of every blueprint in
// testdata/plans.
func TestGoldenPlans(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "plans", "*.yaml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			bp, probs := Parse(f, Options{})
			require.Empty(t, probs, "%v", probs)
			plan, probs := bp.Prepare(nil)
			require.Empty(t, probs, "%v", probs)
			plan.BlueprintDir = "" // absolute, machine dependent
			js, err := json.MarshalIndent(plan, "", "  ")
			require.NoError(t, err)
			checkGolden(t, strings.TrimSuffix(f, ".yaml")+".golden", append(js, '\n'))
		})
	}
}
