package api

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/workflow"
)

// Every sentinel has one code, and the code leads back to the sentinel,
// wrapped or sent over the wire as an *Error.
func TestCodesRoundTrip(t *testing.T) {
	seen := map[Code]bool{}
	for _, c := range codes {
		require.False(t, seen[c.code], "code %s twice", c.code)
		seen[c.code] = true
		wrapped := fmt.Errorf("deployment %q: %w", "web", c.err)
		require.Equal(t, c.code, CodeOf(wrapped))
		require.ErrorIs(t, SentinelOf(c.code), c.err)
		wire := &Error{Code: CodeOf(wrapped), Message: wrapped.Error()}
		require.ErrorIs(t, wire, c.err, "%s over the wire", c.code)
	}
	require.Equal(t, CodeInternal, CodeOf(errors.New("boom")))
	require.Nil(t, SentinelOf(CodeInternal))
}

// The store's and the engine's sentinels are the boundary's.
func TestLowerSentinelsAreTheBoundarys(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code Code
	}{
		{fmt.Errorf("x: %w", store.ErrNotFound), CodeNotFound},
		{fmt.Errorf("x: %w", store.ErrLocked), CodeLocked},
		{fmt.Errorf("x: %w", workflow.ErrBadParameter), CodeBadParameter},
		{&ProblemsError{Path: "b.yaml", Problems: tosca.Problems{{Message: "bad"}}}, CodeInvalidBlueprint},
	} {
		require.Equal(t, tc.code, CodeOf(tc.err), "%v", tc.err)
	}
}
