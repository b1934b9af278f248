package manager

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// writeBlueprintDir writes the update blueprint with nodes body into
// parent/name and returns the folder.
func writeBlueprintDir(t *testing.T, parent, name, body string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, DefaultMainFile), []byte(updateBlueprintHead+body), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "op.sh"), []byte(updateScript), 0o755))
	return dir
}

// TestResolveUpdateBlueprint: what `deployments update -b` names is a path
// when something exists there (folder, main file, archive: tar.gz at its
// root, zip with one top folder), with the id install would derive or the
// one given; otherwise a stored blueprint's id.
func TestResolveUpdateBlueprint(t *testing.T) {
	work := t.TempDir()
	folder := writeBlueprintDir(t, work, "next", updateV2)
	tgz, err := store.ArchiveDir(folder, store.DefaultMaxArchiveBytes)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(work, "packed.tar.gz"), tgz, 0o644))
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, name := range []string{DefaultMainFile, "op.sh"} {
		w, err := zw.Create("top/" + name)
		require.NoError(t, err)
		b, err := os.ReadFile(filepath.Join(folder, name))
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(work, "zipped.zip"), zb.Bytes(), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(work, "empty.tgz"), mustArchive(t, t.TempDir()), 0o644))

	for _, tc := range []struct {
		name, ref, id string
		wantID        string
		wantMain      bool
		wantErr       error
	}{
		{name: "folder", ref: folder, wantID: "next", wantMain: true},
		{name: "folder as id", ref: folder, id: "other", wantID: "other", wantMain: true},
		{name: "main file", ref: filepath.Join(folder, DefaultMainFile), wantID: "next", wantMain: true},
		{name: "tar.gz", ref: filepath.Join(work, "packed.tar.gz"), wantID: "packed", wantMain: true},
		{name: "zip with a top folder", ref: filepath.Join(work, "zipped.zip"), wantID: "zipped", wantMain: true},
		{name: "stored id", ref: "v2", wantID: "v2"},
		{name: "stored id and the same --blueprint-id", ref: "v2", id: "v2", wantID: "v2"},
		{name: "no path, another id", ref: "v2", id: "v3", wantErr: ErrInvalid},
		{name: "archive without a main file", ref: filepath.Join(work, "empty.tgz"), wantErr: ErrInvalid},
		{name: "id only", id: "v2", wantID: "v2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := api.UpdateDeploymentRequest{Blueprint: tc.ref, BlueprintID: tc.id}
			main, cleanup, err := ResolveUpdateBlueprint(&req)
			defer cleanup()
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.wantID, req.BlueprintID)
			if !tc.wantMain {
				require.Empty(t, main)
				return
			}
			b, err := os.ReadFile(main)
			require.NoError(t, err)
			require.Equal(t, updateBlueprintHead+updateV2, string(b))
			cleanup()
			if filepath.Ext(tc.ref) == ".zip" || filepath.Ext(tc.ref) == ".gz" {
				_, err := os.Stat(main)
				require.True(t, errors.Is(err, os.ErrNotExist), "cleanup removes the extracted archive")
			}
		})
	}
}

func mustArchive(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := store.ArchiveDir(dir, store.DefaultMaxArchiveBytes)
	require.NoError(t, err)
	return b
}

// TestUpdateToBlueprintPath: a path is uploaded (as its folder's name)
// and the deployment updated to it; the same path again reuses that
// blueprint; a refused update (the deployment is missing) uploads
// nothing; a path whose id is taken by other files is refused and
// changes nothing.
func TestUpdateToBlueprintPath(t *testing.T) {
	u := newUpdateEnv(t, updateV1, updateV2)
	ctx := context.Background()
	work := t.TempDir()
	dir := writeBlueprintDir(t, work, "next", updateV2)

	_, err := u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "nope", Blueprint: dir})
	require.ErrorIs(t, err, api.ErrNotFound)
	_, err = u.m.GetBlueprint(ctx, "next")
	require.ErrorIs(t, err, api.ErrNotFound, "a refused update leaves no blueprint behind")

	out, err := u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", Blueprint: dir})
	require.NoError(t, err)
	require.True(t, out.BlueprintUploaded)
	require.Equal(t, "next", out.BlueprintID)
	e, err := out.Run.Wait(ctx)
	require.NoError(t, err)
	require.Equal(t, store.ExecutionTerminated, e.Status, e.Error)
	bp, _, nodes := u.state(t)
	require.Equal(t, "next", bp)
	require.Len(t, nodes["web2"], 1)
	require.Empty(t, nodes["cache"])

	out, err = u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", Blueprint: dir, Preview: true})
	require.NoError(t, err)
	require.False(t, out.BlueprintUploaded, "the same files under the same id are reused")

	require.NoError(t, os.WriteFile(filepath.Join(dir, DefaultMainFile), []byte(updateBlueprintHead+updateV1), 0o644))
	_, err = u.m.UpdateDeployment(ctx, api.UpdateDeploymentRequest{DeploymentID: "d", Blueprint: dir})
	require.ErrorIs(t, err, api.ErrExists)
	require.ErrorContains(t, err, "different files")
	bp, _, _ = u.state(t)
	require.Equal(t, "next", bp)
}
