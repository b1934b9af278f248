package manager

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
)

// The data folder (Config.DataDir) holds what executions run: the extracted
// blueprint files (resources/) and the records of running scripts (run/).
// Whoever can write there can make scripts run as the installing user, so:
//
//   - the data folder must be a real folder (not a symbolic link) owned by
//     the current user; Gantry creates it 0700 and tightens a folder of its
//     own that others could enter to 0700. Anything else is refused with
//     ErrDataDirUnsafe, never used. Everything below it is then private.
//   - every execution extracts its blueprint's files afresh from the store
//     into a new folder (os.MkdirTemp: a name nobody chose, mode 0700) and
//     removes it when the execution ends. A folder is never reused, so a
//     script that changes its copy changes nothing for later executions,
//     and no file planted beforehand can be picked up.
//
// Paths are absolute (New resolves DataDir), so a relative store path works
// for scripts, whose working folder is the extracted one.

// privateDataDir returns the data folder after making sure it is private.
func (m *Manager) privateDataDir() (string, error) {
	dir := m.cfg.DataDir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("data folder %s: %w", dir, err)
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return "", fmt.Errorf("data folder %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%w: %w: %s is a %s, not a folder; remove it or choose another data folder", ErrDataDirUnsafe, ErrInvalid, dir, fileKind(fi))
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return "", fmt.Errorf("%w: %w: %s belongs to uid %d, not to you (uid %d): another user could plant scripts there; keep the store in a folder of your own",
			ErrDataDirUnsafe, ErrInvalid, dir, st.Uid, os.Geteuid())
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return "", fmt.Errorf("data folder %s: making it private: %w", dir, err)
		}
	}
	return dir, nil
}

func fileKind(fi os.FileInfo) string {
	if fi.Mode()&os.ModeSymlink != 0 {
		return "symbolic link"
	}
	return "file (" + fi.Mode().Type().String() + ")"
}

// planPurpose names the copies made to plan a deployment.
const planPurpose = "plan"

// extractBlueprint extracts a stored blueprint's files into a new private
// folder for one use (an execution, a plan) named after purpose, and
// returns it with the function that removes it.
func (m *Manager) extractBlueprint(ctx context.Context, bp *store.Blueprint, purpose string) (string, func(), error) {
	data, err := m.privateDataDir()
	if err != nil {
		return "", nil, err
	}
	parent := filepath.Join(data, "resources")
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return "", nil, fmt.Errorf("extracting blueprint %s: %w", bp.ID, err)
	}
	prefix := safeName(bp.ID) + "-" + safeName(purpose) + "-"
	// Copies an execution's dead gantry left: this process has claimed the
	// execution, so nobody else uses them. (safeName leaves no glob
	// metacharacters; plans may run in several processes at once.)
	if purpose != planPurpose {
		stale, _ := filepath.Glob(filepath.Join(parent, prefix+"*"))
		for _, d := range stale {
			_ = os.RemoveAll(d)
		}
	}
	dir, err := os.MkdirTemp(parent, prefix)
	if err != nil {
		return "", nil, fmt.Errorf("extracting blueprint %s: %w", bp.ID, err)
	}
	remove := func() { _ = os.RemoveAll(dir) }
	if err := m.st.BlueprintFiles(ctx, bp.ID, dir); err != nil {
		remove()
		return "", nil, fmt.Errorf("extracting blueprint %s: %w", bp.ID, err)
	}
	return dir, remove, nil
}

// extractImported adds to dir, a run's copy of a blueprint's files, the
// files of each stored blueprint whose scripts its operations run
// (tosca.Plan.NamespacesMapping): every path P of the blueprint imported
// as NS is written at NS--P, as Cloudify serves NS--path. A name the
// importer's own files hold already is refused, never overwritten.
func (m *Manager) extractImported(ctx context.Context, mapping map[string]string, dir string) error {
	for _, ns := range slices.Sorted(maps.Keys(mapping)) {
		id := mapping[ns]
		if ns == "" || strings.ContainsAny(ns, `/\`) || !filepath.IsLocal(ns+tosca.NamespaceDelimiter) {
			return fmt.Errorf("%w: namespace %q of blueprint %s is not a file name", ErrInvalid, ns, id)
		}
		tmp, err := os.MkdirTemp(dir, ".import-")
		if err != nil {
			return fmt.Errorf("extracting blueprint %s (imported as %s%s): %w", id, ns, tosca.NamespaceDelimiter, err)
		}
		err = m.st.BlueprintFiles(ctx, id, tmp)
		if errors.Is(err, store.ErrNotFound) {
			_ = os.RemoveAll(tmp)
			return fmt.Errorf("the blueprint runs scripts of blueprint %s (imported as %s%sblueprint:%s), which is no longer in the store: upload it again (%w)", id, ns, tosca.NamespaceDelimiter, id, err)
		}
		if err == nil {
			err = moveNamespaced(tmp, dir, ns+tosca.NamespaceDelimiter)
		}
		_ = os.RemoveAll(tmp)
		if err != nil {
			return fmt.Errorf("extracting blueprint %s (imported as %s%s): %w", id, ns, tosca.NamespaceDelimiter, err)
		}
	}
	return nil
}

// moveNamespaced moves every entry of from into to, its name prefixed.
func moveNamespaced(from, to, prefix string) error {
	entries, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, en := range entries {
		dst := filepath.Join(to, prefix+en.Name())
		if _, err := os.Lstat(dst); err == nil {
			return fmt.Errorf("%w: the importing blueprint has a file %s of its own", ErrInvalid, prefix+en.Name())
		}
		if err := os.Rename(filepath.Join(from, en.Name()), dst); err != nil {
			return err
		}
	}
	return nil
}
