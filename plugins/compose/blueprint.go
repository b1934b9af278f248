package compose

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/gantryhq/gantry/internal/fetch"
	"github.com/gantryhq/gantry/internal/readlimit"
	"github.com/gantryhq/gantry/plugins"
)

// Limits of a blueprint_archive read from a URL or a file (the store's
// archive limit; the extracted files are bounded by the store too).
const (
	maxArchiveBytes = 64 << 20
	downloadTimeout = 5 * time.Minute
)

// Runtime properties of a cloudify.nodes.Blueprint (Cloudify's names).
const (
	RuntimeBlueprintArchive = "blueprint_archive"
	RuntimeApplicationFile  = "application_file_name"
	RuntimeLabels           = "labels"
	propLabels              = "labels"
)

// blueprintUpload (Blueprint create) stores blueprint resource_config.id
// (else the instance's id) from blueprint_archive, or checks that an
// external_resource is in the store, after setting the secrets.
func (p *Plugin) blueprintUpload(ctx context.Context, op *plugins.Context) error {
	if err := checkLocal(op); err != nil {
		return err
	}
	if err := checkNoPlugins(op); err != nil {
		return err
	}
	rc := mapOf(desired(op, propResourceConfig))
	id := str(rc, keyID)
	if id == "" {
		id = op.Instance.ID
	}
	archive, mainFile := str(rc, cfgArchive), str(rc, cfgMainFile)
	_, rerun := op.Runtime.Get(keyID)
	exists, err := p.Deployments.HasBlueprint(ctx, id)
	if err != nil {
		return err
	}
	external := boolean(rc, cfgExternal)
	switch {
	case external && !exists:
		return plugins.NonRecoverable(fmt.Errorf("node %s: blueprint %q is not in the store, but external_resource is true; upload it first (`gantry blueprints upload PATH -b %s`)", op.Node.ID, id, id))
	case !external && exists && !rerun:
		return plugins.NonRecoverable(fmt.Errorf("node %s: blueprint %q exists already; set external_resource: true to use it, or choose another resource_config.id", op.Node.ID, id))
	case !external && archive == "":
		return plugins.NonRecoverable(fmt.Errorf("node %s: resource_config.blueprint_archive is empty: name a folder, YAML file or archive of this blueprint, or an http(s) URL of an archive", op.Node.ID))
	}
	if l, _ := rc[propLabels].([]any); len(l) > 0 {
		op.Log(plugins.LevelWarn, "node %s: labels are not kept (Gantry has no blueprint labels)", op.Node.ID)
	}
	labels := rc[propLabels]
	if labels == nil {
		labels = []any{}
	}
	err = setRuntime(op, map[string]any{keyID: id, RuntimeBlueprintArchive: shownArchive(archive), RuntimeApplicationFile: mainFile, RuntimeLabels: labels})
	if err != nil {
		return err
	}
	if err := p.setSecrets(ctx, op); err != nil {
		return err
	}
	if external {
		op.Log(plugins.LevelInfo, "using blueprint %s of the store (external_resource)", id)
		return nil
	}
	return p.storeBlueprint(ctx, op, id, archive, mainFile)
}

// blueprintDelete (Blueprint delete) deletes the blueprint its create
// stored (the runtime property id; without it create did not get that far
// and nothing is deleted); one that deployments still use is an error
// naming them.
func (p *Plugin) blueprintDelete(ctx context.Context, op *plugins.Context) error {
	v, _ := op.Runtime.Get(keyID)
	id, _ := v.(string)
	switch {
	case id == "":
		op.Log(plugins.LevelInfo, "node %s stored no blueprint: nothing to delete", op.Node.ID)
	case !boolean(mapOf(desired(op, propResourceConfig)), cfgExternal):
		err := p.Deployments.DeleteBlueprint(ctx, id)
		if errors.Is(err, ErrInUse) {
			return plugins.NonRecoverable(fmt.Errorf("node %s: %w; delete those deployments first (`gantry deployments delete ID`), then run uninstall again", op.Node.ID, err))
		}
		if err != nil {
			return fmt.Errorf("node %s: deleting blueprint %s: %w", op.Node.ID, id, err)
		}
		op.Log(plugins.LevelInfo, "deleted blueprint %s", id)
	}
	for _, k := range []string{keyID, RuntimeBlueprintArchive, RuntimeApplicationFile, RuntimeLabels} {
		if err := op.Runtime.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// storeBlueprint stores blueprint id from blueprint_archive: an http(s) URL
// of a zip or tar.gz archive (downloaded within maxArchiveBytes and
// downloadTimeout), or a path inside the blueprint's folder: a folder (with
// mainFile), a YAML file, or a zip or tar.gz archive.
func (p *Plugin) storeBlueprint(ctx context.Context, op *plugins.Context, id, archive, mainFile string) error {
	shown := shownArchive(archive)
	var data []byte
	switch {
	case fetch.IsURL(archive):
		var err error
		data, err = fetch.Get(ctx, archive, fetch.Limits{MaxBytes: maxArchiveBytes, Timeout: downloadTimeout})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return plugins.NonRecoverable(fmt.Errorf("node %s: downloading blueprint_archive: %w", op.Node.ID, err))
		}
	case strings.Contains(archive, "://"):
		return plugins.NonRecoverable(fmt.Errorf("node %s: blueprint_archive %q: Gantry downloads http and https URLs only; "+
			"use one, or a folder or archive of this blueprint", op.Node.ID, shown))
	default:
		path, err := archivePath(op, archive, mainFile)
		if err != nil {
			return err
		}
		if ext := strings.ToLower(filepath.Ext(path)); ext == ".yaml" || ext == ".yml" {
			if err := p.Deployments.UploadBlueprint(ctx, id, path); err != nil {
				return plugins.NonRecoverable(fmt.Errorf("node %s: storing blueprint %s from %s: %w", op.Node.ID, id, archive, err))
			}
			op.Log(plugins.LevelInfo, "stored blueprint %s from %s", id, archive)
			return nil
		}
		if data, err = readlimit.File(path, maxArchiveBytes); err != nil {
			return plugins.NonRecoverable(fmt.Errorf("node %s: blueprint_archive %q: %w", op.Node.ID, archive, err))
		}
	}
	if err := p.Deployments.UploadBlueprintArchive(ctx, id, data, mainFile); err != nil {
		return plugins.NonRecoverable(fmt.Errorf("node %s: storing blueprint %s from %s: %w", op.Node.ID, id, shown, err))
	}
	op.Log(plugins.LevelInfo, "stored blueprint %s from %s", id, shown)
	return nil
}

// shownArchive is blueprint_archive for messages and runtime properties: a
// URL without its password.
func shownArchive(archive string) string {
	if strings.Contains(archive, "://") {
		return fetch.Redact(archive)
	}
	return archive
}
