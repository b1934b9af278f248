package compose

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/plugins"
	"github.com/gantryhq/gantry/tosca"
)

// emptyStore has no blueprints; the manager's tests store real ones.
type emptyStore struct {
	Deployments // unused methods panic
}

func (emptyStore) HasBlueprint(context.Context, string) (bool, error) { return false, nil }
func (emptyStore) PutSecret(context.Context, string, string) error    { return nil }

// A blueprint_archive URL is downloaded only over http(s), and its password
// shows neither in the error nor in the runtime properties.
func TestBlueprintArchiveURL(t *testing.T) {
	for _, tc := range []struct{ archive, want string }{
		{"ftp://user:hunter22@example.com/bp.zip", "Gantry downloads http and https URLs only"},
		{"http://user:hunter22@127.0.0.1:1/bp.zip", "downloading blueprint_archive: http://user:xxxxx@127.0.0.1:1/bp.zip"},
	} {
		log := &logLines{}
		op := &plugins.Context{
			DeploymentID: "dep",
			Operation:    &tosca.Operation{Plugin: Name, Operation: tosca.OpBlueprintUpload},
			Node:         &tosca.Node{ID: "bp", Properties: map[string]any{propResourceConfig: map[string]any{keyID: "child", cfgArchive: tc.archive}}},
			Instance:     &tosca.NodeInstance{ID: "bp_1", NodeID: "bp"},
			Runtime:      plugins.NewMapRuntime(nil, nil, nil),
			Logger:       log,
		}
		_, err := (&Plugin{Deployments: emptyStore{}}).Run(context.Background(), op)
		require.True(t, plugins.IsNonRecoverable(err), tc.archive)
		require.ErrorContains(t, err, tc.want)
		require.NotContains(t, err.Error(), "hunter22")
		shown, _ := op.Runtime.Get(RuntimeBlueprintArchive)
		require.NotContains(t, shown, "hunter22")
	}
}
