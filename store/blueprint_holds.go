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

// CheckNotImported refuses to delete blueprint id while the blueprints
// importers (read from the importers index in the deleting transaction)
// import it.
func CheckNotImported(id string, importers []string) error {
	if len(importers) == 0 {
		return nil
	}
	return fmt.Errorf("blueprint %q: %w: blueprint(s) %s import it (NS--blueprint:%s); delete them first", id, ErrInUse, strings.Join(importers, ", "), id)
}

// HeldBlueprint is the blueprint the execution keeps from deletion: a
// deployment update's new one while the update is active (it may run, or
// be resumed once interrupted); "" for none.
func (e *Execution) HeldBlueprint() string {
	if e.Status.Active() {
		return e.TargetBlueprintID
	}
	return ""
}

// CheckHeldStored refuses an execution that would hold a blueprint not
// stored (stored reports whether an id is), in the transaction that
// creates it, as CheckImportsStored.
func CheckHeldStored(e *Execution, stored func(id string) (bool, error)) error {
	held := e.HeldBlueprint()
	if held == "" {
		return nil
	}
	ok, err := stored(held)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("execution %q: blueprint %q, which it moves deployment %q to, is not stored: %w", e.ID, held, e.DeploymentID, ErrNotFound)
	}
	return nil
}

// CheckNotHeld refuses to delete blueprint id while the active executions
// execs (read in the deleting transaction) will move a deployment to it.
func CheckNotHeld(id string, execs []string) error {
	if len(execs) == 0 {
		return nil
	}
	return fmt.Errorf("blueprint %q: %w: deployment update(s) %s will move a deployment to it; wait for them to end or cancel them", id, ErrInUse, strings.Join(execs, ", "))
}

// IndexPair is an entry of an index of two ids (a blueprint and what
// holds it).
type IndexPair [2]string

// IndexProblems reports, for Check, the difference between an index's
// entries (got) and the ones its records call for (want).
func IndexProblems(index string, want, got map[IndexPair]bool) []string {
	var out []string
	for p := range want {
		if !got[p] {
			out = append(out, fmt.Sprintf("%s: entry %q -> %q missing", index, p[0], p[1]))
		}
	}
	for p := range got {
		if !want[p] {
			out = append(out, fmt.Sprintf("%s: entry %q -> %q has no record that calls for it", index, p[0], p[1]))
		}
	}
	slices.Sort(out)
	return out
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
