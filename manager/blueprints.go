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

// DeleteBlueprint removes a blueprint that no deployment uses.
func (m *Manager) DeleteBlueprint(ctx context.Context, id string) error {
	if _, err := m.st.GetBlueprint(ctx, id); err != nil {
		return err
	}
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
