package store_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
}

// entries lists an archive's entry names.
func entries(t *testing.T, data []byte) []string {
	t.Helper()
	gz, err := gzip.NewReader(bytes.NewReader(data))
	require.NoError(t, err)
	tr := tar.NewReader(gz)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		require.NoError(t, err)
		names = append(names, h.Name)
	}
}

func TestArchiveDir(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"blueprint.yaml": "x", "scripts/a.sh": "a", ".git/objects/big": "skip me", "b/c/d.txt": "d",
	})
	writeFiles(t, outside, map[string]string{"shared.yaml": "shared"})
	require.NoError(t, os.Symlink(filepath.Join(outside, "shared.yaml"), filepath.Join(dir, "linked.yaml")))

	data, err := store.ArchiveDir(dir, 0)
	require.NoError(t, err)
	assert.Equal(t, []string{"b/", "b/c/", "b/c/d.txt", "blueprint.yaml", "linked.yaml", "scripts/", "scripts/a.sh"}, entries(t, data),
		"lexical order, .git skipped, file symlink stored as a file")
	again, err := store.ArchiveDir(dir, 0)
	require.NoError(t, err)
	assert.Equal(t, data, again, "deterministic")

	dst := t.TempDir()
	require.NoError(t, store.ExtractArchive(data, dst))
	body, err := os.ReadFile(filepath.Join(dst, "linked.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "shared", string(body))
	fi, err := os.Lstat(filepath.Join(dst, "linked.yaml"))
	require.NoError(t, err)
	assert.True(t, fi.Mode().IsRegular())

	tests := []struct {
		name  string
		setup func(dir string) error
	}{
		{"symlink to directory", func(dir string) error { return os.Symlink(outside, filepath.Join(dir, "d")) }},
		{"dangling symlink", func(dir string) error { return os.Symlink(filepath.Join(outside, "nope"), filepath.Join(dir, "d")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, tc.setup(dir))
			_, err := store.ArchiveDir(dir, 0)
			assert.ErrorIs(t, err, store.ErrInvalid)
		})
	}
	_, err = store.ArchiveDir(filepath.Join(dir, "blueprint.yaml"), 0)
	assert.ErrorIs(t, err, store.ErrInvalid, "not a directory")
	_, err = store.ArchiveDir(filepath.Join(dir, "missing"), 0)
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func hostile(t *testing.T, hdrs ...*tar.Header) []byte {
	t.Helper()
	data, err := tarGz(hdrs...)
	require.NoError(t, err)
	return data
}

// tarGz builds a tar.gz from raw headers (regular files get zero bytes of
// their size), without any of ArchiveDir's checks.
func tarGz(hdrs ...*tar.Header) ([]byte, error) {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range hdrs {
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(make([]byte, h.Size)); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := gz.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// TestExtractArchiveTraversal: no entry lands outside the target folder,
// whatever its name, its type or the links already in the folder.
func TestExtractArchiveTraversal(t *testing.T) {
	reg := func(name string) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: 3, Mode: 0o644}
	}
	tests := []struct {
		name string
		data func(t *testing.T) []byte
		pre  func(t *testing.T, dst, outside string) // prepares the target folder
	}{
		{name: "dot-dot", data: func(t *testing.T) []byte { return hostile(t, reg("../escaped")) }},
		{name: "deep dot-dot", data: func(t *testing.T) []byte { return hostile(t, reg("a/b/../../../escaped")) }},
		{name: "absolute", data: func(t *testing.T) []byte { return hostile(t, reg("/tmp/escaped")) }},
		{name: "symlink entry", data: func(t *testing.T) []byte {
			return hostile(t, &tar.Header{Typeflag: tar.TypeSymlink, Name: "s", Linkname: ".."})
		}},
		{name: "device", data: func(t *testing.T) []byte {
			return hostile(t, &tar.Header{Typeflag: tar.TypeChar, Name: "tty", Devmajor: 5})
		}},
		{name: "file then folder", data: func(t *testing.T) []byte { return hostile(t, reg("a"), reg("a/escaped")) }},
		{name: "folder then file", data: func(t *testing.T) []byte {
			return hostile(t, reg("a/b"), reg("a"))
		}},
		{name: "root as file", data: func(t *testing.T) []byte { return hostile(t, reg(".")) }},
		{name: "existing symlink in target", data: func(t *testing.T) []byte { return hostile(t, reg("scripts/escaped")) },
			pre: func(t *testing.T, dst, outside string) {
				require.NoError(t, os.Symlink(outside, filepath.Join(dst, "scripts")))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst, outside := t.TempDir(), t.TempDir()
			if tc.pre != nil {
				tc.pre(t, dst, outside)
			}
			data := tc.data(t)
			err := store.ExtractArchive(data, dst)
			require.Error(t, err)
			for _, dir := range []string{outside, filepath.Dir(dst)} {
				_, statErr := os.Stat(filepath.Join(dir, "escaped"))
				assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing written outside")
			}
			if tc.pre == nil {
				assert.ErrorIs(t, store.ValidateArchive(data), store.ErrInvalid)
			}
		})
	}
}
