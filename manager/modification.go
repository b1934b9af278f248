package manager

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
)

// storeRelationships writes, in id order, the relationships of the intact
// instances a modification gave or took relationship instances (Extended,
// Reduced) through tx; byID holds the modified plan's instances. Scale and
// deployment update share it (in their switch, switch.go).
func storeRelationships(ctx context.Context, tx store.Store, depID string, mod *plan.Modification, byID map[string]*tosca.NodeInstance) error {
	changed := make(map[string]bool, len(mod.Extended)+len(mod.Reduced))
	for _, l := range [][]*tosca.NodeInstance{mod.Extended, mod.Reduced} {
		for _, ni := range l {
			changed[ni.ID] = true
		}
	}
	for _, id := range sortedIDs(changed) {
		rels := byID[id].Relationships
		if _, err := tx.UpdateNodeInstance(ctx, depID, id, store.AnyVersion, func(x *store.NodeInstance) error {
			x.Relationships = rels
			return nil
		}); err != nil {
			return fmt.Errorf("updating relationships of %s: %w", id, err)
		}
	}
	return nil
}

// deleteInstances deletes, through tx, the removed instances that are
// still stored (a switch applied in part by a store that commits a big
// transaction in parts deleted some already).
func deleteInstances(ctx context.Context, tx store.Store, depID string, removed []*tosca.NodeInstance) error {
	if len(removed) == 0 {
		return nil
	}
	stored, err := tx.ListNodeInstances(ctx, depID, "")
	if err != nil {
		return err
	}
	want := make(map[string]bool, len(removed))
	for _, ni := range removed {
		want[ni.ID] = true
	}
	var ids []string
	for _, ni := range stored {
		if want[ni.ID] {
			ids = append(ids, ni.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	return tx.DeleteNodeInstances(ctx, depID, ids)
}
