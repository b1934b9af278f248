package store

import (
	"fmt"
	"slices"
	"strings"
)

// CheckImportsStored refuses a blueprint that imports one not stored
// (stored reports whether an id is): a store checks it in the transaction
// that creates bp, so a concurrent delete of an imported blueprint either
// comes first (and the create is refused) or is refused itself.
func CheckImportsStored(bp *Blueprint, stored func(id string) (bool, error)) error {
	for _, id := range bp.Imports {
		ok, err := stored(id)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("blueprint %q imports blueprint %q (NS--blueprint:%s), which is not stored: upload it first: %w", bp.ID, id, id, ErrNotFound)
		}
	}
	return nil
}

// CheckNotImported refuses to delete blueprint id while one of all (every
// stored blueprint, read in the deleting transaction) imports it.
func CheckNotImported(id string, all []*Blueprint) error {
	var importers []string
	for _, b := range all {
		if slices.Contains(b.Imports, id) {
			importers = append(importers, b.ID)
		}
	}
	if len(importers) == 0 {
		return nil
	}
	return fmt.Errorf("blueprint %q: %w: blueprint(s) %s import it (NS--blueprint:%s); delete them first", id, ErrInUse, strings.Join(importers, ", "), id)
}

// ImportOrder returns bps with every blueprint after the ones it imports
// (otherwise in the order given), as a copy into another store creates
// them.
func ImportOrder(bps []*Blueprint) []*Blueprint {
	byID := make(map[string]*Blueprint, len(bps))
	for _, b := range bps {
		byID[b.ID] = b
	}
	out := make([]*Blueprint, 0, len(bps))
	placed := make(map[string]bool, len(bps))
	var place func(b *Blueprint)
	place = func(b *Blueprint) {
		if placed[b.ID] {
			return
		}
		placed[b.ID] = true // before its imports: a cycle ends here
		for _, id := range b.Imports {
			if dep, ok := byID[id]; ok {
				place(dep)
			}
		}
		out = append(out, b)
	}
	for _, b := range bps {
		place(b)
	}
	return out
}
