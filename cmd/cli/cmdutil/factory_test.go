package cmdutil

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
)

// Exit codes follow the Service's error codes, the same for an error
// wrapped in process and one decoded from a server's JSON.
func TestStoreErrorExitCodes(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{api.ErrNotFound, ExitNotFound},
		{fmt.Errorf("blueprint x: %w", fs.ErrNotExist), ExitNotFound},
		{api.ErrBadParameter, ExitUsage},
		{api.ErrConflict, ExitBusy},
		{api.ErrLocked, ExitBusy},
		{api.ErrInUse, ExitBusy},
		{api.ErrExists, ExitBusy},
		{api.ErrDependents, ExitBusy},
		{api.ErrActiveExecution, ExitBusy},
		{api.ErrNotResumable, ExitBusy},
		{api.ErrForbidden, ExitBusy},
		{&api.ProblemsError{Path: "b.yaml"}, ExitFailed},
		{api.ErrInvalid, ExitFailed},
		{errors.New("boom"), ExitFailed},
		{Exit(ExitCancelled, errors.New("cancelled")), ExitCancelled},
	} {
		t.Run(tc.err.Error(), func(t *testing.T) {
			require.Equal(t, tc.want, ExitCode(StoreError(fmt.Errorf("wrapped: %w", tc.err))), "in process")
			wire := &api.Error{Code: api.CodeOf(tc.err), Message: tc.err.Error()}
			var ee *ExitError
			if !errors.As(tc.err, &ee) && !errors.Is(tc.err, fs.ErrNotExist) {
				require.Equal(t, tc.want, ExitCode(StoreError(wire)), "from a server")
			}
		})
	}
	require.NoError(t, StoreError(nil))
}
