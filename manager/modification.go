package manager

import (
	"context"
	"fmt"

	"github.com/gantryhq/gantry/store"
	"github.com/gantryhq/gantry/tosca"
	"github.com/gantryhq/gantry/tosca/plan"
)

// instanceIDs returns the ids of the instances, in their order.
func instanceIDs(list []*tosca.NodeInstance) []string {
	ids := make([]string, len(list))
	for i, ni := range list {
		ids[i] = ni.ID
	}
	return ids
}

// storeRelationships writes, in id order, the relationships of the intact
// instances a modification gave or took relationship instances (Extended,
// Reduced); byID holds the modified plan's instances. Scale and deployment
// update share it.
func (m *Manager) storeRelationships(ctx context.Context, depID string, mod *plan.Modification, byID map[string]*tosca.NodeInstance) error {
	changed := make(map[string]bool, len(mod.Extended)+len(mod.Reduced))
	for _, l := range [][]*tosca.NodeInstance{mod.Extended, mod.Reduced} {
		for _, ni := range l {
			changed[ni.ID] = true
		}
	}
	for _, id := range sortedIDs(changed) {
		rels := byID[id].Relationships
		if _, err := m.st.UpdateNodeInstance(ctx, depID, id, store.AnyVersion, func(x *store.NodeInstance) error {
			x.Relationships = rels
			return nil
		}); err != nil {
			return fmt.Errorf("updating relationships of %s: %w", id, err)
		}
	}
	return nil
}
