package manager

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// DefaultMainFile is the file looked for when a blueprint path is a folder.
const DefaultMainFile = "blueprint.yaml"

// ResolveBlueprintPath turns a folder or file path into the main file's path.
func ResolveBlueprintPath(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("blueprint %s: %w", path, err)
	}
	if fi.IsDir() {
		main := filepath.Join(path, DefaultMainFile)
		if _, err := os.Stat(main); err != nil {
			return "", fmt.Errorf("blueprint folder %s has no %s: name the main file instead", path, DefaultMainFile)
		}
		return main, nil
	}
	return path, nil
}

// DefaultBlueprintID names a blueprint after its folder (or its file, when
// the main file is not blueprint.yaml).
func DefaultBlueprintID(mainFile string) string {
	base := filepath.Base(mainFile)
	if base == DefaultMainFile {
		abs, err := filepath.Abs(mainFile)
		if err == nil {
			return filepath.Base(filepath.Dir(abs))
		}
	}
	return strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
}

// UploadBlueprint validates the blueprint at path and stores it with every
// file of its folder, so that deployments survive edits to or deletion of
// the source. An invalid blueprint returns a *ProblemsError.
func (m *Manager) UploadBlueprint(ctx context.Context, id, path string) (*store.Blueprint, error) {
	main, err := ResolveBlueprintPath(path)
	if err != nil {
		return nil, err
	}
	opts, done := m.withStoredBlueprints(ctx, m.parseOptions())
	bp, problems := tosca.Parse(main, opts)
	done()
	if len(problems) > 0 {
		return nil, &ProblemsError{Path: main, Problems: problems}
	}
	if id == "" {
		id = DefaultBlueprintID(main)
	}
	archive, err := store.ArchiveDir(bp.Dir, store.DefaultMaxArchiveBytes)
	if err != nil {
		return nil, fmt.Errorf("archiving blueprint folder %s: %w", bp.Dir, err)
	}
	rec := &store.Blueprint{
		ID:          id,
		MainFile:    bp.MainFile,
		Description: bp.Description,
		InputDefs:   bp.InputDefs(),
		Imports:     bp.ImportedBlueprints,
		Source:      main,
	}
	if err := m.st.CreateBlueprint(ctx, rec, archive); err != nil {
		return nil, err
	}
	return rec, nil
}

func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '-' || r == '_' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// DeleteBlueprint removes a blueprint that no deployment uses, no other
// blueprint imports and no active deployment update moves a deployment to
// (store.ErrInUse, checked by the store in the delete's transaction).
func (m *Manager) DeleteBlueprint(ctx context.Context, id string) error {
	return m.st.DeleteBlueprint(ctx, id)
}

// EnsureBlueprint uploads the blueprint, or reuses an uploaded one of the
// same id whose files are identical (so that `gantry install` can be run
// again). Different files under a taken id are refused with ErrExists.
func (m *Manager) EnsureBlueprint(ctx context.Context, id, path string) (*store.Blueprint, bool, error) {
	main, err := ResolveBlueprintPath(path)
	if err != nil {
		return nil, false, err
	}
	if id == "" {
		id = DefaultBlueprintID(main)
	}
	existing, err := m.st.GetBlueprint(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		bp, err := m.UploadBlueprint(ctx, id, main)
		return bp, false, err
	}
	if err != nil {
		return nil, false, err
	}
	archive, err := store.ArchiveDir(filepath.Dir(main), store.DefaultMaxArchiveBytes)
	if err != nil {
		return nil, false, fmt.Errorf("archiving blueprint folder %s: %w", filepath.Dir(main), err)
	}
	sum := sha256.Sum256(archive)
	if hex.EncodeToString(sum[:]) != existing.ArchiveSHA256 || filepath.Base(main) != existing.MainFile {
		return nil, false, fmt.Errorf("blueprint %s: %w with different files; choose another id with -b, or delete it first (`gantry blueprints delete %s`)", id, store.ErrExists, id)
	}
	return existing, true, nil
}

// ensureBlueprintArchive stores a blueprint archive (zip or tar.gz, within
// the store's archive limits) as EnsureBlueprint stores a folder: it is
// extracted into a private folder of its own, removed afterwards. The main
// file is mainFile at the archive's root, or in its only top-level folder
// (Cloudify's blueprint archives hold one).
func (m *Manager) ensureBlueprintArchive(ctx context.Context, id string, data []byte, mainFile string) (*store.Blueprint, bool, error) {
	format := store.ArchiveFormat(data)
	if format == "" {
		return nil, false, fmt.Errorf("blueprint %s: the archive is neither a zip nor a tar.gz: %w", id, ErrInvalid)
	}
	if mainFile == "" {
		mainFile = DefaultMainFile
	}
	if !filepath.IsLocal(mainFile) {
		return nil, false, fmt.Errorf("blueprint %s: main file %q must be a path inside the archive: %w", id, mainFile, ErrInvalid)
	}
	dataDir, err := m.privateDataDir()
	if err != nil {
		return nil, false, err
	}
	parent := filepath.Join(dataDir, "resources")
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, false, fmt.Errorf("blueprint %s: %w", id, err)
	}
	dir, err := os.MkdirTemp(parent, safeName(id)+"-archive-")
	if err != nil {
		return nil, false, fmt.Errorf("blueprint %s: %w", id, err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := store.ExtractUpload(format, data, dir, store.ArchiveLimits{}); err != nil {
		return nil, false, fmt.Errorf("blueprint %s: %w", id, err)
	}
	main, err := archiveMain(dir, mainFile)
	if err != nil {
		return nil, false, fmt.Errorf("blueprint %s: %w", id, err)
	}
	return m.EnsureBlueprint(ctx, id, main)
}

// archiveMain finds mainFile in an extracted archive: at its root, else in
// its only top-level folder.
func archiveMain(dir, mainFile string) (string, error) {
	isFile := func(p string) bool {
		fi, err := os.Lstat(p)
		return err == nil && fi.Mode().IsRegular()
	}
	if p := filepath.Join(dir, mainFile); isFile(p) {
		return p, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	if len(entries) == 1 && entries[0].IsDir() {
		if p := filepath.Join(dir, entries[0].Name(), mainFile); isFile(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("the archive has no %s at its root or in its only top-level folder; set main_file_name: %w", mainFile, ErrInvalid)
}
