package server_test

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
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

// call sends a raw request and returns the status and the api.Error of an
// error answer.
func (f *fixture) call(t *testing.T, role auth.Role, method, path, ctype string, body io.Reader) (int, *api.Error) {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, body)
	require.NoError(t, err)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok := f.tokens[role]; tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	if resp.StatusCode < 400 {
		return resp.StatusCode, nil
	}
	var e api.Error
	require.NoError(t, json.Unmarshal(b, &e), "an error answer is an api.Error: %s", b)
	require.NotEmpty(t, e.Message)
	return resp.StatusCode, &e
}

type tarEntry struct {
	hdr  tar.Header
	body []byte
}

func tarGz(t *testing.T, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		h := e.hdr
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		require.NoError(t, tw.WriteHeader(&h))
		_, err := tw.Write(e.body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

func file(name, body string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: name}, body: []byte(body)}
}

const minimalBlueprint = "tosca_definitions_version: cloudify_dsl_1_3\nnode_templates: {}\n"

func manyEntries(t *testing.T, n int) []byte {
	entries := []tarEntry{file("blueprint.yaml", minimalBlueprint)}
	for i := range n {
		entries = append(entries, file(fmt.Sprintf("f/%06d", i), ""))
	}
	return tarGz(t, entries...)
}

func zipBomb(t *testing.T, size int) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("blueprint.yaml")
	require.NoError(t, err)
	_, err = w.Write([]byte(minimalBlueprint))
	require.NoError(t, err)
	w, err = zw.Create("zeros")
	require.NoError(t, err)
	_, err = w.Write(make([]byte, size))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// TestBadInput: malformed and oversized requests and hostile archives get
// a clear 4xx with a stable code, and leave nothing behind: no upload
// folder, no blueprint.
func TestBadInput(t *testing.T) {
	f := newFixture(t, server.Limits{MaxJSONBytes: 64 << 10, Archive: storeLimits(1000, 1<<20)})
	tests := []struct {
		name, method, path, ctype string
		body                      []byte
		status                    int
		code                      api.Code
		inMessage                 string
	}{
		{"malformed JSON", "POST", server.PathDeployments, server.ContentJSON, []byte(`{"id": "a", `), 400, api.CodeInvalid, "not valid JSON"},
		{"two JSON documents", "POST", server.PathDeployments, server.ContentJSON, []byte(`{} {}`), 400, api.CodeInvalid, "more than one"},
		{"empty JSON body", "POST", server.PathExecutions, server.ContentJSON, nil, 400, api.CodeInvalid, "empty"},
		{"huge JSON body", "POST", server.PathDeployments, server.ContentJSON, []byte(`{"id": "` + strings.Repeat("a", 1<<20) + `"}`), 413, api.CodeTooLarge, "exceeds"},
		{"bad query parameter", "GET", server.PathExecutions + "/x/events?after=-1", "", nil, 400, api.CodeInvalid, "after"},
		{"unknown route", "GET", server.Prefix + "/nope", "", nil, 404, api.CodeNotFound, "no route"},
		{"unknown content type", "PUT", server.PathOf(server.PathBlueprint, "bp"), "text/plain", []byte("x"), 400, api.CodeInvalid, "content type"},
		{"not gzip", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz, []byte("nope"), 400, api.CodeInvalid, "not gzip"},
		{"traversal", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz,
			tarGz(t, file("blueprint.yaml", minimalBlueprint), file("../../escaped", "x")), 400, api.CodeInvalid, "escapes"},
		{"absolute path", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz,
			tarGz(t, file("/tmp/escaped", "x")), 400, api.CodeInvalid, "escapes"},
		{"symlink", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz,
			tarGz(t, file("blueprint.yaml", minimalBlueprint), tarEntry{hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: "s", Linkname: "/etc"}}), 400, api.CodeInvalid, "not a regular file"},
		{"device", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz,
			tarGz(t, tarEntry{hdr: tar.Header{Typeflag: tar.TypeChar, Name: "tty", Devmajor: 5}}), 400, api.CodeInvalid, "not a regular file"},
		{"100,000 entries", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz, manyEntries(t, 100_000), 413, api.CodeTooLarge, "entries"},
		{"zip bomb", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentZip, zipBomb(t, 16<<20), 413, api.CodeTooLarge, "expands beyond"},
		{"tar bomb", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz,
			tarGz(t, file("blueprint.yaml", minimalBlueprint), tarEntry{hdr: tar.Header{Typeflag: tar.TypeReg, Name: "zeros"}, body: make([]byte, 2<<20)}), 413, api.CodeTooLarge, "expands beyond"},
		{"no main file", "PUT", server.PathOf(server.PathBlueprint, "bp"), server.ContentTarGz, tarGz(t, file("other.yaml", "x")), 400, api.CodeInvalid, "no file blueprint.yaml"},
		{"main file outside the root", "PUT", server.PathOf(server.PathBlueprint, "bp") + "?main=../x.yaml", server.ContentYAML, []byte(minimalBlueprint), 400, api.CodeInvalid, "main file"},
		{"install without multipart", "POST", server.PathInstall, server.ContentJSON, []byte(`{}`), 400, api.CodeInvalid, "multipart"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, e := f.call(t, auth.RoleOperator, tc.method, tc.path, tc.ctype, bytes.NewReader(tc.body))
			assert.Equal(t, tc.status, status)
			require.NotNil(t, e)
			assert.Equal(t, tc.code, e.Code)
			assert.Contains(t, e.Message, tc.inMessage)
			assert.NotContains(t, e.Message, f.uploads, "no server path in messages")
			assert.Empty(t, f.leftovers(t), "nothing left behind")
			bps, err := f.mgr.ListBlueprints(context.Background())
			require.NoError(t, err)
			assert.Empty(t, bps)
		})
	}
}

// TestUploadFormats: the same blueprint as tar.gz, zip and one YAML file.
func TestUploadFormats(t *testing.T) {
	f := newFixture(t, server.Limits{})
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	w, err := zw.Create("main.yaml")
	require.NoError(t, err)
	_, err = w.Write([]byte(minimalBlueprint))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	for _, tc := range []struct {
		id, ctype, main string
		body            []byte
	}{
		{"tgz", server.ContentTarGz, "", tarGz(t, file("blueprint.yaml", minimalBlueprint))},
		{"zip", server.ContentZip, "main.yaml", zbuf.Bytes()},
		{"yaml", server.ContentYAML, "", []byte(minimalBlueprint)},
	} {
		path := server.PathOf(server.PathBlueprint, tc.id)
		if tc.main != "" {
			path += "?main=" + tc.main
		}
		status, e := f.call(t, auth.RoleOperator, "PUT", path, tc.ctype, bytes.NewReader(tc.body))
		require.Equal(t, http.StatusCreated, status, "%s: %v", tc.id, e)
		bp, err := f.clients[auth.RoleViewer].GetBlueprint(context.Background(), tc.id)
		require.NoError(t, err)
		assert.NotEmpty(t, bp.ArchiveSHA256)
	}
	assert.Empty(t, f.leftovers(t))
}

// TestAuthOnTheWire: the server asks manager/auth, and the client sees the
// same sentinels (the auth helper's table test walks every route).
func TestAuthOnTheWire(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()

	status, e := f.call(t, "", "GET", server.PathDeployments, "", nil)
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.Equal(t, api.CodeUnauthenticated, e.Code)
	status, _ = f.call(t, "", "GET", server.PathHealth, "", nil)
	assert.Equal(t, http.StatusOK, status, "health needs no token")

	require.NoError(t, f.clients[auth.RoleOperator].PutSecret(ctx, &api.Secret{Key: "db", Value: "s3cret-value", Visibility: api.VisibilityTenant}, false))
	err := f.clients[auth.RoleViewer].PutSecret(ctx, &api.Secret{Key: "v", Value: "x"}, false)
	assert.ErrorIs(t, err, api.ErrForbidden)
	_, err = f.clients[auth.RoleViewer].GetSecret(ctx, "db")
	assert.ErrorIs(t, err, api.ErrForbidden, "a viewer never reads a value")
	_, err = f.clients[auth.RoleOperator].GetSecret(ctx, "db")
	assert.ErrorIs(t, err, api.ErrForbidden, "nor does an operator")
	sec, err := f.clients[auth.RoleAdmin].GetSecret(ctx, "db")
	require.NoError(t, err)
	assert.Equal(t, "s3cret-value", sec.Value)
	list, err := f.clients[auth.RoleViewer].ListSecrets(ctx)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Empty(t, list[0].Value)

	info, err := f.clients[auth.RoleViewer].Info(ctx)
	require.NoError(t, err)
	assert.Equal(t, api.ModeRemote, info.Mode)
	assert.Equal(t, "viewer", info.Role)
	assert.Equal(t, "test", info.Version)

	// Tokens through the server: a new one works, revoked it does not.
	created, err := f.clients[auth.RoleAdmin].CreateToken(ctx, api.CreateTokenRequest{Name: "ci", Role: "viewer"})
	require.NoError(t, err)
	_, err = f.clients[auth.RoleOperator].CreateToken(ctx, api.CreateTokenRequest{Name: "x", Role: "admin"})
	assert.ErrorIs(t, err, api.ErrForbidden)
	f.tokens["ci"] = created.Bearer
	status, _ = f.call(t, "ci", "GET", server.PathDeployments, "", nil)
	assert.Equal(t, http.StatusOK, status)
	_, err = f.clients[auth.RoleAdmin].RevokeToken(ctx, created.Token.ID)
	require.NoError(t, err)
	status, _ = f.call(t, "ci", "GET", server.PathDeployments, "", nil)
	assert.Equal(t, http.StatusUnauthorized, status)

	// The audit log has the mutations, refused ones too, never a secret.
	recs, err := f.clients[auth.RoleAdmin].ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	var lines []string
	for _, r := range recs {
		lines = append(lines, r.Principal+" "+r.Action+" "+r.Target+" "+r.Outcome)
	}
	assert.Contains(t, lines, "operator-test secrets.create "+server.PathSecrets+" ok")
	assert.Contains(t, lines, "viewer-test secrets.create "+server.PathSecrets+" forbidden")
	assert.Contains(t, lines, "admin-test tokens.revoke "+created.Token.ID+" ok")
	_, err = f.clients[auth.RoleViewer].ListAudit(ctx, 0, 0)
	assert.ErrorIs(t, err, api.ErrForbidden)
	b, _ := json.Marshal(recs)
	assert.NotContains(t, string(b), "s3cret-value")
}
