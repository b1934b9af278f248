package manager_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// `--store g.db` (a path relative to the working folder) works for script
// operations: the data folder and the extracted files are absolute.
func TestRelativeStorePathRunsScripts(t *testing.T) {
	bin := buildGantry(t)
	work := t.TempDir()
	logFile := filepath.Join(work, "ops.log")
	g := newGantryEnv(t, bin, "LOG="+logFile)
	layeredBlueprint(t, filepath.Join(work, "bp"), 1, 2, []string{"create"}, "#!/bin/bash\necho \"ran $GANTRY_NODE_INSTANCE_ID\" >> \"$LOG\"\n")
	cmd := g.command(context.Background(), "--store", "g.db", "install", "bp", "-d", "rel")
	cmd.Dir = work
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Run(), "%s", out.String())
	require.Equal(t, 2, strings.Count(readFile(t, logFile), "ran "))
	require.FileExists(t, filepath.Join(work, "g.db"))
}
