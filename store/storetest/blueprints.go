package storetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func testBlueprints(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := archive(t)
	bp := &store.Blueprint{ID: "b1", MainFile: "blueprint.yaml", Description: "one",
		Labels: map[string][]any{"env": {"dev"}}, Source: "/src/b1"}
	require.NoError(t, s.CreateBlueprint(ctx, bp, data))
	assert.False(t, bp.CreatedAt.IsZero(), "CreatedAt set")
	assert.Equal(t, int64(len(data)), bp.ArchiveSize)
	assert.Len(t, bp.ArchiveSHA256, 64)

	got, err := s.GetBlueprint(ctx, "b1")
	require.NoError(t, err)
	assert.Equal(t, bp.ID, got.ID)
	assert.Equal(t, "blueprint.yaml", got.MainFile)
	assert.Equal(t, "one", got.Description)
	assert.Equal(t, bp.Labels, got.Labels)
	assert.True(t, bp.CreatedAt.Equal(got.CreatedAt))
	assert.Equal(t, bp.ArchiveSHA256, got.ArchiveSHA256)

	err = s.CreateBlueprint(ctx, &store.Blueprint{ID: "b1", MainFile: "x.yaml"}, data)
	assert.ErrorIs(t, err, store.ErrExists)
	assert.Contains(t, err.Error(), `"b1"`)

	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "a0", MainFile: "m.yaml"}, data))
	list, err := s.ListBlueprints(ctx)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"a0", "b1"}, []string{list[0].ID, list[1].ID}, "ordered by id")

	stored, err := s.BlueprintArchive(ctx, "b1")
	require.NoError(t, err)
	assert.Equal(t, data, stored)

	require.NoError(t, s.DeleteBlueprint(ctx, "a0"))
	_, err = s.GetBlueprint(ctx, "a0")
	assert.ErrorIs(t, err, store.ErrNotFound)
	_, err = s.BlueprintArchive(ctx, "a0")
	assert.ErrorIs(t, err, store.ErrNotFound)
	assert.ErrorIs(t, s.DeleteBlueprint(ctx, "a0"), store.ErrNotFound)

	// A blueprint with deployments cannot go.
	seed(t, s, "d1", 1)
	err = s.DeleteBlueprint(ctx, "bp")
	assert.ErrorIs(t, err, store.ErrInUse)
	assert.Contains(t, err.Error(), `"d1"`)
	require.NoError(t, s.DeleteDeployment(ctx, "d1", false))
	require.NoError(t, s.DeleteBlueprint(ctx, "bp"))
	requireClean(t, s)
}

// testBlueprintImports: a blueprint that imports one not stored is
// refused, and one imported is not deleted while its importer is stored.
func testBlueprintImports(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := archive(t)
	err := s.CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml", Imports: []string{"lib"}}, data)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorContains(t, err, `imports blueprint "lib"`)
	_, err = s.GetBlueprint(ctx, "app")
	require.ErrorIs(t, err, store.ErrNotFound, "nothing stored")

	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "lib", MainFile: "blueprint.yaml"}, data))
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml", Imports: []string{"lib"}}, data))
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "app2", MainFile: "blueprint.yaml", Imports: []string{"lib"}}, data))
	err = s.DeleteBlueprint(ctx, "lib")
	require.ErrorIs(t, err, store.ErrInUse)
	require.ErrorContains(t, err, "blueprint(s) app, app2 import it")
	require.NoError(t, s.DeleteBlueprint(ctx, "app"))
	require.NoError(t, s.DeleteBlueprint(ctx, "app2"))
	require.NoError(t, s.DeleteBlueprint(ctx, "lib"))
	requireClean(t, s)
}

// testBlueprintHeldByUpdate: a deployment update's new blueprint is not
// deleted while the update is active (queued, running, interrupted, or
// reopened to be resumed); an update naming one not stored is refused.
func testBlueprintHeldByUpdate(t *testing.T, s store.Store) {
	ctx := context.Background()
	seed(t, s, "d", 1)
	update := func(id, target string, status store.ExecutionStatus) error {
		return s.CreateExecution(ctx, &store.Execution{ID: id, DeploymentID: "d", WorkflowID: "update", Status: status, TargetBlueprintID: target})
	}
	setStatus := func(id string, status store.ExecutionStatus) {
		_, err := s.UpdateExecution(ctx, id, func(e *store.Execution) error { e.Status = status; return nil })
		require.NoError(t, err)
	}
	err := update("u0", "next", store.ExecutionPending)
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorContains(t, err, `blueprint "next"`)
	// A record that ended (a store's copy) may name one gone since.
	require.NoError(t, update("old", "gone", store.ExecutionTerminated))

	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "next", MainFile: "blueprint.yaml"}, archive(t)))
	require.NoError(t, update("u1", "next", store.ExecutionPending))
	err = s.DeleteBlueprint(ctx, "next")
	require.ErrorIs(t, err, store.ErrInUse)
	require.ErrorContains(t, err, "deployment update(s) u1 will move a deployment to it")
	requireClean(t, s)
	setStatus("u1", store.ExecutionStarted)
	require.ErrorIs(t, s.DeleteBlueprint(ctx, "next"), store.ErrInUse, "running")
	setStatus("u1", store.ExecutionFailed)
	requireClean(t, s)
	setStatus("u1", store.ExecutionPending) // reopened to be resumed
	require.ErrorIs(t, s.DeleteBlueprint(ctx, "next"), store.ErrInUse, "resumed")
	requireClean(t, s)
	setStatus("u1", store.ExecutionTerminated)
	require.NoError(t, s.DeleteBlueprint(ctx, "next"))
	requireClean(t, s)
	// Reopened after its blueprint went: refused, naming it.
	_, err = s.UpdateExecution(ctx, "u1", func(e *store.Execution) error { e.Status = store.ExecutionPending; return nil })
	require.ErrorIs(t, err, store.ErrNotFound)
	require.ErrorContains(t, err, `blueprint "next", which it moves deployment "d" to, is not stored`)

	// Deleting the deployment (forced, its update active) frees it.
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "next", MainFile: "blueprint.yaml"}, archive(t)))
	require.NoError(t, update("u2", "next", store.ExecutionStarted))
	require.NoError(t, s.DeleteDeployment(ctx, "d", true))
	require.NoError(t, s.DeleteBlueprint(ctx, "next"))
	requireClean(t, s)
}

// testBlueprintImportRace: an importer's upload and a delete of what it
// imports, run together many times, never leave the importer stored
// without it.
func testBlueprintImportRace(t *testing.T, s store.Store) {
	ctx := context.Background()
	data := archive(t)
	for range 20 {
		require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "lib", MainFile: "blueprint.yaml"}, data))
		var createErr, deleteErr error
		var wg sync.WaitGroup
		wg.Add(2)
		go func() {
			defer wg.Done()
			createErr = s.CreateBlueprint(ctx, &store.Blueprint{ID: "app", MainFile: "blueprint.yaml", Imports: []string{"lib"}}, data)
		}()
		go func() { defer wg.Done(); deleteErr = s.DeleteBlueprint(ctx, "lib") }()
		wg.Wait()
		require.True(t, (createErr == nil) != (deleteErr == nil), "one of them wins: create %v, delete %v", createErr, deleteErr)
		_, libErr := s.GetBlueprint(ctx, "lib")
		_, appErr := s.GetBlueprint(ctx, "app")
		if appErr == nil {
			require.NoError(t, libErr, "the importer is stored with what it imports")
			require.ErrorIs(t, deleteErr, store.ErrInUse)
			require.NoError(t, s.DeleteBlueprint(ctx, "app"))
			require.NoError(t, s.DeleteBlueprint(ctx, "lib"))
		} else {
			require.ErrorIs(t, createErr, store.ErrNotFound)
		}
	}
	requireClean(t, s)
}

func testBlueprintFiles(t *testing.T, s store.Store) {
	ctx := context.Background()
	src := blueprintDir(t)
	data, err := store.ArchiveDir(src, 0)
	require.NoError(t, err)
	require.NoError(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "b", MainFile: "blueprint.yaml"}, data))

	// The deployment must survive the source folder's deletion.
	require.NoError(t, os.RemoveAll(src))
	dst := filepath.Join(t.TempDir(), "files")
	require.NoError(t, s.BlueprintFiles(ctx, "b", dst))
	body, err := os.ReadFile(filepath.Join(dst, "scripts", "create.sh"))
	require.NoError(t, err)
	assert.Equal(t, "#!/bin/sh\necho created\n", string(body))
	fi, err := os.Stat(filepath.Join(dst, "scripts", "create.sh"))
	require.NoError(t, err)
	assert.NotZero(t, fi.Mode().Perm()&0o100, "executable bit kept")
	fi, err = os.Stat(filepath.Join(dst, "resources", "conf", "app.ini"))
	require.NoError(t, err)
	assert.Zero(t, fi.Mode().Perm()&0o111, "plain file not executable")
	_, err = os.Stat(filepath.Join(dst, "blueprint.yaml"))
	require.NoError(t, err)

	assert.ErrorIs(t, s.BlueprintFiles(ctx, "nope", dst), store.ErrNotFound)
}

// tarGz builds an archive from raw headers (to forge hostile ones).
func tarGz(t *testing.T, entries ...*tar.Header) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range entries {
		h.ModTime = time.Unix(0, 0)
		require.NoError(t, tw.WriteHeader(h))
		if h.Typeflag == tar.TypeReg {
			_, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	require.NoError(t, gz.Close())
	return buf.Bytes()
}

func testBlueprintArchiveRefused(t *testing.T, s store.Store) {
	ctx := context.Background()
	reg := func(name string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: 1, Mode: 0o644}
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"parent", tarGz(t, reg("../evil"))},
		{"nested parent", tarGz(t, reg("a/../../evil"))},
		{"absolute", tarGz(t, reg("/etc/evil"))},
		{"symlink", tarGz(t, &tar.Header{Typeflag: tar.TypeSymlink, Name: "link", Linkname: "/etc/passwd"})},
		{"hardlink", tarGz(t, &tar.Header{Typeflag: tar.TypeLink, Name: "link", Linkname: "../x"})},
		{"not gzip", []byte("plain text")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.CreateBlueprint(ctx, &store.Blueprint{ID: "evil", MainFile: "blueprint.yaml"}, tc.data)
			assert.ErrorIs(t, err, store.ErrInvalid)
			_, err = s.GetBlueprint(ctx, "evil")
			assert.ErrorIs(t, err, store.ErrNotFound, "nothing stored")
		})
	}
}

func testInvalidIDs(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, id := range []string{"", "a\x00b", "a\nb", "\x1b[31mred", "tab\there", "del\x7f", "c1\u0085", "ls\u2028", string([]byte{0xff, 0xfe}), string(bytes.Repeat([]byte("a"), 4096))} {
		assert.ErrorIs(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: id, MainFile: "m.yaml"}, archive(t)), store.ErrInvalid)
		_, err := s.GetDeployment(ctx, id)
		assert.ErrorIs(t, err, store.ErrInvalid)
		assert.ErrorIs(t, s.PutSecret(ctx, &store.Secret{Key: id, Value: "v"}, false), store.ErrInvalid)
	}
	assert.ErrorIs(t, s.CreateBlueprint(ctx, &store.Blueprint{ID: "x"}, archive(t)), store.ErrInvalid, "main file required")
	assert.ErrorIs(t, s.CreateDeployment(ctx, &store.Deployment{ID: "d", BlueprintID: "x"}), store.ErrInvalid, "plan required")
}
