package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func testSecrets(t *testing.T, s store.Store) {
	ctx := context.Background()
	const value = "hunter2-s3cr3t-value"
	sec := &store.Secret{Key: "db_password", Value: value}
	require.NoError(t, s.PutSecret(ctx, sec, false))
	assert.Equal(t, store.VisibilityTenant, sec.Visibility)
	require.NoError(t, s.PutSecret(ctx, &store.Secret{Key: "a_token", Value: "t", Visibility: store.VisibilityPrivate}, false))

	got, err := s.GetSecret(ctx, "db_password")
	require.NoError(t, err)
	assert.Equal(t, value, got.Value)
	assert.False(t, got.CreatedAt.IsZero())

	err = s.PutSecret(ctx, &store.Secret{Key: "db_password", Value: "other-" + value}, false)
	assert.ErrorIs(t, err, store.ErrExists)
	assert.NotContains(t, err.Error(), value)
	require.NoError(t, s.PutSecret(ctx, &store.Secret{Key: "db_password", Value: "v2"}, true))
	got2, err := s.GetSecret(ctx, "db_password")
	require.NoError(t, err)
	assert.Equal(t, "v2", got2.Value)
	assert.True(t, got.CreatedAt.Equal(got2.CreatedAt), "overwrite keeps created_at")

	list, err := s.ListSecrets(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "a_token", list[0].Key)
	for _, l := range list {
		assert.Empty(t, l.Value, "lists carry no values")
	}

	// A secret formatted by mistake does not show its value.
	for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
		for _, arg := range []any{got, *got, []*store.Secret{got}} {
			out := fmt.Sprintf(format, arg)
			assert.False(t, strings.Contains(out, value), "%s of %T leaks: %s", format, arg, out)
		}
	}

	assert.ErrorIs(t, s.PutSecret(ctx, &store.Secret{Key: "x", Value: "v", Visibility: "public"}, false), store.ErrInvalid)
	require.NoError(t, s.DeleteSecret(ctx, "db_password"))
	_, err = s.GetSecret(ctx, "db_password")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.DeleteSecret(ctx, "db_password"), store.ErrNotFound)
	requireClean(t, s)
}
