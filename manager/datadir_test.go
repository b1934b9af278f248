package manager

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// selfModifyingBlueprint's script logs what it finds in its folder, then
// changes its folder (a file and its own script), as a careless or hostile
// script could.
const selfModifyingBlueprint = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml
node_templates:
  app:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create: {implementation: op.sh, executor: central_deployment_agent}
`

const selfModifyingScript = `#!/bin/bash
echo "run $GANTRY_DEPLOYMENT_ID dir=$PWD marker=$([ -e marker ] && echo yes || echo no) mode=$(stat -c %a .)" >> "$LOG"
touch marker
sed -i 's/^#MARK$/echo pwned >> "$LOG"/' op.sh
#MARK
`

func uploadSelfModifying(t *testing.T, m *Manager) *store.Blueprint {
	t.Helper()
	src := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(src, "blueprint.yaml"), []byte(selfModifyingBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(src, "op.sh"), []byte(selfModifyingScript), 0o755))
	bp, err := m.UploadBlueprint(context.Background(), "selfmod", src)
	require.NoError(t, err)
	return bp
}

func logOf(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	return string(b)
}

// Every execution runs in a fresh private copy of the stored files: what a
// script changed, and what somebody planted where the copy used to live,
// never reaches a later execution; the copy is removed at the end.
func TestExecutionsRunFreshPrivateCopies(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	logFile := filepath.Join(t.TempDir(), "ops.log")
	t.Setenv("LOG", logFile)
	bp := uploadSelfModifying(t, m)

	// A folder planted at the path older versions reused without checks.
	planted := filepath.Join(m.cfg.DataDir, "resources", safeName(bp.ID)+"-"+bp.ArchiveSHA256[:12])
	require.NoError(t, os.MkdirAll(planted, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(planted, "blueprint.yaml"), []byte(selfModifyingBlueprint), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(planted, "op.sh"), []byte("#!/bin/bash\necho planted >> \"$LOG\"\n"), 0o755))

	for _, dep := range []string{"one", "two"} {
		_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: dep, BlueprintID: bp.ID})
		require.NoError(t, err)
		e, _ := run(t, m, dep, "install", nil)
		require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	}
	log := logOf(t, logFile)
	assert.NotContains(t, log, "planted", "a planted folder was used")
	assert.NotContains(t, log, "pwned", "a script's change to its copy reached a later execution")
	assert.NotContains(t, log, "marker=yes", "a file left by an earlier execution was seen")
	assert.Equal(t, 2, strings.Count(log, "mode=700"), "each copy is private: %s", log)
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		f := strings.Fields(line)
		require.Len(t, f, 5, line)
		dir := f[2][len("dir="):]
		require.True(t, filepath.IsAbs(dir), dir)
		_, err := os.Stat(dir)
		assert.True(t, os.IsNotExist(err), "the copy %s is removed when the execution ends", dir)
	}
}

// A data folder another user owns, or a symbolic link in its place, is
// refused, never used.
func TestDataFolderMustBeOurs(t *testing.T) {
	ctx := context.Background()
	t.Run("symbolic link", func(t *testing.T) {
		m := newManager(t)
		bp := uploadSelfModifying(t, m)
		_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: bp.ID})
		require.NoError(t, err)
		require.NoError(t, os.RemoveAll(m.cfg.DataDir))
		require.NoError(t, os.Symlink(t.TempDir(), m.cfg.DataDir))
		_, err = m.StartExecution(ctx, api.StartRequest{DeploymentID: "d", Workflow: "install"})
		require.ErrorIs(t, err, ErrDataDirUnsafe)
		assert.Contains(t, err.Error(), "symbolic link")
	})
	t.Run("owned by another user", func(t *testing.T) {
		if os.Geteuid() != 0 {
			t.Skip("needs root to give a folder to another user")
		}
		m := newManager(t)
		bp := uploadSelfModifying(t, m)
		require.NoError(t, os.MkdirAll(m.cfg.DataDir, 0o700))
		require.NoError(t, os.Chown(m.cfg.DataDir, 65534, 65534))
		_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: bp.ID})
		require.ErrorIs(t, err, ErrDataDirUnsafe)
		assert.Contains(t, err.Error(), "belongs to uid 65534")
	})
	t.Run("ours but open to others is tightened", func(t *testing.T) {
		m := newManager(t)
		bp := uploadSelfModifying(t, m)
		require.NoError(t, os.MkdirAll(m.cfg.DataDir, 0o777))
		require.NoError(t, os.Chmod(m.cfg.DataDir, 0o777))
		_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "d", BlueprintID: bp.ID})
		require.NoError(t, err)
		fi, err := os.Stat(m.cfg.DataDir)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	})
}
