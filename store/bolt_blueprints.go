package store

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

func now() time.Time { return time.Now().UTC() }

func (v *boltView) CreateBlueprint(ctx context.Context, bp *Blueprint, archive []byte) error {
	rec, err := PrepareBlueprint(bp, archive, v.s.opts.MaxArchiveBytes)
	if err != nil {
		return err
	}
	err = v.run(ctx, true, func(tx *bolt.Tx) error {
		bps, err := bucket(tx, bktBlueprints)
		if err != nil {
			return err
		}
		arch, err := bucket(tx, bktArchives)
		if err != nil {
			return err
		}
		k := []byte(rec.ID)
		if bps.Get(k) != nil {
			return fmt.Errorf("blueprint %q: %w", rec.ID, ErrExists)
		}
		if err := CheckImportsStored(&rec, blueprintStored(tx)); err != nil {
			return err
		}
		if err := putJSON(bps, "blueprint", k, &rec); err != nil {
			return err
		}
		idx, err := importersIndex(tx)
		if err != nil {
			return err
		}
		for _, imported := range rec.Imports {
			if err := idx.Put(key(imported, rec.ID), empty); err != nil {
				return err
			}
		}
		return arch.Put(k, archive)
	})
	if err != nil {
		return err
	}
	*bp = rec
	return nil
}

// importersIndex returns the blueprint_importers index, making it the
// first time a write needs it: filled then from every blueprint's record
// (a store file written before the index has importers without entries),
// so that the bucket's existence means the index is whole.
func importersIndex(tx *bolt.Tx) (*bolt.Bucket, error) {
	if b := tx.Bucket(bktBPImporters); b != nil {
		return b, nil
	}
	idx, err := tx.CreateBucket(bktBPImporters)
	if err != nil {
		return nil, err
	}
	bps, err := bucket(tx, bktBlueprints)
	if err != nil {
		return nil, err
	}
	return idx, bps.ForEach(func(k, _ []byte) error {
		var bp Blueprint
		if _, err := getJSON(bps, "blueprint", k, &bp); err != nil {
			return err
		}
		for _, imported := range bp.Imports {
			if err := idx.Put(key(imported, bp.ID), empty); err != nil {
				return err
			}
		}
		return nil
	})
}

func getBlueprint(tx *bolt.Tx, id string) (*Blueprint, error) {
	bps, err := bucket(tx, bktBlueprints)
	if err != nil {
		return nil, err
	}
	var bp Blueprint
	ok, err := getJSON(bps, "blueprint", []byte(id), &bp)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("blueprint %q: %w", id, ErrNotFound)
	}
	return &bp, nil
}

func (v *boltView) GetBlueprint(ctx context.Context, id string) (*Blueprint, error) {
	if err := checkID("blueprint", id); err != nil {
		return nil, err
	}
	var bp *Blueprint
	err := v.run(ctx, false, func(tx *bolt.Tx) (err error) {
		bp, err = getBlueprint(tx, id)
		return err
	})
	return bp, err
}

func (v *boltView) ListBlueprints(ctx context.Context) ([]*Blueprint, error) {
	var out []*Blueprint
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		bps, err := bucket(tx, bktBlueprints)
		if err != nil {
			return err
		}
		return bps.ForEach(func(k, _ []byte) error {
			var bp Blueprint
			if _, err := getJSON(bps, "blueprint", k, &bp); err != nil {
				return err
			}
			out = append(out, &bp)
			return nil
		})
	})
	return out, err
}

func (v *boltView) DeleteBlueprint(ctx context.Context, id string) error {
	if err := checkID("blueprint", id); err != nil {
		return err
	}
	return v.run(ctx, true, func(tx *bolt.Tx) error {
		bp, err := getBlueprint(tx, id)
		if err != nil {
			return err
		}
		idx, err := bucket(tx, bktBPDeployments)
		if err != nil {
			return err
		}
		if deps := keysWithPrefix(idx, prefix(id)); len(deps) > 0 {
			first := string(bytes.TrimPrefix(deps[0], prefix(id)))
			return fmt.Errorf("blueprint %q: %d deployment(s) use it (e.g. %q): %w", id, len(deps), first, ErrInUse)
		}
		if _, err := importersIndex(tx); err != nil {
			return err
		}
		if err := CheckNotImported(id, entriesUnder(tx, bktBPImporters, id)); err != nil {
			return err
		}
		if err := CheckNotHeld(id, entriesUnder(tx, bktBPExecutions, id)); err != nil {
			return err
		}
		for _, imported := range bp.Imports {
			if err := delEntry(tx, bktBPImporters, key(imported, id)); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bktBlueprints, bktArchives} {
			b, err := bucket(tx, name)
			if err != nil {
				return err
			}
			if err := b.Delete([]byte(id)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (v *boltView) BlueprintArchive(ctx context.Context, id string) ([]byte, error) {
	if err := checkID("blueprint", id); err != nil {
		return nil, err
	}
	var data []byte
	err := v.run(ctx, false, func(tx *bolt.Tx) error {
		arch, err := bucket(tx, bktArchives)
		if err != nil {
			return err
		}
		raw := arch.Get([]byte(id))
		if raw == nil {
			if _, err := getBlueprint(tx, id); err != nil {
				return err
			}
			return fmt.Errorf("blueprint %q: archive missing", id)
		}
		data = bytes.Clone(raw) // raw lives in the mmap only during the transaction
		return nil
	})
	return data, err
}

func (v *boltView) BlueprintFiles(ctx context.Context, id, dir string) error {
	data, err := v.BlueprintArchive(ctx, id)
	if err != nil {
		return err
	}
	if err := ExtractArchive(data, dir); err != nil {
		return fmt.Errorf("blueprint %q: %w", id, err)
	}
	return nil
}
