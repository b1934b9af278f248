package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/server"
)

type openAPIOp struct {
	OperationID string `json:"operationId"`
	Role        string `json:"x-gantry-role"`
}

// documented lists "METHOD PATH role operationId" for every operation of
// an OpenAPI document.
func documented(t *testing.T, doc []byte) []string {
	t.Helper()
	var d struct {
		OpenAPI string                          `json:"openapi"`
		Paths   map[string]map[string]openAPIOp `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(doc, &d))
	require.True(t, strings.HasPrefix(d.OpenAPI, "3."), "an OpenAPI 3 document")
	var out []string
	for path, ops := range d.Paths {
		for method, op := range ops {
			role := op.Role
			if role == "public" {
				role = ""
			}
			out = append(out, strings.ToUpper(method)+" "+path+" "+role+" "+op.OperationID)
		}
	}
	sort.Strings(out)
	return out
}

// TestOpenAPIMatchesRoutes: every route of the table is in openapi.json
// with its role and name, and the document has no other.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var want []string
	for _, rt := range server.Routes() {
		want = append(want, rt.Method+" "+rt.Path+" "+string(rt.Role)+" "+rt.Name)
	}
	sort.Strings(want)
	assert.Equal(t, want, documented(t, server.OpenAPI))

	// The server serves that document, without a token.
	f := newFixture(t, server.Limits{})
	resp, err := http.Get(f.http.URL + server.PathOpenAPI)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, server.OpenAPI, body)
}
