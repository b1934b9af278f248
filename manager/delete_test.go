package manager

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// Deleting a deployment whose instances are still live is refused (as
// Cloudify refuses it) with the count and the fix; --force deletes anyway;
// after an uninstall the delete goes through.
func TestDeleteRefusesLiveInstances(t *testing.T) {
	ctx := context.Background()
	m, _ := installLogged(t, "live")
	err := m.DeleteDeployment(ctx, "live", false)
	require.ErrorIs(t, err, ErrInUse)
	require.ErrorContains(t, err, "2 of its 2 node instances are live")
	require.ErrorContains(t, err, "gantry uninstall live")
	require.ErrorContains(t, err, "--force")
	_, err = m.Store().GetDeployment(ctx, "live")
	require.NoError(t, err, "a refused delete deletes nothing")

	require.NoError(t, m.DeleteDeployment(ctx, "live", true), "--force deletes live instances' records")
	_, err = m.Store().GetDeployment(ctx, "live")
	require.ErrorIs(t, err, store.ErrNotFound)

	m2, _ := installLogged(t, "done")
	_, res := run(t, m2, "done", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	require.NoError(t, m2.DeleteDeployment(ctx, "done", false), "deleted instances are not live")
}
