package workflow

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/tosca"
)

// A multi-line secret printed by a script reaches the events one line per
// event: every line must be masked, however the script prints it; a short
// secret must not mask the characters it is made of everywhere.
func TestSecretLinesMaskedInEvents(t *testing.T) {
	const key = "-----BEGIN TEST KEY-----\nMIIEpAIBAAKCAQEAsecretline1\n  c2VjcmV0bGluZTI=\n-----END TEST KEY-----\n"
	const short = "ab"
	e := newScriptEnv(t)
	e.cfg.Secrets = func(_ context.Context, k string) (string, error) {
		if k == "short" {
			return short, nil
		}
		return key, nil
	}
	require.NoError(t, os.WriteFile(filepath.Join(e.dir, "leak.sh"), []byte(`
echo "$KEY"
printf '%s\n' "$KEY" | sed 's/^/  > /' >&2
echo "short=$SHORT; a table about cabs"
`), 0o755))
	b := newPlan()
	o := e.sop("KEY", map[string]any{"get_secret": "key"}, "SHORT", map[string]any{"get_secret": "short"})
	o.ScriptPath, o.HasIntrinsicFunctions = "leak.sh", true
	b.node("db", rootTypes, map[string]*tosca.Operation{opCreate: o}, 1)
	_, err := e.run(t, b.p, WorkflowInstall, nil)
	require.NoError(t, err)
	var all strings.Builder
	for _, ev := range e.st.Events(lastExec()) {
		all.WriteString(ev.Message + "\n" + ev.Error + "\n")
	}
	got := all.String()
	for _, line := range strings.Split(key, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			assert.NotContains(t, got, line)
		}
	}
	assert.Contains(t, got, "short=ab; a table about cabs", "a 2-character secret masks nothing on its own")
}
