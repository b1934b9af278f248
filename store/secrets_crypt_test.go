package store

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const plainValue = "Tr0ub4dor&3-at-rest"

func openEncrypted(t *testing.T, path string) Store {
	t.Helper()
	st, err := Open(context.Background(), path, Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// rawSecret reads the record as the backend stores it.
func rawSecret(t *testing.T, st Store, key string) string {
	t.Helper()
	s, err := st.(*cryptStore).Unwrap().GetSecret(context.Background(), key)
	require.NoError(t, err)
	return s.Value
}

// TestSecretsEncryptedAtRest: the state file never holds a secret's value;
// the key file is made on first use, 0600, next to the store.
func TestSecretsEncryptedAtRest(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	st := openEncrypted(t, path)
	_, err := os.Stat(path + ".key")
	require.ErrorIs(t, err, os.ErrNotExist, "no key before the first secret")
	sec := &Secret{Key: "db_password", Value: plainValue}
	require.NoError(t, st.PutSecret(ctx, sec, false))
	assert.Equal(t, plainValue, sec.Value, "the caller's record keeps the value")
	fi, err := os.Stat(path + ".key")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	require.NoError(t, st.Batch(ctx, func(b Store) error {
		return b.PutSecret(ctx, &Secret{Key: "in_batch", Value: plainValue + "-2"}, false)
	}))
	require.NoError(t, st.Close())

	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.False(t, bytes.Contains(raw, []byte(plainValue)), "the value is not in the state file")

	st = openEncrypted(t, path)
	for key, want := range map[string]string{"db_password": plainValue, "in_batch": plainValue + "-2"} {
		got, err := st.GetSecret(ctx, key)
		require.NoError(t, err)
		assert.Equal(t, want, got.Value)
		assert.Contains(t, rawSecret(t, st, key), sealedPrefix)
	}
}

// TestPlaintextSecretsOfEarlierVersions read as they are and are sealed
// when written again.
func TestPlaintextSecretsOfEarlierVersions(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	old, err := OpenBolt(path, Options{NoSync: true})
	require.NoError(t, err)
	require.NoError(t, old.PutSecret(ctx, &Secret{Key: "k", Value: plainValue}, false))
	require.NoError(t, old.Close())

	st := openEncrypted(t, path)
	got, err := st.GetSecret(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, plainValue, got.Value)
	require.NoError(t, st.PutSecret(ctx, got, true))
	assert.Contains(t, rawSecret(t, st, "k"), sealedPrefix)
	got, err = st.GetSecret(ctx, "k")
	require.NoError(t, err)
	assert.Equal(t, plainValue, got.Value)
}

func TestSecretKeyFromEnvAndMismatch(t *testing.T) {
	ctx := context.Background()
	key1, err := NewSecretKeyText()
	require.NoError(t, err)
	key2, err := NewSecretKeyText()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "gantry.db")
	t.Setenv(EnvSecretKey, key1)
	st := openEncrypted(t, path)
	require.NoError(t, st.PutSecret(ctx, &Secret{Key: "a", Value: "va"}, false))
	require.NoError(t, st.PutSecret(ctx, &Secret{Key: "b", Value: "vb"}, false))
	_, err = os.Stat(path + ".key")
	require.ErrorIs(t, err, os.ErrNotExist, "the environment's key: no key file")

	// The secret's key is the additional data: a sealed value copied to
	// another secret does not open.
	under := st.(*cryptStore).Unwrap()
	require.NoError(t, under.PutSecret(ctx, &Secret{Key: "b", Value: rawSecret(t, st, "a")}, true))
	_, err = st.GetSecret(ctx, "b")
	require.ErrorIs(t, err, ErrSecretKey)

	require.NoError(t, st.Close())
	t.Setenv(EnvSecretKey, key2)
	st = openEncrypted(t, path)
	_, err = st.GetSecret(ctx, "a")
	require.ErrorIs(t, err, ErrSecretKey)
	assert.NotContains(t, err.Error(), "va")

	t.Setenv(EnvSecretKey, "not base64!")
	st = openEncrypted(t, path)
	_, err = st.GetSecret(ctx, "a")
	require.ErrorIs(t, err, ErrSecretKey)
}

func TestSecretKeyFileChecks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	st := openEncrypted(t, path)
	require.NoError(t, st.PutSecret(ctx, &Secret{Key: "a", Value: "va"}, false))
	require.NoError(t, st.Close())

	require.NoError(t, os.Chmod(path+".key", 0o644))
	st = openEncrypted(t, path)
	_, err := st.GetSecret(ctx, "a")
	require.ErrorIs(t, err, ErrSecretKey)
	assert.Contains(t, err.Error(), "readable by others")

	require.NoError(t, os.Remove(path+".key"))
	st = openEncrypted(t, path)
	_, err = st.GetSecret(ctx, "a")
	require.ErrorIs(t, err, ErrSecretKey)
	assert.Contains(t, err.Error(), "key file "+path+".key is missing")
}

// TestRotateKey: every secret is re-encrypted under a new key file; a
// second store still holding the old key picks the new one up; a crash
// before the key file's rename is finished by the next read.
func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gantry.db")
	st := openEncrypted(t, path)
	other := openEncrypted(t, path)
	for _, k := range []string{"a", "b"} {
		require.NoError(t, st.PutSecret(ctx, &Secret{Key: k, Value: "v" + k}, false))
	}
	_, err := other.GetSecret(ctx, "a") // caches the old key
	require.NoError(t, err)
	oldKey, err := os.ReadFile(path + ".key")
	require.NoError(t, err)
	oldRaw := rawSecret(t, st, "a")

	rot, ok := AsKeyRotator(st)
	require.True(t, ok)
	n, err := rot.RotateKey(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	newKey, err := os.ReadFile(path + ".key")
	require.NoError(t, err)
	assert.NotEqual(t, oldKey, newKey)
	assert.NotEqual(t, oldRaw, rawSecret(t, st, "a"))
	fi, err := os.Stat(path + ".key")
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	for _, s := range []Store{st, other} {
		got, err := s.GetSecret(ctx, "b")
		require.NoError(t, err)
		assert.Equal(t, "vb", got.Value)
	}
	// The other store writes under the new key, not its cached old one.
	require.NoError(t, other.PutSecret(ctx, &Secret{Key: "c", Value: "vc"}, false))
	got, err := openEncrypted(t, path).GetSecret(ctx, "c")
	require.NoError(t, err)
	assert.Equal(t, "vc", got.Value)

	// A crash after the secrets were re-encrypted, before the rename: the
	// new key waits in KEY.new, the next read finishes the rotation.
	require.NoError(t, os.Rename(path+".key", path+".key.new"))
	require.NoError(t, os.WriteFile(path+".key", oldKey, 0o600))
	got, err = openEncrypted(t, path).GetSecret(ctx, "a")
	require.NoError(t, err)
	assert.Equal(t, "va", got.Value)
	_, err = os.Stat(path + ".key.new")
	assert.ErrorIs(t, err, os.ErrNotExist)

	t.Setenv(EnvSecretKey, string(newKey))
	_, err = rot.RotateKey(ctx)
	require.ErrorIs(t, err, ErrSecretKey)
}
