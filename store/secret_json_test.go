package store

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// everyByte is a value that is not UTF-8: 0x00 to 0xff.
func everyByte() string {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return string(b)
}

// TestSecretJSON: text stays text in a secret's JSON, anything else is
// base64 and reads back exactly; a malformed one is ErrInvalid.
func TestSecretJSON(t *testing.T) {
	for _, tc := range []struct {
		name, value, encoding string
	}{
		{"text", "Tr0ub4dor&3", ""},
		{"empty", "", ""},
		{"unicode", "clé-🔑\n", ""},
		{"every byte", everyByte(), EncodingBase64},
		{"cut in a rune", "cl\xc3", EncodingBase64},
		{"one byte", "\xff", EncodingBase64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(&Secret{Key: "k", Value: tc.value, Visibility: VisibilityTenant})
			require.NoError(t, err)
			var wire map[string]any
			require.NoError(t, json.Unmarshal(b, &wire))
			if tc.encoding == "" {
				assert.NotContains(t, wire, "encoding")
			} else {
				assert.Equal(t, tc.encoding, wire["encoding"])
			}
			var back Secret
			require.NoError(t, json.Unmarshal(b, &back))
			assert.Equal(t, Secret{Key: "k", Value: tc.value, Visibility: VisibilityTenant}, back)
		})
	}
	for _, doc := range []string{
		`{"key":"k","value":"%%%","encoding":"base64"}`,
		`{"key":"k","value":"/w","encoding":"base64"}`,
		`{"key":"k","value":"x","encoding":"latin-1"}`,
	} {
		var s Secret
		err := json.Unmarshal([]byte(doc), &s)
		assert.ErrorIs(t, err, ErrInvalid, doc)
		assert.Contains(t, err.Error(), `secret "k"`)
	}
	var s Secret
	require.NoError(t, json.Unmarshal([]byte(`{"key":"k","value":"v","encoding":"utf-8"}`), &s))
	assert.Equal(t, "v", s.Value)
}

// TestBinarySecretAtRest: a value that is not UTF-8 is kept exactly,
// sealed or not (a backend without the encryption wrapper stores it in
// the record's JSON), so get_secret gets the bytes it was given.
func TestBinarySecretAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	plain, err := OpenBolt(filepath.Join(dir, "plain.db"), Options{NoSync: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = plain.Close() })
	for name, st := range map[string]Store{"sealed": openEncrypted(t, filepath.Join(dir, "sealed.db")), "plain": plain} {
		require.NoError(t, st.PutSecret(ctx, &Secret{Key: "bin", Value: everyByte()}, false), name)
		got, err := st.GetSecret(ctx, "bin")
		require.NoError(t, err, name)
		assert.Equal(t, everyByte(), got.Value, name)
	}
}
