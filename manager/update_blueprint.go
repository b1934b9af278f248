package manager

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/gantryhq/gantry/internal/readlimit"
	"github.com/gantryhq/gantry/manager/api"
	"github.com/gantryhq/gantry/store"
)

// Archive file names a blueprint path may have (`deployments update -b`).
var archiveSuffixes = []struct{ suffix, format string }{
	{".tar.gz", store.FormatTarGz}, {".tgz", store.FormatTarGz}, {".zip", store.FormatZip},
}

// ResolveUpdateBlueprint reads what a deployment update names the way
// install reads its PATH: req.Blueprint is a path when something exists
// there (a folder holding blueprint.yaml, a main file, or a .tar.gz,
// .tgz or .zip archive of one), uploaded as req.BlueprintID or an id
// derived from the path (DefaultBlueprintID; an archive's name without
// its suffix); otherwise it is a stored blueprint's id. It sets
// req.BlueprintID and returns the main file to upload ("" for a stored
// blueprint) and what removes an archive's extracted files (always
// callable). The local Service and the remote client both resolve with
// it; the upload itself is EnsureBlueprint's (an identical upload of the
// id reused, a different one refused).
func ResolveUpdateBlueprint(req *api.UpdateDeploymentRequest) (main string, cleanup func(), err error) {
	cleanup = func() {}
	ref := req.Blueprint
	if ref == "" {
		return "", cleanup, nil
	}
	if _, err := os.Stat(ref); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return "", cleanup, fmt.Errorf("blueprint %s: %w", ref, err)
		}
		if req.BlueprintID != "" && req.BlueprintID != ref {
			return "", cleanup, fmt.Errorf("%w: --blueprint-id %s names the id to upload a blueprint path as, and %s is no file or folder (give one of them)", ErrInvalid, req.BlueprintID, ref)
		}
		req.BlueprintID = ref
		return "", cleanup, nil
	}
	main, id, cleanup, err := openBlueprintPath(ref)
	if err != nil {
		return "", cleanup, err
	}
	if req.BlueprintID == "" {
		req.BlueprintID = id
	}
	return main, cleanup, nil
}

// openBlueprintPath resolves a blueprint path to its main file and the id
// derived from it; an archive is extracted into a private temporary
// folder that cleanup removes.
func openBlueprintPath(path string) (main, id string, cleanup func(), err error) {
	cleanup = func() {}
	format, name := "", filepath.Base(path)
	for _, a := range archiveSuffixes {
		if strings.HasSuffix(strings.ToLower(name), a.suffix) {
			format, name = a.format, name[:len(name)-len(a.suffix)]
			break
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.IsDir() || format == "" {
		main, err := ResolveBlueprintPath(path)
		if err != nil {
			return "", "", cleanup, err
		}
		return main, DefaultBlueprintID(main), cleanup, nil
	}
	data, err := readlimit.File(path, store.DefaultMaxArchiveBytes)
	if err != nil {
		return "", "", cleanup, fmt.Errorf("blueprint archive: %w", err)
	}
	dir, err := os.MkdirTemp("", "gantry-blueprint-")
	if err != nil {
		return "", "", cleanup, fmt.Errorf("blueprint archive %s: %w", path, err)
	}
	cleanup = func() { _ = os.RemoveAll(dir) }
	if err := store.ExtractUpload(format, data, dir, store.ArchiveLimits{}); err != nil {
		cleanup()
		return "", "", func() {}, fmt.Errorf("blueprint archive %s: %w", path, err)
	}
	main, err = archiveMain(dir, DefaultMainFile)
	if err != nil {
		cleanup()
		return "", "", func() {}, fmt.Errorf("blueprint archive %s: %w", path, err)
	}
	return main, name, cleanup, nil
}
