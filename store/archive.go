package store

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Archive limits.
const (
	// DefaultMaxArchiveBytes bounds a blueprint archive (compressed).
	DefaultMaxArchiveBytes = 64 << 20
	// MaxExtractedBytes bounds the total size of the files extracted from
	// one archive (a guard against decompression bombs).
	MaxExtractedBytes = 1 << 30
	// MaxArchiveEntries bounds the number of entries of one archive.
	MaxArchiveEntries = 100_000
)

// archiveEpoch is the modification time written for every entry, so that
// archiving the same folder twice gives the same bytes (and digest).
var archiveEpoch = time.Unix(0, 0).UTC()

// skippedDirs are not archived: version-control metadata is not part of a
// blueprint and can be large.
var skippedDirs = map[string]bool{".git": true, ".hg": true, ".svn": true}

// ArchiveDir packs the blueprint folder dir into a tar.gz for
// CreateBlueprint: regular files and directories, in lexical order, with the
// executable bit kept (scripts must stay runnable) and fixed timestamps.
// Symbolic links to files are stored as the files they point to; links to
// directories, dangling links and special files are refused, as is an
// archive larger than maxBytes (<= 0: DefaultMaxArchiveBytes), with
// ErrTooLarge. Version-control folders (.git, .hg, .svn) are skipped.
func ArchiveDir(dir string, maxBytes int64) ([]byte, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxArchiveBytes
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("archive blueprint folder: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("archive blueprint folder %s: not a directory: %w", dir, ErrInvalid)
	}
	buf := &limitedBuffer{max: maxBytes}
	gz := gzip.NewWriter(buf)
	tw := tar.NewWriter(gz)
	entries := 0
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if d.IsDir() && skippedDirs[d.Name()] {
			return filepath.SkipDir
		}
		if entries++; entries > MaxArchiveEntries {
			return fmt.Errorf("more than %d files: %w", MaxArchiveEntries, ErrTooLarge)
		}
		name := filepath.ToSlash(rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if fi, err = os.Stat(p); err != nil {
				return fmt.Errorf("%s: dangling symbolic link: %w", name, ErrInvalid)
			}
			if fi.IsDir() {
				return fmt.Errorf("%s: symbolic link to a directory is not supported: %w", name, ErrInvalid)
			}
		}
		switch {
		case fi.IsDir():
			return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: archiveEpoch})
		case fi.Mode().IsRegular():
			return addFile(tw, p, name, fi)
		default:
			return fmt.Errorf("%s: not a regular file or directory (%s): %w", name, fi.Mode().Type(), ErrInvalid)
		}
	})
	if walkErr == nil {
		walkErr = tw.Close()
	}
	if walkErr == nil {
		walkErr = gz.Close()
	}
	if walkErr != nil {
		return nil, fmt.Errorf("archive blueprint folder %s: %w", dir, walkErr)
	}
	return buf.Bytes(), nil
}

func addFile(tw *tar.Writer, p, name string, fi fs.FileInfo) error {
	mode := int64(0o644)
	if fi.Mode().Perm()&0o111 != 0 {
		mode = 0o755
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: fi.Size(), ModTime: archiveEpoch}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.CopyN(tw, f, fi.Size()); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// limitedBuffer is a bytes.Buffer that refuses to grow beyond max.
type limitedBuffer struct {
	bytes.Buffer
	max int64
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if int64(b.Len()+len(p)) > b.max {
		return 0, fmt.Errorf("archive exceeds %d bytes: %w", b.max, ErrTooLarge)
	}
	return b.Buffer.Write(p)
}

// ValidateArchive checks a blueprint archive without extracting it: a
// readable tar.gz whose entries are regular files and directories with
// local paths (no absolute paths, no "..", no links), within the size and
// entry limits.
func ValidateArchive(data []byte) error {
	return walkArchive(data, func(string, *tar.Header, io.Reader) error { return nil })
}

// ExtractArchive unpacks a blueprint archive into dir (created 0700 if
// missing). Every path is resolved inside dir through an os.Root, so neither
// "../" entries nor symbolic links already present in dir can make a file
// land outside it; link and special entries are refused.
func ExtractArchive(data []byte, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("extract blueprint files: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract blueprint files: %w", err)
	}
	defer root.Close()
	err = walkArchive(data, func(name string, h *tar.Header, r io.Reader) error {
		if h.Typeflag == tar.TypeDir {
			return root.MkdirAll(name, 0o755)
		}
		if parent := path.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return err
			}
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, fs.FileMode(h.Mode)&0o755)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, r); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
	if err != nil {
		return fmt.Errorf("extract blueprint files into %s: %w", dir, err)
	}
	return nil
}

// walkArchive reads a blueprint archive, checks every entry and calls fn
// with the entry's cleaned local path; r is bounded by MaxExtractedBytes
// over the whole archive.
func walkArchive(data []byte, fn func(name string, h *tar.Header, r io.Reader) error) error {
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("blueprint archive is not gzip: %v: %w", err, ErrInvalid)
	}
	defer gz.Close()
	tr := tar.NewReader(gz)
	var total int64
	isDir := map[string]bool{} // every path seen so far: directory or file
	for n := 0; ; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("blueprint archive is not a valid tar: %v: %w", err, ErrInvalid)
		}
		if n >= MaxArchiveEntries {
			return fmt.Errorf("blueprint archive has more than %d entries: %w", MaxArchiveEntries, ErrTooLarge)
		}
		name, err := localName(h.Name)
		if err != nil {
			return err
		}
		if err := checkPlace(isDir, name, h.Typeflag == tar.TypeDir); err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := fn(name, h, nil); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case tar.TypeReg:
			if h.Size < 0 || total+h.Size > MaxExtractedBytes {
				return fmt.Errorf("blueprint archive expands beyond %d bytes: %w", int64(MaxExtractedBytes), ErrTooLarge)
			}
			total += h.Size
			if err := fn(name, h, io.LimitReader(tr, h.Size)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		default:
			return fmt.Errorf("blueprint archive entry %q: type %q is not a regular file or directory: %w",
				h.Name, string(h.Typeflag), ErrInvalid)
		}
	}
}

// localName cleans an archive entry name and refuses any that is not a
// local relative path.
func localName(name string) (string, error) {
	clean := path.Clean(strings.TrimSuffix(name, "/"))
	if name == "" || strings.Contains(name, "\\") || !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", fmt.Errorf("blueprint archive entry %q: path escapes the blueprint folder: %w", name, ErrInvalid)
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("blueprint archive entry %q: path escapes the blueprint folder: %w", name, ErrInvalid)
		}
	}
	return clean, nil
}

// checkPlace refuses an entry that would need a file where a directory is
// (or the reverse), and records the entry and its parents in isDir.
func checkPlace(isDir map[string]bool, name string, dir bool) error {
	if name == "." {
		if dir {
			return nil
		}
		return fmt.Errorf("blueprint archive entry %q: a file cannot be the root folder: %w", name, ErrInvalid)
	}
	for p := path.Dir(name); p != "."; p = path.Dir(p) {
		if d, seen := isDir[p]; seen && !d {
			return fmt.Errorf("blueprint archive entry %q: %q is a file, not a folder: %w", name, p, ErrInvalid)
		}
		isDir[p] = true
	}
	if d, seen := isDir[name]; seen && d != dir {
		return fmt.Errorf("blueprint archive entry %q: both a file and a folder: %w", name, ErrInvalid)
	}
	isDir[name] = dir
	return nil
}
