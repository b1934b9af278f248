package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/server"
)

// binaryValue is not UTF-8: NUL, bytes no UTF-8 has, a rune cut short.
const binaryValue = "\x00\x01keystore\xfe\xff\r\ncl\xc3"

// TestBinarySecretOnTheWire: a value that is not UTF-8 goes through the
// REST API exactly (base64 on the wire, "encoding": "base64"), both ways;
// a malformed base64 or an unknown encoding is a 400 naming the key, never
// the value; a viewer sees neither value nor encoding.
func TestBinarySecretOnTheWire(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()
	bin := binaryValue

	// Through the remote client, which encodes and decodes.
	require.NoError(t, f.clients[auth.RoleOperator].PutSecret(ctx, &api.Secret{Key: "bin", Value: bin}, false))
	stored, err := f.mgr.GetSecret(ctx, "bin")
	require.NoError(t, err)
	assert.Equal(t, bin, stored.Value, "the server stored the exact bytes")
	got, err := f.clients[auth.RoleAdmin].GetSecret(ctx, "bin")
	require.NoError(t, err)
	assert.Equal(t, bin, got.Value, "and the client reads them back")

	// On the wire: base64, said so.
	req, err := http.NewRequest(http.MethodGet, f.http.URL+server.PathOf(server.PathSecret, "bin"), nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+f.tokens[auth.RoleAdmin])
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	var wire map[string]any
	require.NoError(t, json.Unmarshal(body, &wire))
	assert.Equal(t, api.EncodingBase64, wire["encoding"])
	assert.Equal(t, base64.StdEncoding.EncodeToString([]byte(bin)), wire["value"])

	// A raw client may send base64 too, or say utf-8 for text.
	post := func(doc string) (int, *api.Error) {
		return f.call(t, auth.RoleOperator, http.MethodPost, server.PathSecrets, server.ContentJSON, strings.NewReader(doc))
	}
	status, _ := post(`{"key":"raw","value":"/wD+","encoding":"base64"}`)
	require.Equal(t, http.StatusCreated, status)
	raw, err := f.mgr.GetSecret(ctx, "raw")
	require.NoError(t, err)
	assert.Equal(t, "\xff\x00\xfe", raw.Value)
	status, _ = post(`{"key":"text","value":"plain","encoding":"utf-8"}`)
	require.Equal(t, http.StatusCreated, status)
	text, err := f.mgr.GetSecret(ctx, "text")
	require.NoError(t, err)
	assert.Equal(t, "plain", text.Value)

	for _, tc := range []struct{ name, doc, want string }{
		{"not base64", `{"key":"bad","value":"s3cret!!","encoding":"base64"}`, `secret "bad": the value is not valid base64`},
		{"unpadded", `{"key":"bad","value":"/wD","encoding":"base64"}`, `secret "bad": the value is not valid base64`},
		{"unknown encoding", `{"key":"bad","value":"s3cret","encoding":"hex"}`, `secret "bad": encoding "hex" is not "utf-8" (text) or "base64"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, e := post(tc.doc)
			require.Equal(t, http.StatusBadRequest, status)
			assert.Equal(t, api.CodeInvalid, e.Code)
			assert.Contains(t, e.Message, tc.want)
			assert.NotContains(t, e.Message, "s3cret", "never the value")
			assert.NotContains(t, e.Message, "not valid JSON", "the JSON was valid")
			_, err := f.mgr.GetSecret(ctx, "bad")
			assert.ErrorIs(t, err, api.ErrNotFound, "nothing stored")
		})
	}

	// A viewer lists names only: no value, no encoding.
	list, err := f.clients[auth.RoleViewer].ListSecrets(ctx)
	require.NoError(t, err)
	require.Len(t, list, 3)
	for _, s := range list {
		assert.Empty(t, s.Value, s.Key)
	}
	_, err = f.clients[auth.RoleViewer].GetSecret(ctx, "bin")
	assert.ErrorIs(t, err, api.ErrForbidden)
}
