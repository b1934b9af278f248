package store_test

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gantryhq/gantry/store"
)

// FuzzExtractArchive: whatever the bytes (tar.gz, or zip when they start
// with "PK"), extraction never panics and never
// writes outside the target folder, and an archive ValidateArchive accepts
// extracts without error.
func FuzzExtractArchive(f *testing.F) {
	for _, name := range []string{"a.txt", "../x", "d/../../x", "/abs", "d/e/f.sh", "./ok", "a\\..\\b"} {
		data, err := tarGz(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: 3, Mode: 0o755})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("not gzip"))
	f.Add(zipOf(f, zipEntry{name: "a/b.sh", body: "x", mode: 0o755}, zipEntry{name: "../x", body: "x"}))
	f.Fuzz(func(t *testing.T, data []byte) {
		base := t.TempDir()
		dst := filepath.Join(base, "dst")
		// Zip archives (they start with "PK") go through the same walk.
		if bytes.HasPrefix(data, []byte("PK")) {
			err := store.ExtractUpload(store.FormatZip, data, dst, store.ArchiveLimits{MaxBytes: 1 << 20})
			if err != nil && !errors.Is(err, store.ErrInvalid) && !errors.Is(err, store.ErrTooLarge) {
				t.Fatalf("refusal without a sentinel: %v", err)
			}
		} else {
			valid := store.ValidateArchive(data) == nil
			err := store.ExtractArchive(data, dst)
			if valid && err != nil {
				t.Fatalf("valid archive failed to extract: %v", err)
			}
		}
		entries, rerr := os.ReadDir(base)
		if rerr != nil {
			t.Fatal(rerr)
		}
		for _, e := range entries {
			if e.Name() != "dst" {
				t.Fatalf("wrote %q outside the target folder", e.Name())
			}
		}
		_ = filepath.WalkDir(dst, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.Type()&os.ModeSymlink != 0 {
				t.Fatalf("created a symbolic link %s", p)
			}
			if strings.Contains(p, "..") {
				t.Fatalf("odd path %s", p)
			}
			return nil
		})
	})
}
