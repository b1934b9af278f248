package manager

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/workflow"
)

// passwordApp generates a password into secret app_pw; a later node reads
// it with get_secret (and through the password runtime property) and
// prints it.
const passwordApp = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  out: {type: string}
node_templates:
  pw:
    type: cloudify.nodes.PasswordSecret
    properties: {secret_name: app_pw, length: 24, digits: 3, symbols: -1}
  app:
    type: cloudify.nodes.Root
    relationships: [{type: cloudify.relationships.depends_on, target: pw}]
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: create.sh
          executor: central_deployment_agent
          inputs:
            PW: {get_secret: app_pw}
            VIA_ATTR: {get_attribute: [pw, password]}
            OUT: {get_input: out}
`

// A PasswordSecret stores a generated password as a secret of the store
// (encrypted there), never in an event or a runtime property in clear; a
// later node of the same install reads it with get_secret; uninstall
// deletes the secret.
func TestPasswordSecretInstall(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	out := filepath.Join(t.TempDir(), "pw")
	e := installDeployment(t, m, "app", writeBlueprint(t, passwordApp, map[string]string{
		"create.sh": "printf '%s|%s' \"$PW\" \"$VIA_ATTR\" > \"$OUT\"\necho \"the password is $PW\"\n"}), map[string]any{"out": out})
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)

	s, err := m.GetSecret(ctx, "app_pw")
	require.NoError(t, err)
	pw := s.Value
	require.Len(t, pw, 24)
	digits := 0
	for _, r := range pw {
		require.NotContains(t, " !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", string(r), "symbols: -1")
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	require.GreaterOrEqual(t, digits, 3)
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, pw+"|"+pw, string(b), "get_secret and get_attribute [pw, password] give the password to a later node")

	insts, err := m.ListNodeInstances(ctx, "app", "pw")
	require.NoError(t, err)
	require.Equal(t, map[string]any{"secret_name": "app_pw", "password": map[string]any{"get_secret": "app_pw"}}, insts[0].RuntimeProperties)
	evs, err := m.Events(ctx, e.ID, 0, 10000)
	require.NoError(t, err)
	raw, err := json.Marshal(evs)
	require.NoError(t, err)
	require.Contains(t, string(raw), "the password is ******", "the script's output is masked")
	require.Contains(t, string(raw), "in secret app_pw")
	require.NotContains(t, string(raw), pw)

	_, res := run(t, m, "app", "uninstall", nil)
	require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
	_, err = m.GetSecret(ctx, "app_pw")
	require.ErrorIs(t, err, store.ErrNotFound, "uninstall deletes the secret")
}

// blueprintParent stores the child blueprint with a cloudify.nodes.Blueprint
// node from ARCHIVE, and deploys it with a Component using that id.
const blueprintParent = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  marker: {type: string}
  archive: {type: string}
node_templates:
  bp:
    type: cloudify.nodes.Blueprint
    properties:
      resource_config: {id: childbp, blueprint_archive: {get_input: archive}}
  comp:
    type: cloudify.nodes.Component
    relationships: [{type: cloudify.relationships.depends_on, target: bp}]
    properties:
      resource_config:
        blueprint: {external_resource: true, id: childbp}
        deployment:
          id: kid
          inputs: {greeting: hi, marker: {get_input: marker}}
outputs:
  endpoint:
    value: {get_attribute: [comp, capabilities, endpoint]}
`

// zipFolder zips dir's files under a top-level folder named top, as
// Cloudify's blueprint archives are.
func zipFolder(t *testing.T, dir, top string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		h, err := zip.FileInfoHeader(fi)
		if err != nil {
			return err
		}
		h.Name = top + "/" + filepath.ToSlash(rel)
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}))
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// A cloudify.nodes.Blueprint stores a blueprint from a folder of the
// parent's, an archive file of it (tar.gz, files at its root) or an http
// URL of a zip (one top-level folder); a Component later in the same
// blueprint deploys it; uninstall deletes the blueprint.
func TestBlueprintNodeThenComponent(t *testing.T) {
	ctx := context.Background()
	child := writeBlueprint(t, composeChild, childScripts("echo \"$GREETING\" > \"$MARKER\"\nctx instance runtime-properties said \"$GREETING\"\n"))
	tgz, err := store.ArchiveDir(child, store.DefaultMaxArchiveBytes)
	require.NoError(t, err)
	zipped := zipFolder(t, child, "child-main")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/child.zip" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(zipped)
	}))
	defer srv.Close()

	for _, tc := range []struct{ name, archive string }{
		{"folder", "child/"},
		{"tar.gz file", "archives/child.tar.gz"},
		{"zip URL", srv.URL + "/child.zip"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newManager(t)
			parent := writeBlueprint(t, blueprintParent, nil)
			require.NoError(t, os.CopyFS(filepath.Join(parent, "child"), os.DirFS(child)))
			require.NoError(t, os.MkdirAll(filepath.Join(parent, "archives"), 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(parent, "archives", "child.tar.gz"), tgz, 0o644))
			marker := filepath.Join(t.TempDir(), "m")
			e := installDeployment(t, m, "parent", parent, map[string]any{"marker": marker, "archive": tc.archive})
			require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
			bp, err := m.GetBlueprint(ctx, "childbp")
			require.NoError(t, err)
			require.Equal(t, "blueprint.yaml", bp.MainFile)
			out, err := m.Outputs(ctx, "parent")
			require.NoError(t, err)
			require.Equal(t, "hi@child", out["endpoint"], "the Component deployed the stored blueprint")
			insts, err := m.ListNodeInstances(ctx, "parent", "bp")
			require.NoError(t, err)
			require.Equal(t, "childbp", insts[0].RuntimeProperties["id"])
			require.Equal(t, tc.archive, insts[0].RuntimeProperties["blueprint_archive"])

			_, res := run(t, m, "parent", "uninstall", nil)
			require.Equal(t, workflow.StatusTerminated, res.Status, "%v", res.Err)
			_, err = m.GetBlueprint(ctx, "childbp")
			require.ErrorIs(t, err, store.ErrNotFound, "uninstall deletes the blueprint the node stored")
		})
	}
}

const blueprintOnly = `tosca_definitions_version: cloudify_dsl_1_4
imports: [cloudify/types/types.yaml]
inputs:
  archive: {type: string, default: child/}
  external: {type: boolean, default: false}
node_templates:
  bp:
    type: cloudify.nodes.Blueprint
    properties:
      resource_config: {id: childbp, blueprint_archive: {get_input: archive}, external_resource: {get_input: external}}
`

// Uninstall refuses to delete a stored blueprint that a deployment uses,
// naming it; an external_resource blueprint is used and kept; a blueprint
// of the store that the node did not store is refused unless external, and
// uninstall then leaves it; a bad archive fails with its reason.
func TestBlueprintNodeErrors(t *testing.T) {
	ctx := context.Background()
	m := newManager(t)
	child := writeBlueprint(t, composeChild, childScripts("true\n"))
	parent := writeBlueprint(t, blueprintOnly, nil)
	require.NoError(t, os.CopyFS(filepath.Join(parent, "child"), os.DirFS(child)))
	require.NoError(t, os.WriteFile(filepath.Join(parent, "junk.zip"), []byte("not an archive"), 0o644))

	e := installDeployment(t, m, "p", parent, nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "user", BlueprintID: "childbp", Inputs: map[string]any{"greeting": "x", "marker": "y"}})
	require.NoError(t, err)
	e, _ = run(t, m, "p", "uninstall", nil)
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.Contains(t, e.Error, "blueprint childbp is used by deployments user")
	require.Contains(t, e.Error, "delete those deployments first")
	require.NoError(t, m.DeleteDeployment(ctx, "user", false))
	e, _ = run(t, m, "p", "uninstall", nil)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	_, err = m.GetBlueprint(ctx, "childbp")
	require.ErrorIs(t, err, store.ErrNotFound)

	_, err = m.UploadBlueprint(ctx, "childbp", child)
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		inputs map[string]any
		want   string
	}{
		{"exists", nil, `blueprint "childbp" exists already; set external_resource: true`},
		{"external", map[string]any{"external": true}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: tc.name, BlueprintID: "p", Inputs: tc.inputs})
			require.NoError(t, err)
			e, _ := run(t, m, tc.name, "install", nil)
			if tc.want != "" {
				require.Equal(t, store.ExecutionFailed, e.Status)
				require.Contains(t, e.Error, tc.want)
			} else {
				require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
			}
			e, _ = run(t, m, tc.name, "uninstall", nil)
			require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
			_, err = m.GetBlueprint(ctx, "childbp")
			require.NoError(t, err, "a blueprint the node did not store stays")
		})
	}
	require.NoError(t, m.DeleteBlueprint(ctx, "childbp"))
	_, err = m.CreateDeployment(ctx, api.CreateDeploymentRequest{ID: "junk", BlueprintID: "p", Inputs: map[string]any{"archive": "junk.zip"}})
	require.NoError(t, err)
	e, _ = run(t, m, "junk", "install", nil)
	require.Equal(t, store.ExecutionFailed, e.Status)
	require.Contains(t, e.Error, "storing blueprint childbp from junk.zip: blueprint childbp: the archive is neither a zip nor a tar.gz")
}
