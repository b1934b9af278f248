package store

import (
	"archive/tar"
	"archive/zip"
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

// Archive formats ExtractUpload accepts.
const (
	FormatTarGz = "tar.gz"
	FormatZip   = "zip"
)

// ArchiveFormat recognises an archive by its first bytes: FormatZip,
// FormatTarGz (gzip; its content is checked on extraction), or "" when it
// is neither.
func ArchiveFormat(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")), bytes.HasPrefix(data, []byte("PK\x05\x06")):
		return FormatZip
	case bytes.HasPrefix(data, []byte{0x1f, 0x8b}):
		return FormatTarGz
	}
	return ""
}

// ArchiveLimits bound what one archive may hold; zero fields take the
// defaults (MaxArchiveEntries, MaxExtractedBytes).
type ArchiveLimits struct {
	MaxEntries int
	MaxBytes   int64 // total size of the extracted files
}

func (l ArchiveLimits) withDefaults() ArchiveLimits {
	if l.MaxEntries <= 0 {
		l.MaxEntries = MaxArchiveEntries
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = MaxExtractedBytes
	}
	return l
}

// ValidateArchive checks a blueprint archive without extracting it: a
// readable tar.gz whose entries are regular files and directories with
// local paths (no absolute paths, no "..", no links), within the size and
// entry limits.
func ValidateArchive(data []byte) error {
	return walkArchive(FormatTarGz, data, ArchiveLimits{}, func(string, *archiveEntry, io.Reader) error { return nil })
}

// ExtractArchive unpacks a blueprint archive (tar.gz) into dir, within the
// default limits; see ExtractUpload.
func ExtractArchive(data []byte, dir string) error {
	return ExtractUpload(FormatTarGz, data, dir, ArchiveLimits{})
}

// ExtractUpload unpacks an archive of format (FormatTarGz or FormatZip)
// into dir (created 0700 if missing). Every path is resolved inside dir
// through an os.Root, so neither "../" entries nor symbolic links already
// present in dir can make a file land outside it; link and special entries
// are refused, and so is an archive beyond lim (ErrTooLarge) whatever its
// headers claim. On error, what was extracted stays in dir: callers extract
// into a folder of their own and remove it.
func ExtractUpload(format string, data []byte, dir string, lim ArchiveLimits) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("extract blueprint files: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("extract blueprint files: %w", err)
	}
	defer root.Close()
	err = walkArchive(format, data, lim, func(name string, e *archiveEntry, r io.Reader) error {
		if e.dir {
			return root.MkdirAll(name, 0o755)
		}
		if parent := path.Dir(name); parent != "." {
			if err := root.MkdirAll(parent, 0o755); err != nil {
				return err
			}
		}
		f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, e.mode&0o755)
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

// archiveEntry is one entry of a tar or zip archive.
type archiveEntry struct {
	name string
	dir  bool
	reg  bool   // a regular file (else: refused unless dir)
	kind string // the entry's type, for messages
	mode fs.FileMode
	size int64 // declared size
	open func() (io.Reader, error)
}

// entryIter returns the next entry, or io.EOF.
type entryIter func() (*archiveEntry, error)

// walkArchive reads a blueprint archive, checks every entry and calls fn
// with the entry's cleaned local path; r yields at most the bytes left in
// lim.MaxBytes over the whole archive, and reading beyond fails with
// ErrTooLarge (decompression bombs are stopped by what they produce, not
// by what their headers claim).
func walkArchive(format string, data []byte, lim ArchiveLimits, fn func(name string, e *archiveEntry, r io.Reader) error) error {
	lim = lim.withDefaults()
	var next entryIter
	switch format {
	case FormatTarGz:
		gz, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return fmt.Errorf("blueprint archive is not gzip: %v: %w", err, ErrInvalid)
		}
		defer gz.Close()
		next = tarEntries(tar.NewReader(gz))
	case FormatZip:
		it, err := zipEntries(data, lim.MaxEntries)
		if err != nil {
			return err
		}
		next = it
	default:
		return fmt.Errorf("blueprint archive format %q: want %s or %s: %w", format, FormatTarGz, FormatZip, ErrInvalid)
	}
	budget := &budgetReader{left: lim.MaxBytes}
	isDir := map[string]bool{} // every path seen so far: directory or file
	for n := 0; ; n++ {
		e, err := next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if n >= lim.MaxEntries {
			return fmt.Errorf("blueprint archive has more than %d entries: %w", lim.MaxEntries, ErrTooLarge)
		}
		name, err := localName(e.name)
		if err != nil {
			return err
		}
		if err := checkPlace(isDir, name, e.dir); err != nil {
			return err
		}
		switch {
		case e.dir:
			if err := fn(name, e, nil); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		case e.reg:
			if e.size < 0 || e.size > budget.left {
				return fmt.Errorf("blueprint archive expands beyond %d bytes: %w", lim.MaxBytes, ErrTooLarge)
			}
			r, err := e.open()
			if err != nil {
				return fmt.Errorf("blueprint archive entry %q: %v: %w", e.name, err, ErrInvalid)
			}
			budget.r = r
			if err := fn(name, e, budget); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		default:
			return fmt.Errorf("blueprint archive entry %q: type %q is not a regular file or directory: %w",
				e.name, e.kind, ErrInvalid)
		}
	}
}

// budgetReader reads r while the archive's byte budget lasts.
type budgetReader struct {
	r    io.Reader
	left int64
}

func (b *budgetReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a file that ends here from one that goes on.
		var one [1]byte
		if n, _ := b.r.Read(one[:]); n > 0 {
			return 0, fmt.Errorf("blueprint archive expands beyond its size limit: %w", ErrTooLarge)
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("blueprint archive is corrupt: %v: %w", err, ErrInvalid)
	}
	return n, err
}

func tarEntries(tr *tar.Reader) entryIter {
	return func() (*archiveEntry, error) {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		if err != nil {
			return nil, fmt.Errorf("blueprint archive is not a valid tar: %v: %w", err, ErrInvalid)
		}
		return &archiveEntry{
			name: h.Name, dir: h.Typeflag == tar.TypeDir, reg: h.Typeflag == tar.TypeReg,
			kind: string(h.Typeflag), mode: fs.FileMode(h.Mode), size: h.Size,
			open: func() (io.Reader, error) { return io.LimitReader(tr, h.Size), nil },
		}, nil
	}
}

// zipEntries lists a zip archive's entries. The entry count the archive
// declares is checked before its directory is read, so that a directory of
// millions of entries costs nothing.
func zipEntries(data []byte, maxEntries int) (entryIter, error) {
	if n, ok := zipDeclaredEntries(data); ok && n > maxEntries {
		return nil, fmt.Errorf("blueprint archive has more than %d entries: %w", maxEntries, ErrTooLarge)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("blueprint archive is not a valid zip: %v: %w", err, ErrInvalid)
	}
	i := 0
	return func() (*archiveEntry, error) {
		if i >= len(zr.File) {
			return nil, io.EOF
		}
		f := zr.File[i]
		i++
		mode, perm := f.Mode(), fs.FileMode(0o644)
		if mode.Perm()&0o111 != 0 {
			perm = 0o755
		}
		return &archiveEntry{
			name: f.Name, dir: mode.IsDir(), reg: mode.IsRegular(), kind: mode.Type().String(),
			mode: perm, size: int64(min(f.UncompressedSize64, 1<<62)),
			open: func() (io.Reader, error) { return f.Open() },
		}, nil
	}, nil
}

// zipDeclaredEntries reads the entry count of a zip's end of central
// directory record (not zip64: ok is false then, and zip.NewReader checks
// the count against the archive's size).
func zipDeclaredEntries(data []byte) (n int, ok bool) {
	const eocdLen, sig = 22, "PK\x05\x06"
	from := max(0, len(data)-eocdLen-0xffff)
	i := bytes.LastIndex(data[from:], []byte(sig))
	if i < 0 || from+i+eocdLen > len(data) {
		return 0, false
	}
	rec := data[from+i:]
	total := int(rec[10]) | int(rec[11])<<8
	if total == 0xffff {
		return 0, false
	}
	return total, true
}

// localName cleans an archive entry name and refuses any that is not a
// local relative path.
func localName(name string) (string, error) {
	clean := path.Clean(strings.TrimSuffix(name, "/"))
	if name == "" || strings.Contains(name, "\\") || !filepath.IsLocal(filepath.FromSlash(clean)) {
		return "", fmt.Errorf("blueprint archive entry %q: path escapes the blueprint folder: %w", name, ErrInvalid)
	}
	if strings.ContainsRune(name, 0) {
		return "", fmt.Errorf("blueprint archive entry %q: a NUL byte in its name (no file can have it): %w", name, ErrInvalid)
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
