package store_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gantryhq/gantry/store"
)

// zipEntry is one entry of a test zip: a file (body), a folder (name ends
// in /) or an entry of another mode.
type zipEntry struct {
	name string
	body string
	mode fs.FileMode
}

func zipOf(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = w.Write([]byte(e.body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func TestExtractUploadZip(t *testing.T) {
	data := zipOf(t, zipEntry{name: "scripts/"}, zipEntry{name: "blueprint.yaml", body: "x"},
		zipEntry{name: "scripts/a.sh", body: "echo", mode: 0o755})
	dst := filepath.Join(t.TempDir(), "bp")
	require.NoError(t, store.ExtractUpload(store.FormatZip, data, dst, store.ArchiveLimits{}))
	body, err := os.ReadFile(filepath.Join(dst, "blueprint.yaml"))
	require.NoError(t, err)
	assert.Equal(t, "x", string(body))
	fi, err := os.Stat(filepath.Join(dst, "scripts", "a.sh"))
	require.NoError(t, err)
	assert.Equal(t, fs.FileMode(0o755), fi.Mode().Perm(), "the executable bit is kept")
}

// TestExtractUploadHostile: traversal, links, devices, bombs and floods of
// entries are refused with the right sentinel, in both formats, and nothing
// lands outside the target folder.
func TestExtractUploadHostile(t *testing.T) {
	many := make([]zipEntry, 101)
	for i := range many {
		many[i] = zipEntry{name: "f" + strings.Repeat("x", i)}
	}
	tests := []struct {
		name string
		data []byte
		lim  store.ArchiveLimits
		want error
	}{
		{"dot-dot", zipOf(t, zipEntry{name: "../escaped", body: "x"}), store.ArchiveLimits{}, store.ErrInvalid},
		{"absolute", zipOf(t, zipEntry{name: "/tmp/escaped", body: "x"}), store.ArchiveLimits{}, store.ErrInvalid},
		{"backslash", zipOf(t, zipEntry{name: "..\\escaped", body: "x"}), store.ArchiveLimits{}, store.ErrInvalid},
		{"nul in name", zipOf(t, zipEntry{name: "a/\x00sh", body: "x"}), store.ArchiveLimits{}, store.ErrInvalid},
		{"symlink", zipOf(t, zipEntry{name: "s", body: "..", mode: fs.ModeSymlink | 0o777}), store.ArchiveLimits{}, store.ErrInvalid},
		{"device", zipOf(t, zipEntry{name: "tty", mode: fs.ModeDevice | fs.ModeCharDevice | 0o600}), store.ArchiveLimits{}, store.ErrInvalid},
		{"too many entries", zipOf(t, many...), store.ArchiveLimits{MaxEntries: 100}, store.ErrTooLarge},
		{"bomb", zipOf(t, zipEntry{name: "zeros", body: strings.Repeat("\x00", 1<<20)}), store.ArchiveLimits{MaxBytes: 64 << 10}, store.ErrTooLarge},
		{"not a zip", []byte("PK nope"), store.ArchiveLimits{}, store.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			base := t.TempDir()
			err := store.ExtractUpload(store.FormatZip, tc.data, filepath.Join(base, "dst"), tc.lim)
			require.ErrorIs(t, err, tc.want)
			_, statErr := os.Stat(filepath.Join(base, "escaped"))
			assert.ErrorIs(t, statErr, os.ErrNotExist, "nothing written outside")
		})
	}
}

// TestExtractUploadBombLyingHeader: a zip entry that claims to be small
// but inflates beyond the budget is stopped by what it produces.
func TestExtractUploadBombLyingHeader(t *testing.T) {
	data := zipOf(t, zipEntry{name: "zeros", body: strings.Repeat("\x00", 1<<20)})
	// The local and central headers hold the uncompressed size as a
	// uint32 at fixed offsets: claim 10 bytes in both.
	patch := func(sig []byte, off int) {
		for i := 0; ; {
			j := bytes.Index(data[i:], sig)
			if j < 0 {
				return
			}
			p := i + j + off
			copy(data[p:p+4], []byte{10, 0, 0, 0})
			i += j + 4
		}
	}
	patch([]byte("PK\x01\x02"), 24)
	patch([]byte("PK\x03\x04"), 22)
	err := store.ExtractUpload(store.FormatZip, data, t.TempDir(), store.ArchiveLimits{MaxBytes: 64 << 10})
	require.Error(t, err)
	assert.True(t, errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrTooLarge), "a clear refusal: %v", err)
}
