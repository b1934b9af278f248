package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/manager/auth"
	"github.com/gantryhq/gantry/manager/server"
)

// The callers the walk tries on every route: no token, a token of each
// role, and an admin's token that was revoked or has expired.
const (
	callerNone    auth.Role = ""
	callerRevoked auth.Role = "revoked-admin"
	callerExpired auth.Role = "expired-admin"
)

// documentedOps reads every operation of openapi.json: method, path and
// the role it documents (x-gantry-role; "public" for anyone).
func documentedOps(t *testing.T) []struct{ method, path, role string } {
	t.Helper()
	var d struct {
		Paths map[string]map[string]openAPIOp `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(server.OpenAPI, &d))
	var out []struct{ method, path, role string }
	for path, ops := range d.Paths {
		for method, op := range ops {
			out = append(out, struct{ method, path, role string }{strings.ToUpper(method), path, op.Role})
		}
	}
	slices.SortFunc(out, func(a, b struct{ method, path, role string }) int {
		return strings.Compare(a.path+" "+a.method, b.path+" "+b.method)
	})
	return out
}

// TestEveryRouteByRole walks every route of the OpenAPI document with no
// token, each role, a revoked and an expired token, and checks what the
// document's x-gantry-role says: 401 without a valid token, 403 below the
// role (whatever the body: the role is checked first), and for a role at
// or above it, 2xx for reads of existing records and never 401/403 for
// mutations. Mutations name records that do not exist (or carry no body),
// so that the walk changes nothing; each refused one is in the audit log.
func TestEveryRouteByRole(t *testing.T) {
	f := newFixture(t, server.Limits{})
	ctx := context.Background()

	// Records for the reads: a deployment with an instance and an
	// execution that ran on this server (its progress is the server's), a
	// secret, a token.
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "blueprint.yaml"), []byte(`tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/4.3.3/types.yaml
node_templates:
  n:
    type: cloudify.nodes.Root
`), 0o600))
	started, err := f.clients[auth.RoleOperator].Install(ctx, api.InstallRequest{Path: dir, BlueprintID: "bp", DeploymentID: "dep"})
	require.NoError(t, err)
	exec, err := started.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, api.ExecutionTerminated, exec.Status, exec.Error)
	nis, err := f.mgr.ListNodeInstances(ctx, "dep", "")
	require.NoError(t, err)
	require.Len(t, nis, 1)
	require.NoError(t, f.mgr.PutSecret(ctx, &api.Secret{Key: "db", Value: "s3cret-value"}, false))

	revoked, err := f.mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "revoked", Role: api.RoleAdmin})
	require.NoError(t, err)
	_, err = f.mgr.RevokeToken(ctx, revoked.Token.ID)
	require.NoError(t, err)
	f.tokens[callerRevoked] = revoked.Bearer
	expired, err := f.mgr.CreateToken(ctx, api.CreateTokenRequest{Name: "expired", Role: api.RoleAdmin, TTL: time.Millisecond})
	require.NoError(t, err)
	f.tokens[callerExpired] = expired.Bearer
	time.Sleep(5 * time.Millisecond)

	// Path parameters: existing records for reads, missing ones for
	// mutations.
	fill := func(path string, mutation bool) string {
		ids := map[string]string{"bp": "bp", "dep": "dep", "exec": exec.ID, "instance": nis[0].ID, "secret": "db", "token": revoked.Token.ID}
		if mutation {
			for k := range ids {
				ids[k] = "missing-" + k
			}
		}
		r := strings.NewReplacer("/blueprints/{id}", "/blueprints/"+ids["bp"], "/deployments/{id}", "/deployments/"+ids["dep"],
			"/executions/{id}", "/executions/"+ids["exec"], "{instance}", ids["instance"],
			"/secrets/{key}", "/secrets/"+ids["secret"], "/tokens/{id}", "/tokens/"+ids["token"])
		out := r.Replace(path)
		require.NotContains(t, out, "{", "a path parameter the walk does not know: %s", path)
		return out
	}

	ops := documentedOps(t)
	require.Greater(t, len(ops), 30, "the walk found the document's operations")
	// The routes that show secrets or govern access are admins' only.
	for _, op := range ops {
		if op.method+" "+op.path == "GET "+server.PathSecret || strings.HasPrefix(op.path, server.PathTokens) || op.path == server.PathAudit {
			assert.Equal(t, string(auth.RoleAdmin), op.role, "%s %s: admins only", op.method, op.path)
		}
	}

	callers := []auth.Role{callerNone, auth.RoleViewer, auth.RoleOperator, auth.RoleAdmin, callerRevoked, callerExpired}
	forbidden := map[string]int{} // "action" -> refused requests of a mutation
	for _, op := range ops {
		mutation := op.method != http.MethodGet
		path := fill(op.path, mutation)
		for _, caller := range callers {
			t.Run(fmt.Sprintf("%s %s as %s", op.method, op.path, orNone(caller)), func(t *testing.T) {
				status, apiErr := f.call(t, caller, op.method, path, "application/json", nil)
				code := api.Code("")
				if apiErr != nil {
					code = apiErr.Code
				}
				valid := caller == auth.RoleAdmin || caller == auth.RoleOperator || caller == auth.RoleViewer
				switch {
				case op.role == "public":
					assert.Less(t, status, 300, "public: anyone (%s)", code)
				case !valid:
					assert.Equal(t, http.StatusUnauthorized, status)
					assert.Equal(t, api.CodeUnauthenticated, code)
				case !caller.Allows(auth.Role(op.role)):
					assert.Equal(t, http.StatusForbidden, status, "%s below %s", caller, op.role)
					assert.Equal(t, api.CodeForbidden, code)
					if mutation {
						forbidden[op.method+" "+op.path]++
					}
				case mutation:
					assert.NotContains(t, []int{http.StatusUnauthorized, http.StatusForbidden}, status, "%s may (%s)", caller, code)
				default:
					assert.Less(t, status, 300, "%s may read (%s: %v)", caller, code, apiErr)
				}
			})
		}
	}

	// Every refused mutation is audited as forbidden, under its action.
	actions := map[string]string{}
	for _, rt := range server.Routes() {
		actions[rt.Method+" "+rt.Path] = rt.Action
	}
	recs, err := f.mgr.ListAudit(ctx, 0, 0)
	require.NoError(t, err)
	refused := map[string]int{}
	for _, r := range recs {
		if r.Outcome == string(api.CodeForbidden) {
			refused[r.Action]++
		}
	}
	require.NotEmpty(t, forbidden)
	for route, n := range forbidden {
		action := actions[route]
		require.NotEmpty(t, action, "mutation %s has an audit action", route)
		assert.GreaterOrEqual(t, refused[action], n, "%s: refused requests audited under %s", route, action)
	}
	b, err := json.Marshal(recs)
	require.NoError(t, err)
	assert.NotContains(t, string(b), "s3cret-value")
	for _, tok := range f.tokens {
		assert.NotContains(t, string(b), tok[len(tok)-20:], "the audit log holds no token")
	}
}

func orNone(r auth.Role) string {
	if r == "" {
		return "no token"
	}
	return string(r)
}
