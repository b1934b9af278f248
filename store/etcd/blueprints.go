package etcdstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/gantryhq/gantry/store"
)

func (v *view) CreateBlueprint(ctx context.Context, bp *store.Blueprint, archive []byte) error {
	rec, err := store.PrepareBlueprint(bp, archive, v.s.opts.MaxArchiveBytes)
	if err != nil {
		return err
	}
	err = v.run(ctx, func(t *tx) error {
		ok, err := t.exists(ctx, v.k.blueprint(rec.ID))
		if err != nil {
			return err
		}
		if ok {
			return fmt.Errorf("blueprint %q: %w", rec.ID, store.ErrExists)
		}
		if err := store.CheckImportsStored(&rec, v.blueprintStored(ctx, t)); err != nil {
			return err
		}
		if err := v.importersIndex(ctx, t); err != nil {
			return err
		}
		// Leftovers of an upload that died before its record, then the
		// chunks, then the record: the record is the commit point.
		leftovers, err := t.scan(ctx, v.k.under(kindArchive, rec.ID), true)
		if err != nil {
			return err
		}
		if len(leftovers) > 0 {
			t.delPrefix(v.k.under(kindArchive, rec.ID))
		}
		n := v.s.opts.ArchiveChunk
		for i := 0; i*n < len(archive) || i == 0; i++ {
			t.putRaw(v.k.archiveChunk(rec.ID, rec.ArchiveSHA256, i), archive[i*n:min(len(archive), (i+1)*n)])
		}
		for _, imported := range rec.Imports {
			t.putRaw(v.k.bpImporter(imported, rec.ID), nil)
		}
		return t.put("blueprint", v.k.blueprint(rec.ID), &rec)
	})
	if err != nil {
		return err
	}
	*bp = rec
	return nil
}

func (v *view) getBlueprint(ctx context.Context, t *tx, id string) (*store.Blueprint, error) {
	var bp store.Blueprint
	ok, err := t.get(ctx, "blueprint", v.k.blueprint(id), &bp)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("blueprint %q: %w", id, store.ErrNotFound)
	}
	return &bp, nil
}

func (v *view) GetBlueprint(ctx context.Context, id string) (*store.Blueprint, error) {
	if err := store.CheckID("blueprint", id); err != nil {
		return nil, err
	}
	var bp *store.Blueprint
	err := v.run(ctx, func(t *tx) (err error) {
		bp, err = v.getBlueprint(ctx, t, id)
		return err
	})
	return bp, err
}

func (v *view) ListBlueprints(ctx context.Context) ([]*store.Blueprint, error) {
	var out []*store.Blueprint
	err := v.run(ctx, func(t *tx) error {
		out = nil
		return listJSON(ctx, t, "blueprint", v.k.all(kindBlueprint), &out)
	})
	return out, err
}

func (v *view) DeleteBlueprint(ctx context.Context, id string) error {
	if err := store.CheckID("blueprint", id); err != nil {
		return err
	}
	return v.run(ctx, func(t *tx) error {
		bp, err := v.getBlueprint(ctx, t, id)
		if err != nil {
			return err
		}
		p := v.k.under(kindBPDeps, id)
		deps, err := t.scan(ctx, p, true)
		if err != nil {
			return err
		}
		if len(deps) > 0 {
			return fmt.Errorf("blueprint %q: %d deployment(s) use it (e.g. %q): %w", id, len(deps), deps[0].key[len(p):], store.ErrInUse)
		}
		if err := v.importersIndex(ctx, t); err != nil {
			return err
		}
		importers, err := v.holders(ctx, t, kindBPImport, id, func(importer string) (bool, error) {
			var b store.Blueprint
			ok, err := t.get(ctx, "blueprint", v.k.blueprint(importer), &b)
			return ok && slices.Contains(b.Imports, id), err
		})
		if err != nil {
			return err
		}
		if err := store.CheckNotImported(id, importers); err != nil {
			return err
		}
		execs, err := v.holders(ctx, t, kindBPExec, id, func(exec string) (bool, error) {
			var e store.Execution
			ok, err := t.get(ctx, "execution", v.k.execution(exec), &e)
			return ok && e.HeldBlueprint() == id, err
		})
		if err != nil {
			return err
		}
		if err := store.CheckNotHeld(id, execs); err != nil {
			return err
		}
		for _, imported := range bp.Imports {
			t.del(v.k.bpImporter(imported, id))
		}
		t.del(v.k.blueprint(id))
		t.delPrefix(v.k.under(kindArchive, id))
		return nil
	})
}

// importersIndex makes the bpimp index whole, in t, the first time a
// write of the prefix needs it: a prefix written before the index has
// blueprints that recorded their imports unindexed; their entries and the
// kindBPImportWhole marker are written with t's own writes.
func (v *view) importersIndex(ctx context.Context, t *tx) error {
	marker := v.k.all(kindBPImportWhole)
	if ok, err := t.exists(ctx, marker); err != nil || ok {
		return err
	}
	var all []*store.Blueprint
	if err := listJSON(ctx, t, "blueprint", v.k.all(kindBlueprint), &all); err != nil {
		return err
	}
	for _, b := range all {
		for _, imported := range b.Imports {
			t.putRaw(v.k.bpImporter(imported, b.ID), nil)
		}
	}
	t.putRaw(marker, nil)
	return nil
}

// holders returns what holds blueprint id by the index of kind: its
// entries whose records still call for them (holds). The entries of a
// write in parts that stopped before its record (doc.go) are deleted.
func (v *view) holders(ctx context.Context, t *tx, kind, id string, holds func(holder string) (bool, error)) ([]string, error) {
	p := v.k.under(kind, id)
	kvs, err := t.scan(ctx, p, true)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, x := range kvs {
		h := x.key[len(p):]
		ok, err := holds(h)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, h)
		} else {
			t.del(x.key)
		}
	}
	return out, nil
}

func (v *view) BlueprintArchive(ctx context.Context, id string) ([]byte, error) {
	if err := store.CheckID("blueprint", id); err != nil {
		return nil, err
	}
	var data []byte
	err := v.run(ctx, func(t *tx) error {
		bp, err := v.getBlueprint(ctx, t, id)
		if err != nil {
			return err
		}
		chunks, err := t.scan(ctx, v.k.under(kindArchive, id, bp.ArchiveSHA256), false)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		buf.Grow(int(bp.ArchiveSize))
		for _, c := range chunks {
			buf.Write(c.val)
		}
		sum := sha256.Sum256(buf.Bytes())
		if int64(buf.Len()) != bp.ArchiveSize || hex.EncodeToString(sum[:]) != bp.ArchiveSHA256 {
			return fmt.Errorf("blueprint %q: archive incomplete or damaged (%d of %d bytes in %d chunks)", id, buf.Len(), bp.ArchiveSize, len(chunks))
		}
		data = buf.Bytes()
		return nil
	})
	return data, err
}

func (v *view) BlueprintFiles(ctx context.Context, id, dir string) error {
	data, err := v.BlueprintArchive(ctx, id)
	if err != nil {
		return err
	}
	if err := store.ExtractArchive(data, dir); err != nil {
		return fmt.Errorf("blueprint %q: %w", id, err)
	}
	return nil
}
