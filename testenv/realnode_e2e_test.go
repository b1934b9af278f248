//go:build e2e

package testenv_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRealNodeRuntime runs testenv/realnode-selftest.sh: the real node's namespaces,
// cgroups and containerd without a control plane, the router image run as the kubelet
// would run it (routes in the node's table, not the machine's; withdrawn on SIGTERM), and
// everything removed afterwards. It needs root, Debian's containerd and the router image
// (bash .ci/install.sh); without them it is skipped, or fails under CI=true.
func TestRealNodeRuntime(t *testing.T) {
	var missing []string
	if os.Geteuid() != 0 {
		missing = append(missing, "root")
	}
	for _, tool := range []string{"containerd", "ctr", "runc", "nsenter", "ip"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		msg := "the real node's runtime needs %v (bash .ci/install.sh)"
		if os.Getenv("CI") == "true" {
			t.Fatalf(msg, missing)
		}
		t.Skipf(msg, missing)
	}
	state := filepath.Join(t.TempDir(), "st")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", "realnode-selftest.sh", state).CombinedOutput()
	t.Logf("realnode-selftest.sh:\n%s", out)
	require.NoError(t, err)
	assert.Contains(t, string(out), "self-test passed")
	_, err = os.Stat(state)
	assert.True(t, os.IsNotExist(err), "the state dir is removed")
}
